import assert from 'node:assert/strict'
import type { Response, TestApp } from './app.ts'

/** The session cookie a response set, as `name=value`, with its attributes for inspection. */
export function sessionCookieOf(res: Response): { pair: string; attributes: string } {
  const header = res.headers['set-cookie']
  const cookies = Array.isArray(header) ? header : header === undefined ? [] : [String(header)]
  const cookie = cookies.find((c) => c.startsWith('kabao_session='))
  assert.ok(cookie, `no session cookie in ${JSON.stringify(header)}`)
  const [pair, ...attributes] = cookie.split(';').map((part) => part.trim())
  return { pair, attributes: attributes.join('; ') }
}

export type StaffClient = Awaited<ReturnType<typeof signInStaff>>

/** A browser-like staff client: sends the session cookie, and the CSRF token with writes (unless told not to). */
export function staffClient(t: TestApp, cookie: string, csrfToken: string) {
  const call = (method: string, url: string, body?: unknown, options: { csrf?: string | null } = {}) => {
    const headers: Record<string, string> = { cookie }
    const csrf = options.csrf === undefined ? csrfToken : options.csrf
    if (method !== 'GET' && csrf !== null) headers['x-kabao-csrf'] = csrf
    return t.request(method, url, { body, headers })
  }
  return {
    cookie,
    csrfToken,
    call,
    get: (url: string) => call('GET', url),
    post: (url: string, body?: unknown, options?: { csrf?: string | null }) => call('POST', url, body, options),
    patch: (url: string, body: unknown) => call('PATCH', url, body),
  }
}

/** Signs in through the API as the console does; asserts it worked. */
export async function signInStaff(t: TestApp, login: string, password: string) {
  const res = await t.request('POST', '/v1/staff/sessions', { body: { login, password } })
  assert.equal(res.status, 201, res.text)
  return { ...staffClient(t, sessionCookieOf(res).pair, res.body.csrf_token), session: res.body }
}

/** Runs the first-run setup; returns the owner's client. */
export async function setUpOwner(t: TestApp, login = 'owner@tea.example', password = 'correct horse battery') {
  const res = await t.request('POST', '/v1/setup', { body: { merchant_name: 'Tea House', login, password } })
  assert.equal(res.status, 201, res.text)
  return { ...staffClient(t, sessionCookieOf(res).pair, res.body.csrf_token), session: res.body }
}
