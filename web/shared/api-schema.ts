/**
 * The API's shapes by route, from the generated api-types.ts (`npm run api-types`): a page names what a
 * route answers instead of writing the interface again, e.g. `ResponseOf<'/v1/stores/{store_id}', 'get'>`.
 * A route that declares no response yet answers `never` here; its page keeps a hand-written interface.
 */
import type { components, paths } from './api-types.ts'

export type Schemas = components['schemas']
export type Path = keyof paths
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete'

/** The closed list of problem codes the server answers with (src/errors.ts). */
export type ErrorCode = Schemas['Problem']['code']

type JsonOf<R> = R extends { content: { 'application/json': infer Body } } ? Body : never
type Operation<P extends Path, M extends Method> = paths[P][M]

/** The JSON body of a route's success answer (200, 201 or 202) as the route declares it. */
export type ResponseOf<P extends Path, M extends Method> =
  Operation<P, M> extends { responses: infer R } ? { [S in keyof R]: S extends 200 | 201 | 202 ? JsonOf<R[S]> : never }[keyof R] : never

/** The JSON body a route takes. */
export type BodyOf<P extends Path, M extends Method> = Operation<P, M> extends { requestBody?: infer B } ? JsonOf<NonNullable<B>> : never

/** One item of a list route's page. */
export type ItemOf<P extends Path> = ResponseOf<P, 'get'> extends { data: (infer Item)[] } ? Item : never
