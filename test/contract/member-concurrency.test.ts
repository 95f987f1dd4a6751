import { MEMBER_RACES } from '../helpers/member-races.ts'
import { describeRaces } from '../helpers/race-suites.ts'

// Parallel burns, payments and exchanges over real HTTP: first against one server (SQLite file-backed as
// in production), then split across two `kabao serve` processes on one database.
await describeRaces('member card guarantees', MEMBER_RACES)
