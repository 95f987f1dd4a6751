import { Ajv, type Options } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify'
import { AppError } from './errors.ts'

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
      return validate(value) ? { value } : { error: validationError(validate.errors ?? []) }
    }
  }
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
