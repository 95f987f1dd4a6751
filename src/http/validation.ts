import { Ajv, type Options } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'

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
