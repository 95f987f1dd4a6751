import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { useTestApp, type TestApp } from '../helpers/app.ts'
import { ManualClock } from '../../src/ports/clock.ts'
import { WX_ERRCODES } from '../../src/domain/wechat-errcodes.ts'
import { WX_HANDLERS } from '../../src/features/wechat/wechat.routes.ts'

// WX-4's fuzz criterion: 2,000 seeded requests over every facade path (every row of WX_HANDLERS, so calls
// added later are fuzzed too, plus the token, QR image and landing-page routes and paths not offered), with
// JSON, form and garbage bodies, numbers as strings, nulls, huge and long values, under every Content-Type,
// with a good, a garbage or no token: every answer is HTTP 200 and every errcode one of §3 (or 0).

const SEED = 20_261_207
const RUNS = 2000

const EXTRA_PATHS = ['/cgi-bin/token', '/cgi-bin/stable_token', '/cgi-bin/showqrcode', '/kabao/landingpage/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '/card/unknown', '/card/code/deposit', '/datacube/unknown', '/kabao/x/y']
const TOKEN_PATHS = new Set(['/cgi-bin/token', '/cgi-bin/stable_token'])

const FIELDS = [
  'card', 'card_id', 'code', 'openid', 'check_consume', 'grant_type', 'appid', 'secret', 'force_refresh', 'offset', 'count', 'status_list',
  'cash', 'discount', 'member_card', 'base_info', 'increase_stock_value', 'reduce_stock_value', 'encrypt_code', 'new_code', 'newcode', 'reason',
  'action_name', 'action_info', 'expire_seconds', 'location_id', 'outer_str', 'page_title', 'banner', 'scene', 'card_list', 'can_share',
  'membership_number', 'init_bonus', 'add_bonus', 'bonus', 'add_balance', 'balance', 'begin_date', 'end_date', 'cond_source', '__proto__', 'constructor',
]
const BASE_FIELDS = ['title', 'sub_title', 'notice', 'description', 'color', 'logo_url', 'code_type', 'date_info', 'sku', 'get_limit', 'use_custom_code', 'location_id_list', 'use_all_locations', 'can_share', 'can_give_friend', 'custom_url', 'custom_url_name', 'center_url', 'service_phone']

function arbitraries(known: { cardId: string; code: string; appid: string; secret: string }) {
  const scalar = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.integer().map(String),
    fc.integer(),
    fc.constantFrom(0, -1, 1, 2 ** 31, 2 ** 53, 2 ** 63, 1e21, 1e308, -1e308, 0.5, Number.MAX_SAFE_INTEGER + 2),
    fc.constantFrom('1e999', '-0', '0x10', '00012', ' 7 ', 'NaN', 'Infinity', 'true', 'false', '1', '0', '', 'null', '\u0000', '\uFEFF', 'Color010', '#63b359', 'CASH', 'DATE_TYPE_FIX_TERM', 'QR_CARD', 'CARD_STATUS_VERIFY_OK', '2026-03-01', '2026-13-45'),
    fc.constantFrom(known.cardId, known.code, known.appid, known.secret, 'crd_nothing', 'client_credential'),
    fc.boolean(),
    fc.constant(null),
    fc.double(),
    fc.nat(20_000).map((n) => 'x'.repeat(n)),
  )
  const value = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof({ depthSize: 'small', maxDepth: 3 }, scalar, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.constantFrom(...FIELDS, ...BASE_FIELDS, 'type', 'quantity', 'fixed_term', 'begin_timestamp'), tie('value'), { maxKeys: 5 })),
  })).value
  const cardBody = fc.record({
    card: fc.record({
      card_type: fc.constantFrom('CASH', 'cash', 'DISCOUNT', 'GIFT', 'GROUPON', 'GENERAL_COUPON', 'MEMBER_CARD', 'SCENIC_TICKET', 'X', 1),
      cash: fc.record({ base_info: fc.dictionary(fc.constantFrom(...BASE_FIELDS), value, { maxKeys: 8 }), reduce_cost: value, least_cost: value }, { requiredKeys: [] }),
    }, { requiredKeys: [] }),
  })
  const qrEntry = fc.dictionary(fc.constantFrom('card_id', 'openid', 'outer_str', 'outer_id', 'is_unique_code', 'code'), fc.oneof(fc.constantFrom(known.cardId, 'crd_nothing', 'mcd_nothing'), value))
  const qrBody = fc.record({
    action_name: fc.constantFrom('QR_CARD', 'qr_card', 'QR_MULTIPLE_CARD', 'qr_multiple_card', 'QR_SCENE', 7),
    expire_seconds: value,
    action_info: fc.record({ card: qrEntry, multiple_card: fc.record({ card_list: fc.oneof(fc.array(qrEntry, { maxLength: 7 }), value) }, { requiredKeys: [] }) }, { requiredKeys: [] }),
  }, { requiredKeys: [] })
  // Bodies naming a real or an unknown card and code, so that calls get past their first checks.
  const plausible = fc.tuple(
    fc.record({ card_id: fc.constantFrom(known.cardId, 'crd_nothing', ` ${known.cardId}`), code: fc.constantFrom(known.code, 'ZZZZZZZZZZZZZZZZ', known.code.toLowerCase()), openid: fc.constantFrom('fuzz', 'other', '') }, { requiredKeys: [] }),
    fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 3 }),
  ).map(([ids, rest]) => ({ ...rest, ...ids }))
  const object = fc.oneof(fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 6 }), cardBody, qrBody, plausible)
  const json = object.map((o) => JSON.stringify(o))
  const form = fc.dictionary(fc.constantFrom(...FIELDS), scalar.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))), { maxKeys: 5 }).map((o) => new URLSearchParams(o as Record<string, string>).toString())
  const body = fc.oneof(
    { weight: 5, arbitrary: json },
    { weight: 2, arbitrary: form },
    { weight: 1, arbitrary: json.map((j) => `${j}=`) },
    { weight: 1, arbitrary: json.map((j) => encodeURIComponent(j)) },
    { weight: 1, arbitrary: json.map((j) => `\uFEFF  ${j}\n`) },
    { weight: 1, arbitrary: json.map((j) => j.slice(0, Math.max(1, Math.floor(j.length / 2)))) },
    { weight: 2, arbitrary: fc.string({ maxLength: 80 }) },
    { weight: 1, arbitrary: fc.constantFrom('', '[]', '[1,2]', 'null', '"x"', '42', 'true', '{"a":', '{}}', '<xml><a>1</a></xml>', '%7B%22card_id%22', '%E0%A4%A', '\u0000{}') },
  )
  return { body }
}

