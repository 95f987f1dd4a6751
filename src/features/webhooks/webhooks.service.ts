import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { fromJson, toJson } from '../../db/database.ts'
import { matchesSubscription } from '../../domain/webhooks.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { madeByRequest } from '../idempotency/idempotency.repository.ts'
import { onceForRequest } from '../idempotency/request-refs.ts'
import { newId, randomToken } from '../../ports/ids.ts'
import { eventExists, listEventTypesSince, recordEvent } from '../events/events.repository.ts'
import type { EndpointDisabledCode, EndpointKind } from './webhooks.table.ts'
import {
  deleteEndpointWithLog,
  disableEnabledEndpoint,
  findEndpointRow,
  insertEndpoint,
  insertOrRestartDeliveries,
  replaceEndpointSecret,
  updateEndpointRow,
  type DeliveryRow,
  type EndpointRow,
} from './webhooks.repository.ts'
import { destinationRefusal } from '../../ports/webhook-client.ts'

export type { EndpointRow }

/** After a rotation the old secret keeps signing (next to the new one) this long. */
export const SECRET_ROTATION_GRACE_MS = 24 * 60 * 60 * 1000

/** Events resent per transaction by a redelivery. */
const REDELIVER_BATCH = 500

export interface EndpointInput {
  url?: string
  events?: string[]
  description?: string | null
}

function newWebhookSecret(): string {
  return `whsec_${randomToken(32)}`
}

/** Only absolute http(s) URLs: the receiver is the merchant's own server. */
function checkUrl(url: string): string {
  let parsed: URL | null = null
  try {
    parsed = new URL(url)
  } catch {
    parsed = null
  }
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || parsed.username !== '' || parsed.password !== '') {
    throw validationFailed([{ field: 'url', code: 'invalid', message: 'must be an absolute http:// or https:// URL without credentials' }])
  }
  return url
}

/**
 * A checked URL that deliveries may go to: unless private destinations are allowed, not a private or
 * internal address, nor a name resolving only to such (each delivery checks the address it connects to too).
 */
async function allowedUrl(ctx: AppContext, url: string): Promise<string> {
  checkUrl(url)
  if (ctx.allowPrivateWebhookDestinations) return url
  const refusal = await destinationRefusal(url)
  if (refusal === null) return url
  throw new AppError('webhook_url_not_allowed', 'Webhooks are not sent to private or internal network addresses on this server.', [
    { field: 'url', code: 'not_allowed', message: refusal },
  ])
}

/** The subscribed types, deduplicated; absent means every event (`*`). */
function subscriptions(events: string[] | undefined): string[] {
  return events === undefined ? ['*'] : [...new Set(events)]
}

export function endpointEvents(endpoint: Pick<EndpointRow, 'events'>): string[] {
  return fromJson<string[]>(endpoint.events)
}

/** An endpoint of the webhook API (or, with `kind`, a WeChat app's push destination: the webhook API never sees those). */
export async function findEndpoint(db: Db, merchantId: string, endpointId: string, kind: EndpointKind = 'webhook'): Promise<EndpointRow> {
  const row = await findEndpointRow(db, merchantId, endpointId)
  if (!row || (row.kind ?? 'webhook') !== kind) throw new AppError('webhook_endpoint_not_found', 'There is no webhook endpoint with this id.')
  return row
}

/** The secrets a delivery is signed with now: the current one, and the previous one during its grace period. */
export function signingSecrets(ctx: AppContext, endpoint: Pick<EndpointRow, 'secret_enc' | 'prev_secret_enc' | 'prev_secret_until'>, now: number): string[] {
  const secrets = [ctx.secrets.unseal(endpoint.secret_enc)]
  if (endpoint.prev_secret_enc !== null && endpoint.prev_secret_until !== null && endpoint.prev_secret_until > now) {
    secrets.push(ctx.secrets.unseal(endpoint.prev_secret_enc))
  }
  return secrets
}

/** A new endpoint, enabled, with a fresh signing secret (returned here only). */
/**
 * Registers an endpoint with a new signing secret. A retry of the Idempotency-Key request registering it
 * (`requestRef`) after a crash finds it, with its secret (the current one, should it have been rotated since).
 */
