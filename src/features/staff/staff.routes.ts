import { Type } from 'typebox'
import { pick } from '../../pick.ts'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AppContext } from '../../app-context.ts'
import { merchantOf, staffOf } from '../../http/auth.ts'
import { AppError } from '../../errors.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { IdParam, ListQuery, NoContent, Nullable, Timestamp, listOf, responses } from '../../http/schemas.ts'
import type { FeatureApp } from '../feature.ts'
import { decodeCursor, page } from '../../pagination.ts'
import { formatInstant, formatOptionalInstant } from '../../domain/time.ts'
import { loadMerchant } from '../merchants/merchants.service.ts'
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './passwords.ts'
import { clearSessionCookie, csrfTokenFor, setSessionCookie } from './sessions.ts'
import { STAFF_ROLES } from '../../principals.ts'
import {
  LoginRateLimited,
  changeOwnPassword,
  createStaff,
  findStaff,
  runFirstSetup,
  setupStatus,
  signIn,
  updateStaff,
  type SignedIn,
  type StaffRow,
} from './staff.service.ts'
import { listStaff, revokeSession } from './staff.repository.ts'

const Login = Type.String({ minLength: 1, maxLength: 100, description: 'An e-mail address or a user name; case does not matter' })
const Password = Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH })
const Role = Type.Enum(STAFF_ROLES, { description: 'owner | operator | clerk (redeems in store_id) | analyst (reads)' })
const StoreId = Nullable(Type.String({ minLength: 1, maxLength: 100, description: 'The store a clerk redeems in; clerks only' }))

const StaffSchema = Type.Object({
  id: Type.String(),
  login: Type.String(),
  name: Type.String(),
  role: Role,
  store_id: Nullable(Type.String()),
  disabled: Type.Boolean(),
  last_login_at: Nullable(Timestamp),
  created_at: Timestamp,
})

const SessionSchema = Type.Object({
  staff: StaffSchema,
  merchant: Type.Object({ id: Type.String(), name: Type.String(), timezone: Type.String() }),
  csrf_token: Type.String({ description: 'Send it in X-Kabao-Csrf with every write' }),
  expires_at: Timestamp,
})

const SetupStatusSchema = Type.Object({ setup_required: Type.Boolean(), merchants_exist: Type.Boolean() })

function presentStaff(row: StaffRow, tz: string) {
  return {
    ...pick(row, ['id', 'login', 'name', 'role', 'store_id']),
    disabled: row.disabled_at !== null,
    last_login_at: formatOptionalInstant(row.last_login_at, tz),
    created_at: formatInstant(row.created_at, tz),
  }
}

/** What the web apps need after signing in: who, for which merchant, and the token for writes. */
async function presentSession(ctx: AppContext, staff: StaffRow, csrfToken: string, expiresAt: number) {
  const merchant = await loadMerchant(ctx.database.db, staff.merchant_id)
  return {
    staff: presentStaff(staff, merchant.timezone),
    merchant: { id: merchant.id, name: merchant.name, timezone: merchant.timezone },
    csrf_token: csrfToken,
    expires_at: formatInstant(expiresAt, merchant.timezone),
  }
}

async function startedSession(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, signedIn: SignedIn) {
  setSessionCookie(ctx, request, reply, signedIn.token, signedIn.expiresAt)
  return reply.code(201).send(await presentSession(ctx, signedIn.staff, csrfTokenFor(ctx, signedIn.token), signedIn.expiresAt))
}

/**
 * Sign-in and first-run are sent before there is a session, so a page of another site could post them
 * (signing the victim in to the attacker's account); a browser always says where such a post comes from.
 */
function refuseForeignOrigin(ctx: AppContext, request: FastifyRequest): void {
  const origin = request.headers.origin
  if (origin === undefined) return
  let host: string
  try {
    host = new URL(origin).host
  } catch {
    host = ''
  }
  // Behind a proxy the pages' host is the public one, which the Host header may not show.
  const ours = [request.headers.host, new URL(ctx.publicUrl).host]
  if (!ours.includes(host)) throw new AppError('forbidden', 'Sign in from the Kabao pages of this server.')
}

