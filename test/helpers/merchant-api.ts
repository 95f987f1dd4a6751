import assert from 'node:assert/strict'
import type { Response, TestApp } from './app.ts'

/** Asserts a success status and returns the body. */
export function expectStatus(res: Response, status: number): any {
  assert.equal(res.status, status, res.text)
  return res.body
}

/** Asserts a problem+json error with this status and code and returns its body. */
export function expectProblem(res: Response, status: number, code: string): any {
  assert.equal(res.status, status, res.text)
  assert.equal(res.body.code, code, res.text)
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/)
  return res.body
}

/** The `code`s and `field`s of a 422's errors, sorted, to compare as a set. */
export function fieldErrors(body: { errors?: { field: string; code: string }[] }): string[] {
  return (body.errors ?? []).map((e) => `${e.code}@${e.field}`).sort()
}

export type MerchantApi = ReturnType<typeof merchantApi>

/** One merchant's calls through one API key, with the happy paths asserted. */
export function merchantApi(t: TestApp, key: string) {
  const call = (method: string, url: string, body?: unknown) => t.request(method, url, { key, body })
  return {
    key,
    get: (url: string) => call('GET', url),
    post: (url: string, body?: unknown) => call('POST', url, body),
    patch: (url: string, body: unknown) => call('PATCH', url, body),
    put: (url: string, body: unknown) => call('PUT', url, body),
    async createStore(body: Record<string, unknown> = {}): Promise<any> {
      return expectStatus(await call('POST', '/v1/stores', { name: 'Store', ...body }), 201)
    },
    async createCard(body: Record<string, unknown>): Promise<any> {
      return expectStatus(await call('POST', '/v1/cards', body), 201)
    },
    async issue(cardId: string, userId: string): Promise<any> {
      return expectStatus(await call('POST', `/v1/cards/${cardId}/issue`, { user_id: userId }), 201)
    },
    coupon: (code: string) => call('GET', `/v1/coupons/${encodeURIComponent(code)}`),
    redeem: (body: Record<string, unknown>) => call('POST', '/v1/redemptions', body),
    /** Every event of a type (all types when absent), oldest first, after `since` when given. */
    async events(type?: string, since?: string): Promise<any[]> {
      const query = new URLSearchParams({ limit: '500' })
      if (type) query.set('type', type)
      if (since) query.set('since', since)
      return expectStatus(await call('GET', `/v1/events?${query}`), 200).data
    },
  }
}

/** A new merchant (Asia/Shanghai unless a zone is given) and its API. */
export async function newMerchant(t: TestApp, timezone?: string): Promise<MerchantApi & { merchantId: string }> {
  const { merchantId, apiKey } = await t.merchant(undefined, timezone)
  return { ...merchantApi(t, apiKey), merchantId }
}

/** Epoch ms of an API timestamp. */
export function ms(timestamp: string): number {
  const value = Date.parse(timestamp)
  assert.ok(Number.isFinite(value), `not a timestamp: ${timestamp}`)
  return value
}
