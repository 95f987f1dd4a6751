import type { ErrorCode, Schemas } from './api-schema.ts'

/** The server's codes, and the client's own: no answer came (`network_error`), or one with no problem body. */
export type ProblemCode = ErrorCode | 'network_error' | 'http_error'

/** A field the server found wrong, as problem+json lists it. */
export interface FieldProblem {
  field: string
  code: string
  message: string
}

/** What a refusal is about (amounts in fen, times, store ids): the problem's extension members. */
export type ProblemParams = Omit<Partial<Schemas['Problem']>, 'type' | 'title' | 'status' | 'detail' | 'code' | 'errors' | 'request_id'>

/** An error answer of the API (RFC 9457 problem+json), or a request that never got an answer. */
export class ApiError extends Error {
  readonly status: number
  readonly code: ProblemCode
  readonly detail: string
  readonly errors: FieldProblem[]
  readonly params: ProblemParams
  constructor(status: number, code: ProblemCode, detail: string, errors: FieldProblem[] = [], params: ProblemParams = {}) {
    super(detail)
    this.status = status
    this.code = code
    this.detail = detail
    this.errors = errors
    this.params = params
  }
  /** No answer came: the connection failed or dropped, so the outcome is unknown. */
  get isNetwork(): boolean {
    return this.status === 0
  }
}

export interface RequestOptions {
  headers?: Record<string, string>
  idempotencyKey?: string
  signal?: AbortSignal
}

export interface ApiClientOptions {
  /** Headers every request carries (the CSRF token, the wallet token). */
  headers?: () => Record<string, string>
  /** Called on a 401, e.g. to send the user to the sign-in page. */
  onUnauthenticated?: (error: ApiError) => void
}

export type ApiClient = ReturnType<typeof createApiClient>

export function createApiClient(options: ApiClientOptions = {}) {
  async function request<T>(method: string, url: string, body?: unknown, extra: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers?.(), ...extra.headers }
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (extra.idempotencyKey) headers['idempotency-key'] = extra.idempotencyKey
    let response: Response
    try {
      response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', signal: extra.signal })
    } catch (error) {
      throw new ApiError(0, 'network_error', (error as Error).message || 'The network request failed.')
    }
    if (response.status === 204) return undefined as T
    const text = await response.text()
    let parsed: unknown
    try {
      parsed = text ? JSON.parse(text) : undefined
    } catch {
      parsed = undefined
    }
    if (!response.ok) {
      // An error answer is problem+json, unless something before the server (a proxy) answered.
      const problem: Partial<Schemas['Problem']> = typeof parsed === 'object' && parsed !== null ? parsed : {}
      const { type: _type, title: _title, status: _status, detail, code, errors, request_id: _requestId, ...params } = problem
      const error = new ApiError(response.status, code ?? 'http_error', detail ?? `HTTP ${response.status}`, errors ?? [], params)
      if (response.status === 401) options.onUnauthenticated?.(error)
      throw error
    }
    return parsed as T
  }
  return {
    request,
    get: <T>(url: string, extra?: RequestOptions) => request<T>('GET', url, undefined, extra),
    post: <T>(url: string, body?: unknown, extra?: RequestOptions) => request<T>('POST', url, body, extra),
    patch: <T>(url: string, body: unknown, extra?: RequestOptions) => request<T>('PATCH', url, body, extra),
    put: <T>(url: string, body: unknown, extra?: RequestOptions) => request<T>('PUT', url, body, extra),
    delete: <T>(url: string, extra?: RequestOptions) => request<T>('DELETE', url, undefined, extra),
    del: <T>(url: string, extra?: RequestOptions) => request<T>('DELETE', url, undefined, extra),
  }
}

/** A list page as every list endpoint answers it. */
export interface Page<T> {
  data: T[]
  next_cursor: string | null
}

/** A query string from the defined values only. */
export function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value))
  const text = search.toString()
  return text ? `?${text}` : ''
}

/** A fresh Idempotency-Key; works on plain http too, where crypto.randomUUID is missing. */
export function newIdempotencyKey(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return `${prefix}-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`
}
