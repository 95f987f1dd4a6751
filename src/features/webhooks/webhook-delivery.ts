import { randomBytes } from 'node:crypto'
import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { fromJson } from '../../db/database.ts'
import { formatInstant } from '../../domain/time.ts'
import { decideAttemptOutcome, matchesSubscription } from '../../domain/webhooks.ts'
import { hmacHex } from '../../ports/secrets.ts'
import { newId } from '../../ports/ids.ts'
import { httpWebhookClient, type WebhookClient } from '../../ports/webhook-client.ts'
import { DEFAULT_RETRY_SCHEDULE } from '../../config.ts'
import { disableEndpointInTx, endpointEvents, newDelivery, signingSecrets } from './webhooks.service.ts'

/** How deliveries go out. */
export interface WebhookSettings {
  /** Seconds to wait before each retry (WEBHOOK_RETRY_SCHEDULE). */
  retrySchedule: readonly number[]
  /** A receiver has this long to answer (10 s by contract). */
  timeoutMs: number
  /** Requests in flight at once from one process, and to one endpoint from all processes together. */
  maxInFlight: number
  maxPerEndpoint: number
  client: WebhookClient
}

export function webhookSettings(overrides: Partial<WebhookSettings> = {}): WebhookSettings {
  return { retrySchedule: DEFAULT_RETRY_SCHEDULE, timeoutMs: 10_000, maxInFlight: 32, maxPerEndpoint: 4, client: httpWebhookClient, ...overrides }
}

/** Events fanned out per transaction. */
export const DISPATCH_BATCH = 500

/** A claimed delivery is someone else's to retry once its lease (the timeout plus this margin) has run out. */
const LEASE_MARGIN_MS = 5_000

/**
 * Fans committed events out to the enabled endpoints that subscribe to them: one pending delivery per
 * (endpoint, event), the event marked as dispatched in the same transaction. Events are found by that mark,
 * not by position, so one committed after a later id (concurrent transactions) is never skipped; on
 * PostgreSQL, processes dispatching at once take disjoint batches. Returns how many events it handled.
 */
export async function dispatchEvents(ctx: AppContext, now: number, limit = DISPATCH_BATCH): Promise<number> {
  const { database } = ctx
  // A read first: on SQLite every transaction here takes the write lock, which an idle look must not.
  const pending = await database.db.selectFrom('events').select('id').where('dispatched_at', 'is', null).limit(1).executeTakeFirst()
  if (!pending) return 0
  return database.db.transaction().execute(async (tx) => {
    const events = await database.claimRows(
      tx.selectFrom('events').select(['merchant_id', 'id', 'type', 'created_at']).where('dispatched_at', 'is', null).orderBy('id').limit(limit),
    ).execute()
    if (events.length === 0) return 0
    const merchantIds = [...new Set(events.map((event) => event.merchant_id))]
    const endpoints = await tx
      .selectFrom('webhook_endpoints')
      .select(['merchant_id', 'id', 'events', 'created_at'])
      .where('merchant_id', 'in', merchantIds)
      .where('status', '=', 'enabled')
      .execute()
    const deliveries = []
    for (const event of events) {
      for (const endpoint of endpoints) {
        // An endpoint hears of what happens from its creation on.
        if (endpoint.merchant_id !== event.merchant_id || endpoint.created_at > event.created_at) continue
        if (matchesSubscription(endpointEvents(endpoint), event.type)) deliveries.push(newDelivery(event.merchant_id, endpoint.id, event.id, now))
      }
    }
    for (let i = 0; i < deliveries.length; i += DISPATCH_BATCH) {
      await tx
        .insertInto('webhook_deliveries')
        .values(deliveries.slice(i, i + DISPATCH_BATCH))
        .onConflict((oc) => oc.columns(['merchant_id', 'endpoint_id', 'event_id']).doNothing())
        .execute()
    }
    for (const merchantId of merchantIds) {
      const ids = events.filter((event) => event.merchant_id === merchantId).map((event) => event.id)
      await tx.updateTable('events').set({ dispatched_at: now }).where('merchant_id', '=', merchantId).where('id', 'in', ids).execute()
    }
    return events.length
  })
}

