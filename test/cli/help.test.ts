import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../helpers/server-process.ts'
import { systemNodeMajor, systemPath } from '../helpers/system-node.ts'

// `kabao COMMAND --help` prints the command's usage and does nothing else; `kabao --version` prints the
// version; bin/kabao without the pinned Node.js says to run npm install instead of failing on `.ts`.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const KABAO = path.join(ROOT, 'bin/kabao')
/** A bound for a command that never exits (a server started instead of help), not a performance expectation. */
const NEVER_EXITS_MS = 60_000

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function run(file: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { ...options, timeout: NEVER_EXITS_MS, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

const COMMANDS = [
  ['serve'],
  ['migrate'],
  ['merchant'],
  ['merchant', 'create'],
  ['merchant', 'set-capabilities'],
  ['staff'],
  ['staff', 'create'],
  ['wechat-app'],
  ['wechat-app', 'create'],
  ['issue'],
  ['backup'],
  ['migrate-data'],
]

describe('kabao --help and --version', () => {
  const dirs: string[] = []
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  /** An empty working directory and the default configuration: a database or key file would appear in it. */
  async function emptyPlace() {
    const cwd = await mkdtemp(path.join(tmpdir(), 'kabao-help-'))
    dirs.push(cwd)
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(await freePort()), HOST: '127.0.0.1' }
    for (const name of ['DATABASE_URL', 'KABAO_SECRET_KEY', 'KABAO_SECRET_KEY_FILE', 'KABAO_DATA_DIR', 'NODE_TEST_CONTEXT']) delete env[name]
    return { cwd, env }
  }

  for (const command of COMMANDS) {
    for (const flag of ['--help', '-h']) {
      it(`kabao ${command.join(' ')} ${flag} prints its usage, exits 0 and touches nothing`, async () => {
        const place = await emptyPlace()
        const result = await run(KABAO, [...command, flag], place)
        assert.equal(result.code, 0, `exit ${result.code}\n${result.stdout}${result.stderr}`)
        assert.ok(result.stdout.startsWith(`usage: kabao ${command.join(' ')}`), result.stdout)
        assert.equal(result.stderr, '')
        assert.deepEqual(await readdir(place.cwd), [], 'no database, key or data directory was created')
      })
    }
  }

  it('answers kabao help COMMAND as kabao COMMAND --help', async () => {
    const place = await emptyPlace()
    const help = await run(KABAO, ['help', 'merchant', 'create'], place)
    const flag = await run(KABAO, ['merchant', 'create', '--help'], place)
    assert.equal(help.code, 0)
    assert.equal(help.stdout, flag.stdout)
    assert.match(help.stdout, /--timezone TZ/)
  })

  it('lists every command and how to ask about one in kabao --help', async () => {
    const place = await emptyPlace()
    const result = await run(KABAO, ['--help'], place)
    assert.equal(result.code, 0)
    for (const command of ['serve', 'migrate', 'merchant create', 'merchant set-capabilities', 'staff create', 'issue', 'backup', 'migrate-data', 'COMMAND --help', '--version']) {
      assert.ok(result.stdout.includes(`kabao ${command}`), `${command} is listed`)
    }
  })

  it('refuses help for an unknown command with a usage error', async () => {
    const place = await emptyPlace()
    const result = await run(KABAO, ['frobnicate', '--help'], place)
    assert.equal(result.code, 2)
    assert.match(result.stderr, /unknown command "frobnicate"/)
  })

  for (const flag of ['--version', '-v']) {
    it(`prints the package version for kabao ${flag}`, async () => {
      const { version } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
      const place = await emptyPlace()
      const result = await run(KABAO, [flag], place)
      assert.equal(result.code, 0, result.stderr)
      assert.equal(result.stdout, `${version}\n`)
    })
  }
})

describe('bin/kabao without the pinned Node.js', () => {
  let bare: string
  after(async () => {
    if (bare) await rm(bare, { recursive: true, force: true })
  })

  it('says to run npm install first when node_modules is missing and no Node.js 24 is on the PATH', async () => {
    // A checkout before `npm install`, on a PATH with the shell tools bin/kabao uses and no node at all.
    bare = await mkdtemp(path.join(tmpdir(), 'kabao-bare-'))
    await mkdir(path.join(bare, 'bin'))
    await cp(KABAO, path.join(bare, 'bin/kabao'))
    const tools = path.join(bare, 'tools')
    await mkdir(tools)
    for (const tool of ['readlink', 'dirname']) {
      const found = systemPath().split(path.delimiter).map((dir) => path.join(dir, tool))
      const real = found.find((file) => existsSync(file))
      assert.ok(real, `${tool} is on the system PATH`)
      await symlink(real, path.join(tools, tool))
    }
    const result = await run(path.join(bare, 'bin/kabao'), ['merchant', 'create', '--name', 'X'], { cwd: bare, env: { PATH: tools } })
    assert.equal(result.code, 1)
    assert.match(result.stderr, /run npm install first/)
    assert.equal(result.stdout, '')
  })

  it('run as `node bin/kabao`, says to run npm install first on a Node.js older than 24 and runs on 24 or later', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: systemPath() }
    delete env.NODE_TEST_CONTEXT
    const place = { cwd: ROOT, env }
    const result = await run('node', [KABAO, '--version'], place)
    if (systemNodeMajor() < 24) {
      assert.equal(result.code, 1)
      assert.match(result.stderr, /needs Node\.js 24: run npm install first/)
      assert.doesNotMatch(result.stderr, /ERR_UNKNOWN_FILE_EXTENSION/)
    } else {
      assert.equal(result.code, 0, result.stderr)
      assert.match(result.stdout, /^\d+\.\d+\.\d+\n$/)
    }
  })
})
