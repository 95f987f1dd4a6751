import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ENGINES, engineOptions, createTestDatabase } from '../helpers/databases.ts'
import { kabaoEnv, runCli, startServer, stopServers, type CliResult, type ServerProcess } from '../helpers/server-process.ts'

const KABAO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/kabao')

/** `kabao …args` with `input` on its standard input. */
function runCliWithInput(args: string[], env: NodeJS.ProcessEnv, input: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(KABAO, args, { env, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(input)
  })
}

async function signIn(base: string, login: string, password: string): Promise<Response> {
  return fetch(`${base}/v1/staff/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login, password }) })
}

for (const engine of ENGINES) {
  describe(`kabao staff on ${engine}`, await engineOptions(engine), () => {
    const cleanup: (() => Promise<void>)[] = []
    after(async () => {
      for (const step of cleanup.reverse()) await step()
    })

    it('makes the owner of a merchant made with `merchant create`, who signs in to the console; first run stays closed', async () => {
      const db = await createTestDatabase(engine, { migrate: false, sqliteFile: true })
      cleanup.push(() => db.drop())
      const env = kabaoEnv(db.url)
      const { merchant_id } = JSON.parse((await runCli(['merchant', 'create', '--name', 'Tea House', '--json'], env)).stdout)

      const generated = await runCli(['staff', 'create', '--merchant', merchant_id, '--role', 'owner', '--login', 'Owner@Tea.example', '--json'], env)
      assert.equal(generated.code, 0, generated.stderr)
      const owner = JSON.parse(generated.stdout.trim())
      assert.match(owner.staff_id, /^stf_/)
      assert.equal(owner.merchant_id, merchant_id)
      assert.equal(owner.login, 'owner@tea.example')
      assert.equal(owner.role, 'owner')
      assert.ok(typeof owner.password === 'string' && owner.password.length >= 16, 'a generated password is printed')

      const chosen = await runCliWithInput(['staff', 'create', '--merchant', merchant_id, '--role', 'analyst', '--login', 'analyst', '--password-stdin', '--json'], env, 'correct horse battery\n')
      assert.equal(chosen.code, 0, chosen.stderr)
      assert.equal(JSON.parse(chosen.stdout.trim()).password, undefined, 'a password given on stdin is not printed')

      const taken = await runCli(['staff', 'create', '--merchant', merchant_id, '--role', 'operator', '--login', 'analyst'], env)
      assert.equal(taken.code, 1)
      assert.match(taken.stderr, /login_taken/)
      const unknown = await runCli(['staff', 'create', '--merchant', 'mch_00000000000000000000000000', '--role', 'owner', '--login', 'x-owner'], env)
      assert.equal(unknown.code, 1)
      assert.match(unknown.stderr, /merchant_not_found/)
      assert.equal((await runCli(['staff', 'create', '--merchant', merchant_id, '--role', 'boss', '--login', 'x'], env)).code, 2)

      const server: ServerProcess = await startServer(env)
      cleanup.push(() => stopServers([server]))
      const session = await signIn(server.base, 'owner@tea.example', owner.password)
      assert.equal(session.status, 201, await session.clone().text())
      assert.equal(((await session.json()) as { merchant: { id: string } }).merchant.id, merchant_id)
      assert.equal((await signIn(server.base, 'analyst', 'correct horse battery')).status, 201)

      assert.deepEqual(await (await fetch(`${server.base}/v1/setup`)).json(), { setup_required: false, merchants_exist: true })
      const second = await fetch(`${server.base}/v1/setup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ merchant_name: 'Second', login: 'second', password: 'correct horse battery' }),
      })
      assert.equal(second.status, 409)
    })
  })
}