/** A delivery this process holds the lease of, with everything needed to send it. */
export interface ClaimedDelivery {
  merchantId: string
  deliveryId: string
  endpointId: string
  eventId: string
  url: string
  /** Attempts made before this one. */
  attempts: number
  leaseToken: string
  secrets: string[]
  /** The event as the receiver gets it (and as GET /v1/events lists it). */
  body: string
}

/**
 * Takes the lease of up to `slots` due deliveries of enabled endpoints, in one short transaction, never
 * more per endpoint than `maxPerEndpoint` in flight (counted over every process): a slow endpoint fills
 * its own share and the others keep going.
 */
export async function claimDueDeliveries(ctx: AppContext, settings: WebhookSettings, now: number, slots: number): Promise<ClaimedDelivery[]> {
  if (slots <= 0) return []
  const { database } = ctx
  const due = await database.db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .limit(1)
    .executeTakeFirst()
  if (!due) return []
  const leaseToken = randomBytes(12).toString('base64url')
  const lockedUntil = now + settings.timeoutMs + LEASE_MARGIN_MS
  return database.db.transaction().execute(async (tx) => {
    const busy = await tx
      .selectFrom('webhook_deliveries')
      .select(['endpoint_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('status', '=', 'pending')
      .where('locked_until', '>', now)
      .groupBy('endpoint_id')
      .execute()
    const inFlight = new Map(busy.map((row) => [row.endpoint_id, Number(row.n)]))
    const full = [...inFlight].filter(([, n]) => n >= settings.maxPerEndpoint).map(([id]) => id)
    let query = tx
      .selectFrom('webhook_deliveries')
      .innerJoin('webhook_endpoints', (join) =>
        join.onRef('webhook_endpoints.merchant_id', '=', 'webhook_deliveries.merchant_id').onRef('webhook_endpoints.id', '=', 'webhook_deliveries.endpoint_id'),
      )
      .select(['webhook_deliveries.merchant_id', 'webhook_deliveries.id', 'webhook_deliveries.endpoint_id'])
      .where('webhook_deliveries.status', '=', 'pending')
      .where('webhook_deliveries.next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('webhook_deliveries.locked_until', 'is', null), eb('webhook_deliveries.locked_until', '<=', now)]))
      .where('webhook_endpoints.status', '=', 'enabled')
    if (full.length > 0) query = query.where('webhook_deliveries.endpoint_id', 'not in', full)
    const candidates = await database.claimRows(query.orderBy('webhook_deliveries.next_attempt_at').limit(slots * 4), 'webhook_deliveries').execute()

    const picked: typeof candidates = []
    for (const candidate of candidates) {
      if (picked.length === slots) break
      const n = inFlight.get(candidate.endpoint_id) ?? 0
      if (n >= settings.maxPerEndpoint) continue
      const taken = await tx
        .updateTable('webhook_deliveries')
        .set({ locked_until: lockedUntil, lease_token: leaseToken })
        .where('merchant_id', '=', candidate.merchant_id)
        .where('id', '=', candidate.id)
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
        .executeTakeFirst()
      if (Number(taken.numUpdatedRows) !== 1) continue
      inFlight.set(candidate.endpoint_id, n + 1)
      picked.push(candidate)
    }
    const claimed: ClaimedDelivery[] = []
    for (const delivery of picked) claimed.push(await loadClaimed(ctx, tx, delivery, leaseToken, now))
    return claimed
  })
}

async function loadClaimed(ctx: AppContext, tx: Db, delivery: { merchant_id: string; id: string }, leaseToken: string, now: number): Promise<ClaimedDelivery> {
  const row = await tx
    .selectFrom('webhook_deliveries')
    .innerJoin('webhook_endpoints', (join) =>
      join.onRef('webhook_endpoints.merchant_id', '=', 'webhook_deliveries.merchant_id').onRef('webhook_endpoints.id', '=', 'webhook_deliveries.endpoint_id'),
    )
    .innerJoin('events', (join) => join.onRef('events.merchant_id', '=', 'webhook_deliveries.merchant_id').onRef('events.id', '=', 'webhook_deliveries.event_id'))
    .innerJoin('merchants', 'merchants.id', 'webhook_deliveries.merchant_id')
    .select([
      'webhook_deliveries.endpoint_id',
      'webhook_deliveries.event_id',
      'webhook_deliveries.attempts',
      'webhook_endpoints.url',
      'webhook_endpoints.secret_enc',
      'webhook_endpoints.prev_secret_enc',
      'webhook_endpoints.prev_secret_until',
      'events.type',
      'events.data',
      'events.created_at',
      'merchants.timezone',
    ])
    .where('webhook_deliveries.merchant_id', '=', delivery.merchant_id)
    .where('webhook_deliveries.id', '=', delivery.id)
    .executeTakeFirstOrThrow()
  const body = JSON.stringify({
    id: row.event_id,
    type: row.type,
    created_at: formatInstant(row.created_at, row.timezone),
    merchant_id: delivery.merchant_id,
    data: fromJson<object>(row.data),
  })
  return {
    merchantId: delivery.merchant_id,
    deliveryId: delivery.id,
    endpointId: row.endpoint_id,
    eventId: row.event_id,
    url: row.url,
    attempts: row.attempts,
    leaseToken,
    secrets: signingSecrets(ctx, row, now),
    body,
  }
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, one `v1` per secret in use. */
export function signatureHeader(secrets: readonly string[], timestampSeconds: number, body: string): string {
  return [`t=${timestampSeconds}`, ...secrets.map((secret) => `v1=${hmacHex(secret, `${timestampSeconds}.${body}`)}`)].join(',')
}

/**
 * Sends one claimed delivery, outside any transaction, signed afresh (new `t`) with the same event id
 * every time, then records the attempt.
 */
export async function attemptDelivery(ctx: AppContext, settings: WebhookSettings, claimed: ClaimedDelivery): Promise<void> {
  const attemptedAt = ctx.clock.now()
  const response = await settings.client({
    url: claimed.url,
    body: claimed.body,
    timeoutMs: settings.timeoutMs,
    allowPrivateDestinations: ctx.allowPrivateWebhookDestinations,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Kabao-Webhooks/1.0',
      'kabao-event-id': claimed.eventId,
      'kabao-signature': signatureHeader(claimed.secrets, Math.floor(attemptedAt / 1000), claimed.body),
    },
  })
  await recordAttempt(ctx, settings, claimed, { ...response, attemptedAt })
}

/**
 * Writes the attempt to the endpoint's log and moves the delivery on: delivered, retried later with
 * backoff and jitter, or failed; the endpoint becomes healthy, failing, or is disabled (410 Gone at once,
 * five days without a success), all in one transaction.
 */
async function recordAttempt(
  ctx: AppContext,
  settings: WebhookSettings,
  claimed: ClaimedDelivery,
  response: { statusCode: number | null; error: string | null; latencyMs: number; attemptedAt: number },
): Promise<void> {
  const now = ctx.clock.now()
  const attempts = claimed.attempts + 1
  await ctx.database.db.transaction().execute(async (tx) => {
    const endpoint = await tx
      .selectFrom('webhook_endpoints')
      .select(['merchant_id', 'id', 'url', 'failing_since'])
      .where('merchant_id', '=', claimed.merchantId)
      .where('id', '=', claimed.endpointId)
      .executeTakeFirst()
    // The endpoint was deleted meanwhile, and its log with it.
    if (!endpoint) return
    await tx
      .insertInto('webhook_attempts')
      .values({
        id: newId('wha', now),
        merchant_id: claimed.merchantId,
        endpoint_id: claimed.endpointId,
        delivery_id: claimed.deliveryId,
        event_id: claimed.eventId,
        attempt: attempts,
        attempted_at: response.attemptedAt,
        status_code: response.statusCode,
        latency_ms: response.latencyMs,
        error: response.error,
      })
      .execute()
    const outcome = decideAttemptOutcome({
      statusCode: response.statusCode,
      attempts,
      schedule: settings.retrySchedule,
      failingSince: endpoint.failing_since,
      now,
      random: Math.random(),
    })
    const delivery = outcome.delivery
    await tx
      .updateTable('webhook_deliveries')
      .set({
        status: delivery.status,
        attempts,
        next_attempt_at: delivery.status === 'pending' ? delivery.nextAttemptAt : now,
        locked_until: null,
        lease_token: null,
        last_attempt_at: response.attemptedAt,
        last_status_code: response.statusCode,
        last_error: response.error ?? (response.statusCode === null || delivery.status === 'delivered' ? null : `answered ${response.statusCode}`),
        delivered_at: delivery.status === 'delivered' ? now : null,
        updated_at: now,
      })
      .where('merchant_id', '=', claimed.merchantId)
      .where('id', '=', claimed.deliveryId)
      // A worker whose lease ran out (and was taken over) must not overwrite the newer attempt's outcome.
      .where('lease_token', '=', claimed.leaseToken)
      .execute()
    const health = outcome.endpoint
    const endpointRow = tx.updateTable('webhook_endpoints').where('merchant_id', '=', claimed.merchantId).where('id', '=', claimed.endpointId)
    if (health.health === 'healthy') {
      await endpointRow.set({ failing_since: null, last_success_at: now }).execute()
    } else {
      await endpointRow.set({ failing_since: health.failingSince }).where('failing_since', 'is', null).execute()
      if (health.health === 'disable') await disableEndpointInTx(tx, endpoint, { code: health.code, reason: health.reason }, now)
    }
  })
}

/** The next moment a pending delivery of an enabled endpoint falls due after `now`, if any. */
export async function nextDeliveryDueAfter(ctx: AppContext, now: number): Promise<number | null> {
  const row = await ctx.database.db
    .selectFrom('webhook_deliveries')
    .innerJoin('webhook_endpoints', (join) =>
      join.onRef('webhook_endpoints.merchant_id', '=', 'webhook_deliveries.merchant_id').onRef('webhook_endpoints.id', '=', 'webhook_deliveries.endpoint_id'),
    )
    .select((eb) => eb.fn.min('webhook_deliveries.next_attempt_at').as('due'))
    .where('webhook_deliveries.status', '=', 'pending')
    .where('webhook_deliveries.next_attempt_at', '>', now)
    .where('webhook_endpoints.status', '=', 'enabled')
    .executeTakeFirst()
  return row?.due === null || row?.due === undefined ? null : Number(row.due)
}

/**
 * Dispatches every committed event, then sends every delivery due now and waits for them all, until
 * nothing is due; returns how many attempts were made. For tests and one-off runs; servers run the
 * worker in jobs/webhook-worker.ts, which does the same continuously.
 */
export async function deliverWebhooksOnce(ctx: AppContext, settings: WebhookSettings = webhookSettings()): Promise<number> {
  let attempts = 0
  for (;;) {
    while ((await dispatchEvents(ctx, ctx.clock.now())) > 0);
    const claimed = await claimDueDeliveries(ctx, settings, ctx.clock.now(), settings.maxInFlight)
    if (claimed.length === 0) return attempts
    await Promise.all(claimed.map((delivery) => attemptDelivery(ctx, settings, delivery)))
    attempts += claimed.length
  }
}
