import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { ENGINES, engineOptions, createTestDatabase } from '../helpers/databases.ts'
import { kabaoEnv, runCli, startServer, stopServers, type ServerProcess } from '../helpers/server-process.ts'

for (const engine of ENGINES) {
  describe(`kabao wechat-app on ${engine}`, await engineOptions(engine), () => {
    const cleanup: (() => Promise<void>)[] = []
    after(async () => {
      for (const step of cleanup.reverse()) await step()
    })

    it('prints {"appid","secret"} whose token the WeChat-compatible API accepts as the merchant', async () => {
      const db = await createTestDatabase(engine, { migrate: false, sqliteFile: true })
      cleanup.push(() => db.drop())
      const env = kabaoEnv(db.url)
      const { merchant_id } = JSON.parse((await runCli(['merchant', 'create', '--name', 'Tea House', '--json'], env)).stdout)

      const made = await runCli(['wechat-app', 'create', '--merchant', merchant_id, '--json'], env)
      assert.equal(made.code, 0, made.stderr)
      const credential = JSON.parse(made.stdout.trim())
      assert.deepEqual(Object.keys(credential).sort(), ['appid', 'secret'])
      assert.match(credential.appid, /^wx[0-9a-f]{16}$/)
      assert.match(credential.secret, /^[0-9a-f]{32}$/)
      const plain = await runCli(['wechat-app', 'create', '--merchant', merchant_id], env)
      assert.equal(plain.code, 0, plain.stderr)
      assert.match(plain.stdout, /appid: +wx[0-9a-f]{16}\nsecret: [0-9a-f]{32}/)

      const unknown = await runCli(['wechat-app', 'create', '--merchant', 'mch_00000000000000000000000000', '--json'], env)
      assert.equal(unknown.code, 1)
      assert.match(unknown.stderr, /merchant_not_found/)
      assert.equal((await runCli(['wechat-app', 'create'], env)).code, 2)
      assert.equal((await runCli(['wechat-app', 'create', '--merchant', merchant_id, '--scope', 'root'], env)).code, 2)

      const server: ServerProcess = await startServer(env)
      cleanup.push(() => stopServers([server]))
      const token = (await (await fetch(`${server.base}/cgi-bin/token?grant_type=client_credential&appid=${credential.appid}&secret=${credential.secret}`)).json()) as { access_token: string; expires_in: number }
      assert.equal(token.expires_in, 7200)
      const answer = (await (await fetch(`${server.base}/card/get?access_token=${token.access_token}`, { method: 'POST', body: JSON.stringify({ card_id: 'crd_none' }) })).json()) as { errcode: number }
      assert.equal(answer.errcode, 40073)
      const wrong = (await (await fetch(`${server.base}/cgi-bin/token?grant_type=client_credential&appid=${credential.appid}&secret=${'0'.repeat(32)}`)).json()) as { errcode: number }
      assert.equal(wrong.errcode, 40001)
    })
  })
}
