import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ApiError } from '../../web/shared/api.ts'
import { outcomeUnknown, redeemExactlyOnce, retryDelay, type PendingRedemption, type PendingStore, type RedeemTransport } from '../../web/pos/src/redeem.ts'

/** A terminal's view of the network: a scripted answer per attempt, recording what was sent. */
function transport(answers: (ApiError | object)[]) {
  const sent: { body: unknown; key: string }[] = []
  const api: RedeemTransport = {
    async post<T>(_url: string, body: unknown, options: { idempotencyKey: string }): Promise<T> {
      sent.push({ body, key: options.idempotencyKey })
      const answer = answers[sent.length - 1]
      if (answer instanceof ApiError) throw answer
      return answer as T
    },
  }
  return { api, sent }
}

function memoryStore(): PendingStore & { value: PendingRedemption | null } {
  const store = {
    value: null as PendingRedemption | null,
    load: () => store.value,
    save: (pending: PendingRedemption) => void (store.value = pending),
    clear: () => void (store.value = null),
  }
  return store
}

const body = { code: '8KY8SSMRV38JE1', order_amount: 12800, channel: 'scan' as const }
const redeemed = { id: 'rdm_1', code: body.code, card_id: 'crd_1', store_id: 'sto_1', discount_amount: 2000, order_amount: 12800, redeemed_at: '2030-03-01T10:00:00+08:00' }
const noSleep = async () => undefined

describe('redeeming at the terminal across lost connections', () => {
  it('retries with the same Idempotency-Key until an answer says what happened', async () => {
    const { api, sent } = transport([new ApiError(0, 'network_error', 'Failed to fetch'), new ApiError(503, 'service_unavailable', 'down'), new ApiError(409, 'request_in_progress', 'running'), redeemed])
    const pending = memoryStore()
    const retries: number[] = []
    const outcome = await redeemExactlyOnce(body, { transport: api, pending, sleep: noSleep, onRetry: (attempt) => retries.push(attempt) })
    assert.deepEqual(outcome, { ok: true, redemption: redeemed, attempts: 4 })
    assert.equal(sent.length, 4)
    assert.equal(new Set(sent.map((s) => s.key)).size, 1, 'one key for every attempt')
    assert.match(sent[0].key, /^pos-[0-9a-f]{32}$/)
    assert.ok(sent.every((s) => s.body === sent[0].body))
    assert.deepEqual(retries, [2, 3, 4])
    assert.equal(pending.value, null, 'nothing is left pending once the outcome is known')
  })

  it('stops at a refusal, which is an outcome, and forgets the pending redemption', async () => {
    const { api, sent } = transport([new ApiError(0, 'network_error', 'reset'), new ApiError(409, 'already_redeemed', 'This coupon was already redeemed')])
    const pending = memoryStore()
    const outcome = await redeemExactlyOnce(body, { transport: api, pending, sleep: noSleep })
    assert.equal(outcome?.ok, false)
    assert.equal(outcome && !outcome.ok && outcome.error.code, 'already_redeemed')
    assert.equal(sent.length, 2)
    assert.equal(pending.value, null)
  })

  it('keeps a redemption pending across a reload and resumes it with its key', async () => {
    const pending = memoryStore()
    const stop = { aborted: false }
    const first = transport([new ApiError(0, 'network_error', 'reset'), new ApiError(0, 'network_error', 'reset')])
    const gaveUp = await redeemExactlyOnce(body, {
      transport: first.api,
      pending,
      signal: stop,
      sleep: async () => {
        // The clerk closes the page while it waits to retry.
        stop.aborted = true
      },
    })
    assert.equal(gaveUp, null)
    assert.ok(pending.value, 'still pending')
    const key = pending.value.key

    const second = transport([redeemed])
    const resumed = await redeemExactlyOnce(pending.value.body, { transport: second.api, pending, sleep: noSleep }, pending.value)
    assert.equal(resumed?.ok, true)
    assert.equal(second.sent[0].key, key, 'the resumed attempt carries the original key')
    assert.equal(pending.value, null)
  })

  it('leaves the redemption pending when the session ended, to resume after signing in again', async () => {
    const pending = memoryStore()
    const { api } = transport([new ApiError(401, 'unauthenticated', 'session ended')])
    const outcome = await redeemExactlyOnce(body, { transport: api, pending, sleep: noSleep })
    assert.equal(outcome?.ok, false)
    assert.ok(pending.value)
  })

  it('knows which answers leave the outcome unknown, and backs off up to 5 s', () => {
    assert.equal(outcomeUnknown(new ApiError(0, 'network_error', '')), true)
    assert.equal(outcomeUnknown(new ApiError(500, 'internal_error', '')), true)
    assert.equal(outcomeUnknown(new ApiError(409, 'request_in_progress', '')), true)
    for (const code of ['already_redeemed', 'expired', 'code_not_found', 'below_threshold'] as const) assert.equal(outcomeUnknown(new ApiError(409, code, '')), false)
    assert.deepEqual([1, 2, 3, 4, 5, 9].map(retryDelay), [500, 1000, 2000, 4000, 5000, 5000])
  })
})