export async function createEndpoint(ctx: AppContext, merchantId: string, input: EndpointInput & { url: string }, requestRef: string | null = null): Promise<{ endpoint: EndpointRow; secret: string }> {
  const { db } = ctx.database
  const withSecret = async (id: string) => {
    const endpoint = await findEndpoint(db, merchantId, id)
    return { endpoint, secret: ctx.secrets.unseal(endpoint.secret_enc) }
  }
  return onceForRequest(requestRef, madeByRequest(db, 'webhook_endpoints', merchantId, withSecret), () => makeEndpoint(ctx, merchantId, input, requestRef))
}

async function makeEndpoint(ctx: AppContext, merchantId: string, input: EndpointInput & { url: string }, requestRef: string | null): Promise<{ endpoint: EndpointRow; secret: string }> {
  const url = await allowedUrl(ctx, input.url)
  const now = ctx.clock.now()
  const secret = newWebhookSecret()
  const endpoint: EndpointRow = {
    id: newId('whe', now),
    merchant_id: merchantId,
    url,
    events: toJson(subscriptions(input.events)),
    description: input.description ?? null,
    secret_enc: ctx.secrets.seal(secret),
    prev_secret_enc: null,
    prev_secret_until: null,
    status: 'enabled',
    disabled_code: null,
    disabled_reason: null,
    disabled_at: null,
    failing_since: null,
    last_success_at: null,
    created_at: now,
    updated_at: now,
    request_ref: requestRef,
    secret_request_ref: requestRef,
  }
  await insertEndpoint(ctx.database.db, endpoint)
  return { endpoint: await findEndpoint(ctx.database.db, merchantId, endpoint.id), secret }
}

export async function updateEndpoint(ctx: AppContext, merchantId: string, endpointId: string, input: EndpointInput): Promise<EndpointRow> {
  const { db } = ctx.database
  await findEndpoint(db, merchantId, endpointId)
  const url = input.url === undefined ? undefined : await allowedUrl(ctx, input.url)
  const changes: Partial<EndpointRow> = { updated_at: ctx.clock.now() }
  if (url !== undefined) changes.url = url
  if (input.events !== undefined) changes.events = toJson(subscriptions(input.events))
  if (input.description !== undefined) changes.description = input.description
  await updateEndpointRow(db, merchantId, endpointId, changes)
  return findEndpoint(db, merchantId, endpointId)
}

/** Removes the endpoint with its deliveries and their log; nothing more is sent to it. */
export async function deleteEndpoint(ctx: AppContext, merchantId: string, endpointId: string): Promise<void> {
  await ctx.database.db.transaction().execute(async (tx) => {
    await findEndpoint(tx, merchantId, endpointId)
    await deleteEndpointWithLog(tx, merchantId, endpointId)
  })
}

/**
 * A new signing secret. The one it replaces keeps signing for 24 hours, so every delivery meanwhile carries
 * both signatures and the merchant can switch its receiver over at leisure; an older one stops at once.
 */
/**
 * A new signing secret; the old one keeps signing for a grace period. The endpoint records the
 * Idempotency-Key request that set the secret (`requestRef`): a retry after a crash between the commit and
 * the stored answer is answered with that secret, rather than rotating again and dropping the secret in use
 * without its grace period.
 */
export async function rotateEndpointSecret(ctx: AppContext, merchantId: string, endpointId: string, requestRef: string | null = null): Promise<{ endpoint: EndpointRow; secret: string }> {
  const now = ctx.clock.now()
  const secret = newWebhookSecret()
  const { db } = ctx.database
  const rotatedBy = async (ref: string) => {
    const endpoint = await findEndpoint(db, merchantId, endpointId)
    return endpoint.secret_request_ref === ref ? { endpoint, secret: ctx.secrets.unseal(endpoint.secret_enc) } : undefined
  }
  return onceForRequest(requestRef, rotatedBy, async () => {
    await db.transaction().execute(async (tx) => {
      const current = await findEndpoint(tx, merchantId, endpointId)
      const meanwhile = new AppError('request_in_progress', 'The secret was rotated at the same moment; retry.')
      // A run of this request that committed meanwhile rotated it already (onceForRequest then finds it).
      if (requestRef !== null && current.secret_request_ref === requestRef) throw meanwhile
      // Only if nobody rotated in between: their new secret would otherwise be dropped without a grace period.
      const rotated = await replaceEndpointSecret(tx, merchantId, endpointId, current.secret_enc, {
        secret_enc: ctx.secrets.seal(secret),
        prev_secret_enc: current.secret_enc,
        prev_secret_until: now + SECRET_ROTATION_GRACE_MS,
        secret_request_ref: requestRef,
        updated_at: now,
      })
      if (!rotated) throw meanwhile
    })
    return { endpoint: await findEndpoint(db, merchantId, endpointId), secret }
  })
}

