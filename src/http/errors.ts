import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import type { FieldError } from '../domain/types.ts'

/** A business or request error with a stable `code` that clients switch on. */
export class AppError extends Error {
  readonly code: string
  readonly detail: string
  readonly errors: FieldError[] | undefined
  constructor(code: string, detail: string, errors?: FieldError[]) {
    super(detail)
    this.code = code
    this.detail = detail
    this.errors = errors
  }
}

export function validationFailed(errors: FieldError[], detail = 'The request has invalid fields.'): AppError {
  return new AppError('validation_failed', detail, errors)
}

/** HTTP status of every error code; a code missing here is a bug and answers 500. */
const STATUS_BY_CODE: Record<string, number> = {
  malformed_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  card_not_found: 404,
  code_not_found: 404,
  store_not_found: 404,
  coupon_not_found: 404,
  redemption_not_found: 404,
  api_key_not_found: 404,
  claim_link_not_found: 404,
  method_not_allowed: 405,
  unsupported_media_type: 415,
  payload_too_large: 413,
  validation_failed: 422,
  below_threshold: 422,
  idempotency_key_reused: 422,
  request_in_progress: 409,
  out_of_stock: 409,
  get_limit_reached: 409,
  card_not_active: 409,
  insufficient_stock: 409,
  already_redeemed: 409,
  already_reversed: 409,
  expired: 409,
  not_yet_valid: 409,
  voided: 409,
  outside_usable_hours: 409,
  store_not_allowed: 409,
  invalid_state: 409,
  claim_link_inactive: 409,
  otp_invalid: 401,
  otp_rate_limited: 429,
  rate_limited: 429,
  capability_not_allowed: 403,
  service_unavailable: 503,
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Content Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content',
  429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
}

export function statusOf(code: string): number {
  return STATUS_BY_CODE[code] ?? 500
}

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  code: string
  errors?: FieldError[]
  request_id?: string
}

export function problemOf(code: string, detail: string, errors?: FieldError[]): Problem {
  const status = statusOf(code)
  const problem: Problem = { type: `https://kabao.dev/problems/${code}`, title: TITLES[status] ?? 'Error', status, detail, code }
  if (errors && errors.length > 0) problem.errors = errors
  return problem
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type('application/problem+json').send(problem)
}

/** `/validity/days` → `validity.days`, `/tiers/1/reduce_cost` → `tiers[1].reduce_cost`. */
function fieldFromPointer(pointer: string): string {
  let field = ''
  for (const part of pointer.split('/').filter(Boolean)) {
    const name = part.replace(/~1/g, '/').replace(/~0/g, '~')
    field += /^\d+$/.test(name) ? `[${name}]` : field === '' ? name : `.${name}`
  }
  return field
}

interface AjvIssue {
  instancePath: string
  keyword: string
  message?: string
  params: Record<string, unknown>
}

export function fieldErrorsFromAjv(issues: AjvIssue[], prefix: string): FieldError[] {
  const errors: FieldError[] = []
  const seen = new Set<string>()
  for (const issue of issues) {
    let field = fieldFromPointer(issue.instancePath)
    let code = issue.keyword === 'type' ? 'invalid_type' : issue.keyword
    let message = issue.message ?? 'is invalid'
    if (issue.keyword === 'required') {
      const missing = String(issue.params.missingProperty)
      field = field ? `${field}.${missing}` : missing
      code = 'required'
      message = 'is required'
    } else if (issue.keyword === 'additionalProperties') {
      const extra = String(issue.params.additionalProperty)
      field = field ? `${field}.${extra}` : extra
      code = 'unknown_field'
      message = 'is not a known field'
    }
    // anyOf/oneOf produce a summary line plus the branch details; the branch lines say more.
    if (issue.keyword === 'anyOf' || issue.keyword === 'oneOf') continue
    if (prefix !== 'body') field = field ? `${field}` : prefix
    const key = `${field}|${code}`
    if (seen.has(key)) continue
    seen.add(key)
    errors.push({ field: field || prefix, code, message })
  }
  return errors
}

/** Maps anything thrown by a route to a problem+json response; internals never reach the client. */
export function handleError(error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof AppError) return sendProblem(reply, problemOf(error.code, error.detail, error.errors))
  const fastifyError = error as FastifyError & { validation?: AjvIssue[]; validationContext?: string }
  if (fastifyError.validation) {
    const errors = fieldErrorsFromAjv(fastifyError.validation, fastifyError.validationContext ?? 'body')
    return sendProblem(reply, problemOf('validation_failed', 'The request has invalid fields.', errors))
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return sendProblem(reply, problemOf('payload_too_large', 'The request body is larger than the limit of 1 MiB.'))
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendProblem(reply, problemOf('unsupported_media_type', 'Send the body as application/json.'))
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return sendProblem(reply, problemOf('malformed_request', 'The request body is empty or its length is wrong.'))
  }
  if (fastifyError.statusCode === 400 || error instanceof SyntaxError) {
    return sendProblem(reply, problemOf('malformed_request', 'The request body is not valid JSON.'))
  }
  if (fastifyError.statusCode === 413) {
    return sendProblem(reply, problemOf('payload_too_large', 'The request body is too large.'))
  }
  request.log.error({ err: error }, 'unhandled error')
  const problem = problemOf('internal_error', `Something went wrong on our side. Quote request id ${request.id} when reporting it.`)
  problem.request_id = String(request.id)
  return sendProblem(reply, problem)
}
