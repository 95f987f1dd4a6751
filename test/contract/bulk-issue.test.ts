import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, useTestApp, type Response } from '../helpers/app.ts'
import { assertProblem } from '../helpers/problem.ts'

/** A streamed CSV of `count` user ids (`<prefix>0`, `<prefix>1`, …) under a header, produced as it is read. */
function csvStream(count: number, prefix: string): Readable {
  return Readable.from(
    (function* () {
      yield 'user_id\n'
      for (let start = 0; start < count; start += 1000) {
        let chunk = ''
        for (let i = start; i < Math.min(count, start + 1000); i++) chunk += `${prefix}${i}\n`
        yield chunk
      }
    })(),
  )
}

const lines = (ids: string[]) => ids.join('\n') + '\n'
const range = (count: number, prefix: string) => Array.from({ length: count }, (_, i) => `${prefix}${i}`)

for (const engine of ENGINES) {
  describe(`bulk issue on ${engine}`, await engineOptions(engine), () => {
    const t = useTestApp(engine)
    let key: string
    let merchantId: string

    before(async () => {
      ;({ apiKey: key, merchantId } = await t.merchant())
    })

    async function newCard(overrides: Record<string, unknown> = {}, apiKey = key): Promise<string> {
      const card = await t.request('POST', '/v1/cards', { key: apiKey, body: cashCard(overrides) })
      assert.equal(card.status, 201, card.text)
      return card.body.id
    }

    /** Sends a body (text or a stream) to the bulk-issue route. */
    async function upload(cardId: string, body: string | Readable, contentType: string, headers: Record<string, string> = {}, apiKey = key): Promise<Response> {
      const allHeaders: Record<string, string> = { authorization: `Bearer ${apiKey}`, 'content-type': contentType, ...headers }
      // A stream has no length up front: it is sent chunked, as a client streaming a file would.
      if (typeof body !== 'string') allHeaders['transfer-encoding'] = 'chunked'
      const res = await t.app.inject({ method: 'POST', url: `/v1/cards/${cardId}/bulk-issue`, headers: allHeaders, payload: body })
      let parsed: unknown
      try {
        parsed = JSON.parse(res.body)
      } catch {
        parsed = res.body
      }
      return { status: res.statusCode, headers: res.headers, body: parsed, text: res.body }
    }

    async function report(cardId: string, body: string | Readable, contentType: string, headers: Record<string, string> = {}) {
      const res = await upload(cardId, body, contentType, headers)
      assert.equal(res.status, 200, res.text)
      return res.body
    }

    async function couponsOf(cardId: string) {
      return t.ctx.database.db.selectFrom('coupons').select(['user_id', 'source', 'source_ref', 'state']).where('card_id', '=', cardId).orderBy('id').execute()
    }

    async function cardOf(cardId: string) {
      const res = await t.request('GET', `/v1/cards/${cardId}`, { key })
      assert.equal(res.status, 200, res.text)
      return res.body
    }

    async function countIssuedEvents(cardId: string): Promise<number> {
      const events = await t.ctx.database.db.selectFrom('events').select('data').where('merchant_id', '=', merchantId).where('type', '=', 'coupon.issued').execute()
      return events.filter((event) => JSON.stringify(event.data).includes(cardId)).length
    }

    it('takes a CSV sent over a real connection, as a client or `npm run bench` sends it', async () => {
      // Over a socket the body reaches the route as a stream, which the body checks must leave alone.
      const base = await t.listen()
      const cardId = await newCard({ stock: 500 })
      const csv = 'user_id\n' + range(300, 'http-').join('\n') + '\n'
      const res = await fetch(`${base}/v1/cards/${cardId}/bulk-issue`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' }, body: csv })
      const body = await res.json()
      assert.equal(res.status, 200, JSON.stringify(body))
      assert.equal(body.issued, 300)
      assert.equal((await couponsOf(cardId)).length, 300)
    })

    it('issues to every user of a CSV whose header names a user_id column, ignoring the other columns', async () => {
      const cardId = await newCard({ stock: 10 })
      const body = await report(cardId, 'name,user_id,city\nLi Lei,u1,Shanghai\nHan Meimei,u2,Beijing\nJim,u3,\n', 'text/csv')
      assert.deepEqual(body, {
        card_id: cardId,
        total_rows: 3,
        issued: 3,
        already_issued: 0,
        failed: 0,
        stock_remaining: 7,
        failure_counts: {},
        failures: [],
        failures_truncated: false,
      })
      const coupons = await couponsOf(cardId)
      assert.deepEqual(coupons.map((c) => c.user_id), ['u1', 'u2', 'u3'])
      assert.ok(coupons.every((c) => c.source === 'bulk' && c.state === 'available' && c.source_ref === null))
      assert.equal(await countIssuedEvents(cardId), 3)
      const card = await cardOf(cardId)
      assert.equal(card.issued_count, 3)
      const wallet = await t.request('GET', '/v1/users/u2/coupons', { key })
      assert.equal(wallet.body.data.filter((c: { card_id: string }) => c.card_id === cardId).length, 1)
    })

    it('reads a CSV without a header as one user id per line (the first column)', async () => {
      const cardId = await newCard({ stock: 10 })
      const body = await report(cardId, 'u1\nu2,extra\nu3', 'text/csv; charset=utf-8')
      assert.equal(body.total_rows, 3)
      assert.equal(body.issued, 3)
      assert.deepEqual((await couponsOf(cardId)).map((c) => c.user_id), ['u1', 'u2', 'u3'])
    })

    it('copes with a BOM, CRLF line ends, blank lines and quoted ids', async () => {
      const cardId = await newCard({ stock: 10 })
      const csv = '\uFEFFuser_id,note\r\n"u,1",a\r\n\r\n  u2  ,b\r\n"u ""3""",c\r\n\r\nu4\n'
      const body = await report(cardId, csv, 'text/csv')
      assert.equal(body.total_rows, 4, JSON.stringify(body))
      assert.equal(body.failed, 0, JSON.stringify(body.failures))
      assert.deepEqual((await couponsOf(cardId)).map((c) => c.user_id), ['u,1', 'u2', 'u "3"', 'u4'])
    })

    it('reads NDJSON of strings and {user_id} objects; a bad line fails on its own', async () => {
      const cardId = await newCard({ stock: 10 })
      const ndjson = '"u1"\r\n{"user_id":"u2","name":"x"}\n\nnot json\n42\n{"id":"u5"}\n""\n"u8"'
      const body = await report(cardId, ndjson, 'application/x-ndjson')
      assert.equal(body.total_rows, 7)
      assert.equal(body.issued, 3)
      assert.deepEqual(
        body.failures.map((f: { row: number; code: string }) => [f.row, f.code]),
        [
          [3, 'malformed_row'],
          [4, 'invalid_user_id'],
          [5, 'invalid_user_id'],
          [6, 'invalid_user_id'],
        ],
      )
      assert.deepEqual(body.failure_counts, { malformed_row: 1, invalid_user_id: 3 })
      assert.deepEqual((await couponsOf(cardId)).map((c) => c.user_id), ['u1', 'u2', 'u8'])
    })

    it('reads a JSON body of user_ids, checking each id as a row of its own', async () => {
      const cardId = await newCard({ stock: 10 })
      const res = await t.request('POST', `/v1/cards/${cardId}/bulk-issue`, { key, body: { user_ids: ['u1', 7, 'x'.repeat(129), 'u2'] } })
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.issued, 2)
      assert.deepEqual(res.body.failures.map((f: { row: number; code: string }) => [f.row, f.code]), [[2, 'invalid_user_id'], [3, 'invalid_user_id']])
      assertProblem(await t.request('POST', `/v1/cards/${cardId}/bulk-issue`, { key, body: { users: ['u1'] } }), 422, 'validation_failed')
    })

    it('fails only the rows of a user beyond get_limit, with get_limit_reached', async () => {
      const cardId = await newCard({ stock: 10, get_limit: 2 })
      const body = await report(cardId, lines(['a', 'b', 'a', 'c', 'a', 'b', 'a']), 'text/csv')
      assert.equal(body.issued, 5)
      assert.deepEqual(body.failures, [
        { row: 5, user_id: 'a', code: 'get_limit_reached', message: body.failures[0].message },
        { row: 7, user_id: 'a', code: 'get_limit_reached', message: body.failures[1].message },
      ])
      const coupons = await couponsOf(cardId)
      assert.equal(coupons.filter((c) => c.user_id === 'a').length, 2)
      assert.equal(coupons.length, 5)
      // A user at the limit from an earlier issue is refused in a later upload too.
      const again = await report(cardId, lines(['b', 'd']), 'text/csv')
      assert.deepEqual(again.failures.map((f: { user_id: string; code: string }) => [f.user_id, f.code]), [['b', 'get_limit_reached']])
      assert.equal(again.issued, 1)
    })

    it('issues exactly the stock, then fails every further row with out_of_stock and leaves no trace of them', async () => {
      // 1,200 rows span three batches: stock runs out in the middle of the second.
      const cardId = await newCard({ stock: 700 })
      const body = await report(cardId, lines(range(1200, 'user-')), 'text/csv')
      assert.equal(body.total_rows, 1200)
      assert.equal(body.issued, 700)
      assert.equal(body.failed, 500)
      assert.deepEqual(body.failure_counts, { out_of_stock: 500 })
      assert.equal(body.stock_remaining, 0)
      assert.deepEqual(body.failures.map((f: { row: number }) => f.row), Array.from({ length: 500 }, (_, i) => 701 + i))
      const coupons = await couponsOf(cardId)
      assert.equal(coupons.length, 700)
      assert.deepEqual(coupons.map((c) => c.user_id), range(700, 'user-'))
      const card = await cardOf(cardId)
      assert.equal(card.stock_remaining, 0)
      assert.equal(card.issued_count, 700)
      assert.equal(await countIssuedEvents(cardId), 700)
      // A refused user kept no allowance: with new stock a single issue to them succeeds.
      const refill = await t.request('POST', `/v1/cards/${cardId}/stock`, { key, body: { delta: 1 } })
      assert.equal(refill.status, 200, refill.text)
      const single = await t.request('POST', `/v1/cards/${cardId}/issue`, { key, body: { user_id: 'user-701' } })
      assert.equal(single.status, 201, single.text)
    })

    it('issues nothing twice when the same upload is sent again with the same Idempotency-Key', async () => {
      const cardId = await newCard({ stock: 10, get_limit: 1 })
      const ids = ['u1', 'u2', 'u3', 'u4', 'u5']
      const headers = { 'idempotency-key': 'upload-1' }
      // The first send was cut short after three rows.
      const partial = await report(cardId, lines(ids.slice(0, 3)), 'text/csv', headers)
      assert.equal(partial.issued, 3)
      const full = await report(cardId, lines(ids), 'text/csv', headers)
      assert.equal(full.issued, 5)
      assert.equal(full.already_issued, 3)
      assert.equal(full.failed, 0)
      assert.equal(full.stock_remaining, 5)
      const again = await report(cardId, lines(ids), 'text/csv', headers)
      assert.deepEqual([again.issued, again.already_issued, again.failed, again.stock_remaining], [5, 5, 0, 5])
      const coupons = await couponsOf(cardId)
      assert.deepEqual(coupons.map((c) => c.user_id), ids)
      assert.deepEqual(coupons.map((c) => c.source_ref), [1, 2, 3, 4, 5].map((row) => `bulk:upload-1:${row}`))
      const card = await cardOf(cardId)
      assert.deepEqual([card.stock_remaining, card.issued_count], [5, 5])
      assert.equal(await countIssuedEvents(cardId), 5)
    })

    it('issues nothing twice when the same upload is sent several times at once with the same Idempotency-Key', async () => {
      // A get_limit above 1 lets the sends race as far as storing the coupon, where the row's reference decides.
      const cardId = await newCard({ stock: 5000, get_limit: 5 })
      const ids = range(1500, 'racer-')
      const sends = await Promise.all([1, 2, 3].map(() => upload(cardId, lines(ids), 'text/csv', { 'idempotency-key': 'racing' })))
      for (const send of sends) {
        assert.equal(send.status, 200, send.text)
        assert.deepEqual([send.body.issued, send.body.failed], [1500, 0], send.text)
      }
      assert.equal(sends.reduce((sum, send) => sum + send.body.issued - send.body.already_issued, 0), 1500)
      assert.equal((await couponsOf(cardId)).length, 1500)
      const card = await cardOf(cardId)
      assert.deepEqual([card.stock_remaining, card.issued_count], [3500, 1500])
      assert.equal(await countIssuedEvents(cardId), 1500)
      const claims = await t.ctx.database.db.selectFrom('card_user_claims').select('claimed').where('card_id', '=', cardId).execute()
      assert.ok(claims.length === 1500 && claims.every((claim) => claim.claimed === 1), 'each user counted once')
    })

    it('fails the rows of a different list sent under a used key with idempotency_key_reused', async () => {
      const cardId = await newCard({ stock: 10 })
      const headers = { 'idempotency-key': 'upload-2' }
      await report(cardId, lines(['u1', 'u2']), 'text/csv', headers)
      const other = await report(cardId, lines(['u1', 'x2', 'x3']), 'text/csv', headers)
      assert.equal(other.issued, 2)
      assert.equal(other.already_issued, 1)
      assert.deepEqual(other.failures.map((f: { row: number; code: string }) => [f.row, f.code]), [[2, 'idempotency_key_reused']])
      assert.deepEqual((await couponsOf(cardId)).map((c) => c.user_id), ['u1', 'u2', 'x3'])
      assertProblem(await upload(cardId, 'u1\n', 'text/csv', { 'idempotency-key': 'k'.repeat(256) }), 422, 'validation_failed')
    })

    it('never over-issues while single issues run at the same time', async () => {
      const cardId = await newCard({ stock: 300, get_limit: 1 })
      // The singles go to users who are also in the upload, and to users who are not.
      const singles = [...range(40, 'user-'), ...range(40, 'solo-')].map((userId) => t.request('POST', `/v1/cards/${cardId}/issue`, { key, body: { user_id: userId } }))
      const [bulk, ...answers] = await Promise.all([upload(cardId, lines(range(600, 'user-')), 'text/csv'), ...singles])
      assert.equal(bulk.status, 200, bulk.text)
      const singleIssued = answers.filter((a) => a.status === 201).length
      for (const answer of answers.filter((a) => a.status !== 201)) assert.ok(['out_of_stock', 'get_limit_reached'].includes(answer.body.code), answer.text)
      assert.ok(Object.keys(bulk.body.failure_counts).every((code) => ['out_of_stock', 'get_limit_reached'].includes(code)), bulk.text)
      const coupons = await couponsOf(cardId)
      assert.equal(coupons.length, 300)
      assert.equal(bulk.body.issued + singleIssued, 300)
      assert.equal(new Set(coupons.map((c) => c.user_id)).size, 300, 'no user holds two coupons')
      assert.equal((await cardOf(cardId)).stock_remaining, 0)
    })

    it('issues to 100,000 users streamed in one call', async () => {
      const { apiKey } = await t.merchant()
      const cardId = await newCard({ stock: 100_000 }, apiKey)
      const res = await upload(cardId, csvStream(100_000, 'member-'), 'text/csv', { 'idempotency-key': 'hundred-thousand' }, apiKey)
      assert.equal(res.status, 200, res.text.slice(0, 500))
      assert.equal(res.body.total_rows, 100_000)
      assert.equal(res.body.issued, 100_000)
      assert.equal(res.body.failed, 0)
      assert.equal(res.body.stock_remaining, 0)
      const { db } = t.ctx.database
      const coupons = await db.selectFrom('coupons').select((eb) => eb.fn.countAll<number>().as('n')).where('card_id', '=', cardId).executeTakeFirstOrThrow()
      assert.equal(Number(coupons.n), 100_000)
      const users = await db.selectFrom('coupons').select((eb) => eb.fn.count<number>('user_id').distinct().as('n')).where('card_id', '=', cardId).executeTakeFirstOrThrow()
      assert.equal(Number(users.n), 100_000)
    })

    it('answers total_rows 0 for an empty body', async () => {
      const cardId = await newCard({ stock: 5 })
      for (const contentType of ['text/csv', 'application/x-ndjson']) {
        const body = await report(cardId, '', contentType)
        assert.deepEqual([body.total_rows, body.issued, body.failed, body.stock_remaining], [0, 0, 0, 5])
      }
      const json = await t.request('POST', `/v1/cards/${cardId}/bulk-issue`, { key, body: { user_ids: [] } })
      assert.equal(json.body.total_rows, 0, json.text)
    })

    it('answers 415 for a content type it does not read', async () => {
      const cardId = await newCard({ stock: 5 })
      const problem = assertProblem(await upload(cardId, '<users/>', 'application/xml'), 415, 'unsupported_media_type')
      assert.match(problem.detail, /text\/csv/)
      assert.equal((await couponsOf(cardId)).length, 0)
    })

    it('answers 404 for an unknown card and for another merchant’s card', async () => {
      assertProblem(await upload('crd_01jzzzzzzzzzzzzzzzzzzzzzzz', 'u1\n', 'text/csv'), 404, 'card_not_found')
      const other = await t.merchant()
      const theirs = await newCard({ stock: 5 }, other.apiKey)
      assertProblem(await upload(theirs, 'u1\n', 'text/csv'), 404, 'card_not_found')
      assert.equal((await couponsOf(theirs)).length, 0)
    })

    it('answers 409 card_not_active for a paused card', async () => {
      const cardId = await newCard({ stock: 5 })
      assert.equal((await t.request('POST', `/v1/cards/${cardId}/pause`, { key })).status, 200)
      assertProblem(await upload(cardId, 'u1\n', 'text/csv'), 409, 'card_not_active')
    })

    it('answers 400 for a CSV that cannot be read on, saying how many rows before it were processed', async () => {
      const cardId = await newCard({ stock: 5 })
      const problem = assertProblem(await upload(cardId, 'u1\nu2\n"u3\n', 'text/csv', { 'idempotency-key': 'broken' }), 400, 'malformed_request')
      assert.match(problem.detail, /2 rows before it were processed: 2 issued/)
      assert.equal((await couponsOf(cardId)).length, 2)
    })

    it('documents the route, its body formats and the retry rule in the OpenAPI document', async () => {
      const doc = await t.request('GET', '/openapi.json')
      const operation = doc.body.paths['/v1/cards/{card_id}/bulk-issue'].post
      assert.deepEqual(Object.keys(operation.requestBody.content).sort(), ['application/json', 'application/x-ndjson', 'text/csv'])
      assert.match(operation.description, /bulk:<key>:<N>/)
    })
  })
}
