import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts'
import { kabaoEnv, startServer } from '../helpers/server-process.ts'

// `kabao serve` starts Node.js with the heap it was sized for and with V8's allocation-site pretenuring
// off (docs/operations.md): a process that pretenured request garbage spent half its CPU collecting it.

const argsOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')

describe('kabao serve runs Node.js with its memory flags', () => {
  let database: TestDatabase
  before(async () => {
    database = await createTestDatabase('sqlite', { sqliteFile: true })
  })
  after(() => database.drop())

  it('passes the heap sizes and turns pretenuring off by default', async () => {
    const server = await startServer(kabaoEnv(database.url))
    try {
      const args = argsOf(server.pid)
      for (const flag of ['--no-allocation-site-pretenuring', '--max-semi-space-size=8', '--max-old-space-size=256']) assert.ok(args.includes(flag), `${flag} in ${args.join(' ')}`)
    } finally {
      await server.stop()
    }
  })

  it('leaves the heap sizes to NODE_OPTIONS when it names one, and keeps pretenuring off', async () => {
    const server = await startServer(kabaoEnv(database.url, { NODE_OPTIONS: '--max-old-space-size=300' }))
    try {
      const args = argsOf(server.pid)
      assert.ok(args.includes('--no-allocation-site-pretenuring'))
      assert.ok(!args.some((a) => a.startsWith('--max-old-space-size') || a.startsWith('--max-semi-space-size')), args.join(' '))
    } finally {
      await server.stop()
    }
  })
})
