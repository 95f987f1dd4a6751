import { Ajv, type Options, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifyInstance, FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify'
import { AppError } from '../errors.ts'

function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, ...options })
  ;(addFormats as unknown as (a: Ajv) => void)(ajv)
  return ajv
}

/**
 * Bodies are checked strictly: a string where a number belongs is an error, never coerced, so
 * `"reduce_cost": "100"` is reported instead of silently accepted. Query strings and path parameters are
 * text by nature and are coerced.
 */
export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = makeAjv({ coerceTypes: false })
  const coercing = makeAjv({ coerceTypes: true })
  return ({ schema, httpPart }) => {
    const validate = (httpPart === 'body' ? strict : coercing).compile(schema as object)
    return (data: unknown) => {
      // A missing body is checked as an empty object: the client learns which fields are required.
      const value = httpPart === 'body' && (data === undefined || data === null) ? {} : data
      if (!validate(value)) return { error: validationError(validate.errors ?? []) }
      const nul = nulCharacters(value)
      return nul.length === 0 ? { value } : { error: validationError(nul) }
    }
  }
}

/**
 * Every string and key holding U+0000, as schema issues. PostgreSQL cannot store that character in
 * text or jsonb (SQLite can), so it is refused up front on both engines instead of failing at the write.
 */
function nulCharacters(value: unknown, path = '', found: object[] = []): object[] {
  const issue = (at: string) => found.push({ instancePath: at, keyword: 'nul_character', message: 'must not contain the NUL character (U+0000)', params: {} })
  if (typeof value === 'string') {
    if (value.includes('\u0000')) issue(path)
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => nulCharacters(item, `${path}/${i}`, found))
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const at = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`
      if (key.includes('\u0000')) issue(at)
      else nulCharacters(item, at, found)
    }
  }
  return found
}

/**
 * Responses are written as the handler built them: a response schema documents a body, it does not
 * filter it. With `check` (the tests), each body is first validated against the schema its route
 * declares for the status, and one that does not match fails loudly, so `/openapi.json` stays true.
 * The check treats every object as closed, so a field a handler sends must be in the schema too.
 */
export function serializerCompiler(check: boolean): FastifySerializerCompiler<unknown> {
  return ({ schema, method, url, httpStatus }) => {
    if (!check) return (data) => JSON.stringify(data)
    // Compiled on the first answer, and once per schema for every app in the process: a test app
    // declares several hundred answers and sends few of them.
    let validate: ValidateFunction | undefined
    return (data) => {
      validate ??= closedValidator(schema as object)
      // What is sent is what JSON makes of the body (dates as strings, undefined fields gone).
      const text = JSON.stringify(data)
      if (!validate(text === undefined ? null : JSON.parse(text))) {
        throw new Error(`The ${httpStatus} response of ${method} ${url} does not match its schema: ${exactAjv().errorsText(validate.errors)}`)
      }
      return text
    }
  }
}

let exact: Ajv | undefined
const closedValidators = new WeakMap<object, ValidateFunction>()

function exactAjv(): Ajv {
  return (exact ??= makeAjv({ coerceTypes: false, useDefaults: false }))
}

function closedValidator(schema: object): ValidateFunction {
  let validate = closedValidators.get(schema)
  if (!validate) closedValidators.set(schema, (validate = exactAjv().compile(closed(schema) as object)))
  return validate
}

/** A copy of the schema in which objects that do not say otherwise allow no undeclared properties. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed)
  if (schema === null || typeof schema !== 'object') return schema
  const copy: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) copy[key] = key === 'properties' ? Object.fromEntries(Object.entries(value as object).map(([name, sub]) => [name, closed(sub)])) : closed(value)
  if (copy.type === 'object' && copy.properties && !('additionalProperties' in copy) && !('patternProperties' in copy)) copy.additionalProperties = false
  return copy
}

/** Parsed JSON, path parameters and query strings; a body kept as a stream (CSV uploads) or bytes is not walked. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false
  return typeof (value as { pipe?: unknown }).pipe !== 'function' && !ArrayBuffer.isView(value)
}

function validationError(issues: unknown[]): Error {
  return Object.assign(new Error('validation failed'), { validation: issues })
}

/**
 * Bodies are JSON only (anything else answers 415). An empty body counts as no body, so a route that needs
 * one names its required fields; a body that does not parse answers 400 with the parser's reason.
 */
export function registerJsonBody(app: FastifyInstance): void {
  const secureParse = app.getDefaultJsonParser('error', 'error')
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string
    if (text.trim() === '') return done(null, undefined)
    secureParse(request, text, (error, value) => done(error ? malformedJson(text) : null, value))
  })
}

function malformedJson(text: string): AppError {
  try {
    JSON.parse(text)
  } catch (error) {
    return new AppError('malformed_request', `The request body is not valid JSON: ${(error as Error).message}.`)
  }
  // It parses, so the safe parser refused it for a key that could tamper with object prototypes.
  return new AppError('malformed_request', 'The request body uses a forbidden key (__proto__ or constructor.prototype).')
}