/**
 * Disables an enabled endpoint and records `webhook_endpoint.disabled` with the reason, in the caller's
 * transaction. False when it was disabled already.
 */
export async function disableEndpointInTx(tx: Db, endpoint: Pick<EndpointRow, 'merchant_id' | 'id' | 'url'>, reason: { code: EndpointDisabledCode; reason: string }, now: number): Promise<boolean> {
  if (!(await disableEnabledEndpoint(tx, endpoint.merchant_id, endpoint.id, reason, now))) return false
  await recordEvent(tx, {
    merchantId: endpoint.merchant_id,
    type: 'webhook_endpoint.disabled',
    data: { webhook_endpoint_id: endpoint.id, url: endpoint.url, code: reason.code, reason: reason.reason },
    now,
  })
  return true
}

/** The merchant switches an endpoint off or on. Enabling clears the failure record; pending deliveries resume. */
export async function setEndpointEnabled(ctx: AppContext, merchantId: string, endpointId: string, enabled: boolean): Promise<EndpointRow> {
  const now = ctx.clock.now()
  await ctx.database.db.transaction().execute(async (tx) => {
    const endpoint = await findEndpoint(tx, merchantId, endpointId)
    if (!enabled) {
      await disableEndpointInTx(tx, endpoint, { code: 'manual', reason: 'Disabled by the merchant.' }, now)
      return
    }
    await updateEndpointRow(tx, merchantId, endpointId, { status: 'enabled', disabled_code: null, disabled_reason: null, disabled_at: null, failing_since: null, updated_at: now })
  })
  return findEndpoint(ctx.database.db, merchantId, endpointId)
}

/**
 * Sends events to the endpoint again, with a fresh retry schedule: one event by id (whatever its type), or
 * every event it subscribes to created at or after `since`. Returns how many deliveries were queued.
 */
export async function redeliver(ctx: AppContext, merchantId: string, endpointId: string, what: { eventId: string } | { since: number }, kind: EndpointKind = 'webhook'): Promise<number> {
  const { db } = ctx.database
  const endpoint = await findEndpoint(db, merchantId, endpointId, kind)
  if (endpoint.status !== 'enabled') throw new AppError('invalid_state', 'The endpoint is disabled; enable it before redelivering.')
  if ('eventId' in what) {
    const eventId = what.eventId
    if (!(await eventExists(db, merchantId, eventId))) throw new AppError('event_not_found', 'There is no event with this id.')
    await db.transaction().execute((tx) => queueDeliveries(tx, endpoint, [eventId], ctx.clock.now()))
    return 1
  }
  const patterns = endpointEvents(endpoint)
  let queued = 0
  let after: string | null = null
  for (;;) {
    const events = await listEventTypesSince(db, merchantId, what.since, after, REDELIVER_BATCH)
    if (events.length === 0) return queued
    after = events[events.length - 1].id
    const ids = events.filter((event) => matchesSubscription(patterns, event.type)).map((event) => event.id)
    await db.transaction().execute((tx) => queueDeliveries(tx, endpoint, ids, ctx.clock.now()))
    queued += ids.length
  }
}

/** A delivery due now for each event: new, or an earlier one started over. */
async function queueDeliveries(tx: Db, endpoint: EndpointRow, eventIds: string[], now: number): Promise<void> {
  if (eventIds.length === 0) return
  await insertOrRestartDeliveries(tx, eventIds.map((eventId) => newDelivery(endpoint.merchant_id, endpoint.id, eventId, now)), now)
}

export function newDelivery(merchantId: string, endpointId: string, eventId: string, now: number): DeliveryRow {
  return {
    id: newId('whd', now),
    merchant_id: merchantId,
    endpoint_id: endpointId,
    event_id: eventId,
    status: 'pending',
    attempts: 0,
    next_attempt_at: now,
    locked_until: null,
    lease_token: null,
    last_attempt_at: null,
    last_status_code: null,
    last_error: null,
    delivered_at: null,
    created_at: now,
    updated_at: now,
  }
}
