import { GROUP_RACES } from '../helpers/group-races.ts'
import { describeRaces } from '../helpers/race-suites.ts'

// Parallel group joins and openings, and parallel referral joins, over real HTTP: first one server (SQLite
// file-backed as in production), then two `kabao serve` processes on one database.
await describeRaces('group and referral guarantees', GROUP_RACES)