for (const engine of ENGINES) {
  describe(`WeChat-compatible API under fuzzed requests on ${engine}`, await engineOptions(engine), () => {
    const clock = new ManualClock(Date.parse('2026-03-02T04:00:00Z'))
    const t = useTestApp(engine, { clock })

    async function setUp(app: TestApp) {
      const { apiKey } = await app.merchant()
      const created = await app.request('POST', '/v1/wechat-apps', { key: apiKey, body: {} })
      const { appid, secret } = created.body as { appid: string; secret: string }
      const token = (await app.request('GET', `/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${secret}`)).body.access_token as string
      const card = { card: { card_type: 'CASH', cash: { base_info: { title: 'Fuzz', notice: 'n', date_info: { type: 2, fixed_term: 30 }, sku: { quantity: 1_000_000 } }, reduce_cost: 100, least_cost: 1000 } } }
      const cardId = (await app.request('POST', `/card/create?access_token=${token}`, { body: card })).body.card_id as string
      const code = (await app.request('POST', `/kabao/card/issue?access_token=${token}`, { body: { card_id: cardId, openid: 'fuzz' } })).body.code as string
      assert.ok(cardId && code)
      return { token, cardId, code, appid, secret }
    }

    it(`answers ${RUNS} seeded fuzzed requests over every facade path with HTTP 200 and errcodes of §3 only`, async () => {
      const known = await setUp(t)
      const paths = [...Object.keys(WX_HANDLERS), ...EXTRA_PATHS]
      const { body } = arbitraries(known)
      const errcodes = new Set<number>()
      const seenPaths = new Set<string>()
      let count = 0
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...paths),
          fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT'),
          body,
          fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', ''),
          fc.constantFrom('good', 'good', 'good', 'none', 'garbage', 'long'),
          async (path, method, payload, type, tokenKind) => {
            count++
            seenPaths.add(path)
            const token = tokenKind === 'good' ? known.token : tokenKind === 'garbage' ? 'not-a-token' : tokenKind === 'long' ? 'A'.repeat(600) : null
            const query = TOKEN_PATHS.has(path) && method === 'GET' ? `?${new URLSearchParams({ grant_type: 'client_credential', appid: known.appid, secret: payload.slice(0, 40) })}` : token ? `?access_token=${token}` : ''
            const res = await t.app.inject({ method: method as 'POST', url: `${path}${query}`, headers: type ? { 'content-type': type } : {}, ...(method === 'GET' ? {} : { payload }) })
            assert.equal(res.statusCode, 200, `${method} ${path} ${type}: ${res.body}`)
            assert.match(String(res.headers['content-type']), /^application\/json; charset=utf-8/, `${method} ${path}: ${res.headers['content-type']}`)
            const parsed = JSON.parse(res.body)
            if ('errcode' in parsed) {
              assert.ok(WX_ERRCODES.includes(parsed.errcode), `${method} ${path}: ${res.body}`)
              assert.equal(typeof parsed.errmsg, 'string')
              errcodes.add(parsed.errcode)
            } else {
              assert.ok(TOKEN_PATHS.has(path), `only the token calls answer without errcode: ${path} ${res.body}`)
              assert.deepEqual(Object.keys(parsed).sort(), ['access_token', 'expires_in'])
            }
          },
        ),
        { seed: SEED, numRuns: RUNS },
      )
      assert.equal(count, RUNS)
      assert.equal(seenPaths.size, paths.length, 'every path was fuzzed')
      // The requests reached past parsing into the calls themselves, successes included.
      for (const expected of [0, 47001, 41001, 40001, 43002, 48001, 40097, 40073, 40056]) assert.ok(errcodes.has(expected), `errcode ${expected} among ${[...errcodes].sort()}`)
    })

    it('answers an oversized body with 47001 and HTTP 200', async () => {
      const { token } = await setUp(t)
      const huge = JSON.stringify({ card_id: 'x'.repeat(1024 * 1024 + 10) })
      for (const type of ['application/json', 'text/plain', '']) {
        const res = await t.app.inject({ method: 'POST', url: `/card/get?access_token=${token}`, headers: type ? { 'content-type': type } : {}, payload: huge })
        assert.equal(res.statusCode, 200, res.body)
        assert.equal(JSON.parse(res.body).errcode, 47001)
      }
    })
  })
}
