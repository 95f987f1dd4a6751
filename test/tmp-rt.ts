import pg from 'pg'
const log: string[] = []
let on = false
for (const C of [pg.Client, (pg as any).Pool]) {
  const orig = C.prototype.query
  C.prototype.query = function (this: unknown, ...args: any[]) { if (on) log.push(`${C.name}: ${typeof args[0] === 'string' ? args[0] : (args[0]?.name ?? '') + ' ' + (args[0]?.text ?? '')}`.slice(0, 160)); return orig.apply(this, args) }
}
const { startTestApp, cashCard } = await import('/work/main/test/helpers/app.ts')
const t = await startTestApp('postgres')
const { apiKey } = await t.merchant()
const store = await t.request('POST', '/v1/stores', { key: apiKey, body: { name: 'S' } })
const card = await t.request('POST', '/v1/cards', { key: apiKey, body: cashCard({ get_limit: 50 }) })
const codes = []
for (let i = 0; i < 3; i++) codes.push((await t.request('POST', `/v1/cards/${card.body.id}/issue`, { key: apiKey, body: { user_id: 'u' + i } })).body.code)
const tok = await t.request('POST', '/v1/wallet-tokens', { key: apiKey, body: { user_id: 'u1', ttl_seconds: 3600 } })
for (const [i, code] of codes.entries()) {
  log.length = 0; on = true
  const r = await t.request('POST', '/v1/redemptions', { key: apiKey, body: { code, store_id: store.body.id, order_amount: 12000 } })
  on = false
  console.log(`redeem ${i}: ${r.status}, ${log.length} queries`); if (i === 2) console.log(log.join('\n'))
}
for (let i = 0; i < 2; i++) { log.length = 0; on = true; const r = await t.request('GET', '/v1/wallet/coupons', { key: tok.body.token }); on = false; console.log(`wallet: ${r.status} ${log.length}`); if (i === 1) console.log(log.join('\n')) }
for (let i = 0; i < 2; i++) { log.length = 0; on = true; const r = await t.request('POST', `/v1/cards/${card.body.id}/issue`, { key: apiKey, body: { user_id: 'z' + i } }); on = false; console.log(`issue: ${r.status} ${log.length}`); if (i === 1) console.log(log.join('\n')) }
await t.close()