export async function staffRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  const { db } = ctx.database
  const open = { auth: 'none' as const }
  const sessionOnly = { auth: 'staff' as const }

  app.get(
    '/v1/setup',
    {
      config: open,
      schema: {
        tags: ['staff'],
        summary: 'Whether this installation still needs its first owner (the first-run page), and whether it has merchants already',
        security: [],
        response: responses({ 200: SetupStatusSchema }),
      },
    },
    async () => setupStatus(db),
  )

  app.post(
    '/v1/setup',
    {
      config: { ...open, idempotency: false, rateLimit: 'sign_in' },
      schema: {
        tags: ['staff'],
        summary: 'First run: create the merchant and its owner, signed in at once. Only while no staff account (setup_closed) and no merchant (setup_done) exists',
        security: [],
        body: Type.Object(
          {
            merchant_name: Type.String({ minLength: 1, maxLength: 100 }),
            timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            login: Login,
            name: Type.Optional(Type.String({ maxLength: 100 })),
            password: Password,
          },
          { additionalProperties: false },
        ),
        response: responses({ 201: SessionSchema }),
      },
    },
    async (request, reply) => {
      refuseForeignOrigin(ctx, request)
      const { body } = request
      const signedIn = await runFirstSetup(ctx, { merchantName: body.merchant_name, timezone: body.timezone, login: body.login, name: body.name, password: body.password })
      return startedSession(ctx, request, reply, signedIn)
    },
  )

  app.post(
    '/v1/staff/sessions',
    {
      config: { ...open, idempotency: false, rateLimit: 'sign_in' },
      schema: {
        tags: ['staff'],
        summary: 'Staff sign-in: sets the HttpOnly session cookie and returns the CSRF token that writes must send in X-Kabao-Csrf',
        security: [],
        body: Type.Object({ login: Login, password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }) }, { additionalProperties: false }),
        response: responses({ 201: SessionSchema }),
      },
    },
    async (request, reply) => {
      refuseForeignOrigin(ctx, request)
      try {
        return await startedSession(ctx, request, reply, await signIn(ctx, { ...request.body, address: request.ip }))
      } catch (error) {
        if (error instanceof LoginRateLimited) reply.header('retry-after', String(error.retryAfterSeconds))
        throw error
      }
    },
  )

  app.get('/v1/staff/session', { config: sessionOnly, schema: { tags: ['staff'], summary: 'The signed-in staff member, the merchant and the CSRF token', response: responses({ 200: SessionSchema }) } }, async (request) => {
    const session = staffOf(request)
    return presentSession(ctx, await findStaff(db, session.merchantId, session.staffId), session.csrfToken, session.expiresAt)
  })

  app.delete('/v1/staff/session', { config: sessionOnly, schema: { tags: ['staff'], summary: 'Sign out: ends this session', response: responses({ 204: NoContent }) } }, async (request, reply) => {
    const session = staffOf(request)
    await revokeSession(db, session.merchantId, session.sessionId, ctx.clock.now())
    clearSessionCookie(reply)
    return reply.code(204).send(null)
  })

  app.post(
    '/v1/staff/session/password',
    {
      config: sessionOnly,
      schema: {
        tags: ['staff'],
        summary: 'Change my own password; my other sessions are signed out',
        body: Type.Object({ current_password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }), new_password: Password }, { additionalProperties: false }),
        response: responses({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      const session = staffOf(request)
      await changeOwnPassword(ctx, session.merchantId, session.staffId, session.sessionId, request.body)
      return reply.code(204).send(null)
    },
  )

  app.get('/v1/staff', { schema: { tags: ['staff'], summary: 'List staff accounts', querystring: ListQuery, response: responses({ 200: listOf(StaffSchema) }) } }, async (request) => {
    const { merchantId, merchantTz } = merchantOf(request)
    const { query } = request
    const limit = query.limit ?? 50
    return page(await listStaff(db, merchantId, decodeCursor(query.cursor), limit + 1), limit, (row) => presentStaff(row, merchantTz))
  })

  app.post(
    '/v1/staff',
    {
      config: { ownerOnly: true },
      schema: {
        tags: ['staff'],
        summary: 'Create a staff account (owners only when signed in as staff)',
        body: Type.Object({ login: Login, name: Type.Optional(Type.String({ maxLength: 100 })), password: Password, role: Role, store_id: Type.Optional(StoreId) }, { additionalProperties: false }),
        response: responses({ 201: StaffSchema }),
      },
    },
    async (request, reply) => {
      const { merchantId, merchantTz } = merchantOf(request)
      return reply.code(201).send(presentStaff(await createStaff(ctx, merchantId, request.body, idempotencyRefOf(request)), merchantTz))
    },
  )

  app.get('/v1/staff/:staff_id', { schema: { tags: ['staff'], summary: 'Get a staff account', params: IdParam('staff_id'), response: responses({ 200: StaffSchema }) } }, async (request) => {
    const { merchantId, merchantTz } = merchantOf(request)
    return presentStaff(await findStaff(db, merchantId, request.params.staff_id), merchantTz)
  })

  app.patch(
    '/v1/staff/:staff_id',
    {
      config: { ownerOnly: true },
      schema: {
        tags: ['staff'],
        summary: 'Change a staff account: name, role, store, password, or disable it (which signs it out everywhere)',
        params: IdParam('staff_id'),
        body: Type.Object(
          { name: Type.Optional(Type.String({ maxLength: 100 })), role: Type.Optional(Role), store_id: Type.Optional(StoreId), password: Type.Optional(Password), disabled: Type.Optional(Type.Boolean()) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: responses({ 200: StaffSchema }),
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      return presentStaff(await updateStaff(ctx, merchantId, request.params.staff_id, request.body, request.staff?.sessionId), merchantTz)
    },
  )
}
