/**
 * Writes web/shared/api-types.ts: the TypeScript types of the API as the server's own OpenAPI document
 * declares it (request bodies, parameters, and the responses routes declare), for the web apps.
 * Run it after changing a route schema; a test fails while the checked-in file is stale.
 *
 *   node scripts/api-types.ts [--check]
 */
import { isDeepStrictEqual } from 'node:util'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import openapiTS, { astToString, type OpenAPI3, type ReferenceObject, type ResponseObject, type SchemaObject } from 'openapi-typescript'
import { buildApp } from '../src/app.ts'
import { openDatabase } from '../src/db/database.ts'
import { systemClock } from '../src/ports/clock.ts'
import { MemoryNotifier } from '../src/ports/notifier.ts'
import { createSecrets } from '../src/ports/secrets.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const API_TYPES_FILE = path.join(ROOT, 'web/shared/api-types.ts')

const HEADER = `/**
 * The API's types, generated from the server's OpenAPI document by \`npm run api-types\`: do not edit.
 * Use them through web/shared/api-schema.ts.
 */
`

/** The OpenAPI document of an app built on a throw-away database (nothing is read from it). */
export async function openApiDocument(): Promise<OpenAPI3> {
  const database = openDatabase('sqlite::memory:')
  const app = await buildApp({
    database,
    clock: systemClock,
    secrets: createSecrets(Buffer.alloc(32)),
    notifier: new MemoryNotifier(),
    publicUrl: 'http://kabao.invalid',
    allowPrivateWebhookDestinations: false,
  })
  try {
    await app.ready()
    return structuredClone(app.swagger()) as OpenAPI3
  } finally {
    await app.close()
    await database.close()
  }
}

type Json = Record<string, unknown>
const PROBLEM_PROPERTIES = ['type', 'title', 'status', 'detail', 'code', 'errors', 'request_id', 'challenge_id']

/** Whether a response schema is the problem+json body (src/http/schemas.ts ProblemSchema). */
function isProblem(schema: unknown): schema is SchemaObject {
  const properties = (schema as Json | undefined)?.properties
  return typeof properties === 'object' && properties !== null && isDeepStrictEqual(Object.keys(properties), PROBLEM_PROPERTIES)
}

/**
 * Every route repeats the problem answers, one for each error status; named ones instead (a `Problem`
 * schema, and a `ProblemNNN` response per status) keep the types small and give the web apps the closed
 * list of error codes.
 */
export function nameProblemSchema(document: OpenAPI3): OpenAPI3 {
  let problem: SchemaObject | undefined
  const named: Record<string, ResponseObject> = {}
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations as Record<string, Json>)) {
      const responses = (operation.responses ?? {}) as Record<string, ResponseObject | ReferenceObject>
      for (const [status, response] of Object.entries(responses)) {
        const media = 'content' in response ? response.content?.['application/json'] : undefined
        if (!media || !isProblem(media.schema)) continue
        const { description: _description, ...shape } = media.schema
        problem ??= shape as SchemaObject
        if (!isDeepStrictEqual(problem, shape)) throw new Error('two routes declare different problem bodies')
        media.schema = { $ref: '#/components/schemas/Problem' }
        const name = `Problem${status}`
        named[name] ??= response as ResponseObject
        if (isDeepStrictEqual(named[name], response)) responses[status] = { $ref: `#/components/responses/${name}` }
      }
    }
  }
  if (problem) {
    const components = (document.components ??= {})
    components.schemas = { ...components.schemas, Problem: { ...problem, description: 'A problem (RFC 9457); switch on `code`' } }
    components.responses = { ...components.responses, ...named }
  }
  return document
}

/** The text of web/shared/api-types.ts for the server as it is now. */
export async function generateApiTypes(): Promise<string> {
  const document = nameProblemSchema(await openApiDocument())
  const nodes = await openapiTS(document, { silent: true })
  return HEADER + astToString(nodes)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = await generateApiTypes()
  if (process.argv.includes('--check')) {
    const current = readFileSync(API_TYPES_FILE, 'utf8')
    if (current !== text) {
      console.error(`${path.relative(ROOT, API_TYPES_FILE)} is stale: run npm run api-types`)
      process.exit(1)
    }
  } else {
    writeFileSync(API_TYPES_FILE, text)
    console.error(`wrote ${path.relative(ROOT, API_TYPES_FILE)}`)
  }
}
