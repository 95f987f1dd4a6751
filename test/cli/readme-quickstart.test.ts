import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as delay } from 'node:timers/promises'
import { freePort } from '../helpers/server-process.ts'
import { systemPath } from '../helpers/system-node.ts'

// The README's quick start, pasted as a new user would: the blocks marked `<!-- quick-start -->` run in
// order in one bash, in a fresh clone of the committed tree, with the system's Node.js and npm first on
// the PATH (not the pinned Node.js of this checkout). npm may take packages from its local cache, but
// installs for real.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const MARKER = /<!-- quick-start -->\n```sh\n([\s\S]*?)```/g
/** Bounds for a run that hangs (a server that never gets ready), not performance expectations. */
const RUN_DEADLINE_MS = 270_000
const STOP_DEADLINE_MS = 20_000

function quickStartBlocks(readme: string): string[] {
  return [...readme.matchAll(MARKER)].map((match) => match[1])
}

describe('the README quick start, pasted into a fresh clone', { timeout: RUN_DEADLINE_MS + 60_000 }, () => {
  let dir: string
  let clone: string
  let shell: ChildProcess | undefined
  let port: number

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kabao-quickstart-'))
    clone = path.join(dir, 'kabao')
    // What is committed, as `git clone` gives it (uncommitted changes are not part of it).
    const git = (...args: string[]) => execFileSync('git', args, { cwd: clone, stdio: ['ignore', 'pipe', 'pipe'] })
    execFileSync('git', ['init', '--quiet', clone])
    git('fetch', '--quiet', '--depth=1', `file://${ROOT}`, execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim())
    git('checkout', '--quiet', 'FETCH_HEAD')
    port = await freePort()
  })

  after(async () => {
    // The server the blocks started in the background shares the shell's process group.
    if (shell?.pid) {
      try {
        process.kill(-shell.pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
    }
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('installs, starts, creates a merchant, issues and redeems a coupon, and keeps serving', async () => {
    const blocks = quickStartBlocks(await readFile(path.join(clone, 'README.md'), 'utf8'))
    assert.ok(blocks.length >= 4, `the README marks its quick-start blocks (found ${blocks.length})`)
    assert.match(blocks[0], /^npm install\b/m, 'the first block installs')

    // The blocks as written, on this test's own port; the clone's ./data/ is a data directory of its own.
    const pasted = blocks.join('\n').replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`)
    const script = `set -euo pipefail\n${pasted}\necho "QUICKSTART_KEY=$KEY"\n`
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: systemPath(),
      PORT: String(port),
      HOST: '127.0.0.1',
      npm_config_prefer_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
    }
    for (const name of ['DATABASE_URL', 'KABAO_SECRET_KEY', 'KABAO_SECRET_KEY_FILE', 'KABAO_DATA_DIR', 'REDIS_URL', 'NODE_ENV', 'NODE_OPTIONS', 'NODE_TEST_CONTEXT']) delete env[name]
    for (const name of Object.keys(env)) if (name.startsWith('npm_') && !name.startsWith('npm_config_')) delete env[name]

    let output = ''
    shell = spawn('bash', ['-c', script], { cwd: clone, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    shell.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    shell.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    const exited = new Promise<number | null>((resolve) => shell!.once('exit', resolve))
    const code = await Promise.race([exited, delay(RUN_DEADLINE_MS, 'hung' as const, { ref: false })])
    assert.equal(code, 0, `the quick start ${code === 'hung' ? `did not finish within ${RUN_DEADLINE_MS} ms` : `exited with ${code}`}:\n${output.slice(-6000)}`)

    const tail = `\n${output.slice(-6000)}`
    assert.doesNotMatch(output, /ERR_UNKNOWN_FILE_EXTENSION/, tail)
    assert.match(output, /"discount_amount":2000/, `the check and the redemption take 2000 off${tail}`)
    assert.match(output, /"code":"already_redeemed"/, `the second redemption is refused${tail}`)
    const key = /QUICKSTART_KEY=(\S+)/.exec(output)?.[1]
    assert.ok(key, `the merchant was created${tail}`)

    // The server started in the background is still serving what the blocks made.
    const api = `http://127.0.0.1:${port}`
    assert.equal((await fetch(`${api}/readyz`)).status, 200)
    const redemptions = (await (await fetch(`${api}/v1/redemptions`, { headers: { authorization: `Bearer ${key}` } })).json()) as { data: unknown[] }
    assert.equal(redemptions.data.length, 1, 'redeemed exactly once')
    const members = await fetch(`${api}/v1/member-cards`, { headers: { authorization: `Bearer ${key}` } })
    assert.equal(((await members.json()) as { data: unknown[] }).data.length, 1, 'the member card was made')

    // Stopped as a user's shell would on exit: SIGTERM to the background job.
    process.kill(-shell.pid!, 'SIGTERM')
    const deadline = Date.now() + STOP_DEADLINE_MS
    while (Date.now() < deadline && (await fetch(`${api}/readyz`).then(() => true, () => false))) await delay(200)
    assert.equal(await fetch(`${api}/readyz`).then(() => 'serving', () => 'stopped'), 'stopped')
  })
})
