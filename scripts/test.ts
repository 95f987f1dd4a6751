/**
 * The whole test suite: every `*.test.ts` under src/ and test/, each file in its own process.
 * Set CI=true to make a missing PostgreSQL a failure instead of a skip.
 */
import { spawnSync } from 'node:child_process'
import { availableParallelism } from 'node:os'

const only = process.argv.slice(2)
const patterns = only.length > 0 ? only : ['src/**/*.test.ts', 'test/**/*.test.ts']
const concurrency = Math.max(2, Math.min(4, availableParallelism()))
const result = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', ...patterns], { stdio: 'inherit' })
process.exit(result.status ?? 1)
