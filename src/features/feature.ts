import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { AppContext } from '../app-context.ts'

/** The app as features see it: TypeBox route schemas type each handler's body, params, query and reply. */
export type FeatureApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>

/** A capability's HTTP routes. */
export type Feature = (app: FeatureApp, ctx: AppContext) => Promise<void> | void
