import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import type { FieldError, ProblemParams } from '../domain/types.ts'
import { AppError, statusOf, type ErrorCode } from '../errors.ts'

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  408: 'Request Timeout', 409: 'Conflict', 413: 'Content Too Large', 414: 'URI Too Long', 415: 'Unsupported Media Type', 422: 'Unprocessable Content', 428: 'Precondition Required',
  429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 503: 'Service Unavailable',
}

export interface Problem extends ProblemParams {
  type: string
  title: string
  status: number
  detail: string
  code: ErrorCode
  errors?: FieldError[]
  request_id?: string
}

export function problemOf(code: ErrorCode, detail: string, errors?: FieldError[], params?: ProblemParams): Problem {
  const status = statusOf(code)
  const problem: Problem = { type: `https://kabao.dev/problems/${code}`, title: TITLES[status] ?? 'Error', status, detail, code, ...params }
  if (errors && errors.length > 0) problem.errors = errors
  return problem
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  if (problem.code === 'unauthenticated') reply.header('www-authenticate', 'Bearer')
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

/** Enough to fix a request; a body with thousands of bad items would otherwise answer with thousands of lines. */
const MAX_FIELD_ERRORS = 50

const TYPE_NAMES: Record<string, string> = {
  integer: 'an integer', number: 'a number', string: 'a string', object: 'an object', array: 'an array', boolean: 'true or false', null: 'null',
}

/** A plain sentence for each schema rule, in the terms a client developer uses. */
function messageOf(issue: AjvIssue): string {
  const p = issue.params
  switch (issue.keyword) {
    case 'type':
      return `must be ${String(p.type).split(',').map((t) => TYPE_NAMES[t] ?? t).join(' or ')}`
    case 'minimum':
      return `must be at least ${p.limit}`
    case 'maximum':
      return `must be at most ${p.limit}`
    case 'minLength':
      return `must be at least ${p.limit} characters`
    case 'maxLength':
      return `must be at most ${p.limit} characters`
    case 'minItems':
      return `must have at least ${p.limit} items`
    case 'maxItems':
      return `must have at most ${p.limit} items`
    case 'minProperties':
      return `must have at least ${p.limit} field${p.limit === 1 ? '' : 's'}`
    case 'format':
      return p.format === 'date-time' ? 'must be an ISO 8601 date-time with offset, e.g. 2030-01-31T10:00:00+08:00' : `must be a valid ${p.format}`
    case 'pattern':
      return `must match ${p.pattern}`
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`
    default:
      return issue.message ?? 'is invalid'
  }
}

/** `Nullable(x)` fails its null branch whenever x fails; only x's complaint says something. */
function isNullBranch(issue: AjvIssue): boolean {
  return issue.keyword === 'type' && issue.params.type === 'null'
}

function isSummary(issue: AjvIssue): boolean {
  return issue.keyword === 'anyOf' || issue.keyword === 'oneOf'
}

export function fieldErrorsFromAjv(issues: AjvIssue[], prefix: string): FieldError[] {
  const errors: FieldError[] = []
  const byKey = new Map<string, FieldError>()
  // A union of literals (an enum) fails once per literal: gather them into one "must be one of".
  const allowed = new Map<FieldError, unknown[]>()
  const informative = issues.filter((i) => !isSummary(i) && !isNullBranch(i)).map((i) => i.instancePath)
  for (const issue of issues) {
    if (isSummary(issue)) continue
    if (isNullBranch(issue) && informative.some((path) => path === issue.instancePath || path.startsWith(`${issue.instancePath}/`))) continue
    let field = fieldFromPointer(issue.instancePath)
    let code = issue.keyword === 'type' ? 'invalid_type' : issue.keyword
    let message = messageOf(issue)
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
    field ||= prefix
    const key = `${field}|${code}`
    const seen = byKey.get(key)
    if (seen) {
      if (code === 'const') {
        const values = allowed.get(seen) ?? []
        values.push(issue.params.allowedValue)
        seen.message = `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}`
      }
      continue
    }
    const error = { field, code, message }
    if (code === 'const') allowed.set(error, [issue.params.allowedValue])
    byKey.set(key, error)
    errors.push(error)
  }
  return errors
}

/**
 * The raw HTTP response to a request Node could not even parse (bad HTTP, headers too large, too slow);
 * there is no request object yet, so it is written to the socket as is.
 */
export function clientErrorResponse(error: NodeJS.ErrnoException, requestId: string): string {
  const problem =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? problemOf('request_timeout', 'The request was not received in time.')
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? problemOf('headers_too_large', 'The request headers are too large.')
        : problemOf('malformed_request', 'The request is not valid HTTP.')
  const body = JSON.stringify(problem)
  return (
    `HTTP/1.1 ${problem.status} ${problem.title}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nConnection: close\r\n\r\n${body}`
  )
}

/** The problem for an error Fastify raises before a route runs (a URL it cannot route). */
export function frameworkProblem(error: FastifyError): Problem {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') return problemOf('uri_too_long', 'A part of the URL path is too long to be an id.')
  return problemOf('malformed_request', 'The URL is not valid; check its percent-encoding.')
}

const CODE_BY_CLIENT_STATUS: Record<number, ErrorCode> = {
  404: 'not_found', 405: 'method_not_allowed', 408: 'request_timeout', 413: 'payload_too_large', 414: 'uri_too_long', 415: 'unsupported_media_type', 431: 'headers_too_large',
}

/** "The request has invalid fields: title, validity.days." — the list says it all at a glance. */
function validationDetail(errors: FieldError[]): string {
  const fields = [...new Set(errors.map((e) => e.field))]
  const shown = fields.slice(0, 5).join(', ')
  if (fields.length <= 5) return `The request has invalid fields: ${shown}.`
  const listed = errors.length > MAX_FIELD_ERRORS ? `; the first ${MAX_FIELD_ERRORS} errors are listed` : ''
  return `The request has ${fields.length} invalid fields: ${shown} and more${listed}.`
}

/** Maps anything thrown by a route to a problem+json response; internals never reach the client. */
export function handleError(error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof AppError) return sendProblem(reply, problemOf(error.code, error.detail, error.errors, error.params))
  const fastifyError = error as FastifyError & { validation?: AjvIssue[]; validationContext?: string }
  if (fastifyError.validation) {
    const errors = fieldErrorsFromAjv(fastifyError.validation, fastifyError.validationContext ?? 'body')
    return sendProblem(reply, problemOf('validation_failed', validationDetail(errors), errors.slice(0, MAX_FIELD_ERRORS)))
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return sendProblem(reply, problemOf('payload_too_large', 'The request body is larger than the limit of 1 MiB.'))
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendProblem(reply, problemOf('unsupported_media_type', 'Send the body as application/json.'))
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return sendProblem(reply, problemOf('malformed_request', 'The request body is shorter or longer than its Content-Length.'))
  }
  // Other client errors raised by Fastify or a plugin: the nearest stable code for the status.
  const status = fastifyError.statusCode ?? 500
  if (status >= 400 && status < 500) {
    const code = CODE_BY_CLIENT_STATUS[status] ?? 'malformed_request'
    return sendProblem(reply, problemOf(code, code === 'not_found' ? `There is no ${request.method} ${request.url.split('?')[0]}.` : 'The request could not be processed as sent.'))
  }
  request.log.error({ err: error }, 'unhandled error')
  const problem = problemOf('internal_error', `Something went wrong on our side. Quote request id ${request.id} when reporting it.`)
  problem.request_id = String(request.id)
  return sendProblem(reply, problem)
}
