import { randomBytes, randomInt } from 'node:crypto'
import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { fromJson } from '../../db/database.ts'
import { anyUndispatchedEvent, claimUndispatchedEvents, markEventsDispatched } from '../events/events.repository.ts'
import {
  anyDeliveryDue,
  claimDueDeliveryCandidates,
  deleteDelivery,
  deliveriesInFlight,
  enabledEndpointsOf,
  findDeliveryToSend,
  findEndpointRow,
  insertAttempt,
  insertDeliveries,
  leaseDelivery,
  markEndpointFailing,
  nextDeliveryDue,
  settleDelivery,
  updateEndpointRow,
} from './webhooks.repository.ts'
import { formatInstant } from '../../domain/time.ts'
import { decideAttemptOutcome, isDelivered, matchesSubscription } from '../../domain/webhooks.ts'
import { signedQuery, signedUrl } from '../../domain/wechat-push.ts'
import { wechatPushesOf } from '../wechat/wechat-push.service.ts'
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
  /** WeChat pushes (WECHAT-API.md §4.1): 3 attempts in all, each answered within 5 s. */
  wechat: WechatPushSettings
}

export interface WechatPushSettings {
  /** Seconds before each retry: two entries, so three attempts in all. */
  retrySchedule: readonly number[]
  timeoutMs: number
}

export const DEFAULT_WECHAT_PUSH_SETTINGS: WechatPushSettings = { retrySchedule: [5, 30], timeoutMs: 5_000 }

export function webhookSettings(overrides: Partial<WebhookSettings> = {}): WebhookSettings {
  return { retrySchedule: DEFAULT_RETRY_SCHEDULE, timeoutMs: 10_000, maxInFlight: 32, maxPerEndpoint: 4, client: httpWebhookClient, wechat: DEFAULT_WECHAT_PUSH_SETTINGS, ...overrides }
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
  if (!(await anyUndispatchedEvent(database.db))) return 0
  return database.db.transaction().execute(async (tx) => {
    const events = await claimUndispatchedEvents(database, tx, limit)
    if (events.length === 0) return 0
    const merchantIds = [...new Set(events.map((event) => event.merchant_id))]
    const endpoints = await enabledEndpointsOf(tx, merchantIds)
    const deliveries = []
    for (const event of events) {
      for (const endpoint of endpoints) {
        // An endpoint hears of what happens from its creation on.
        if (endpoint.merchant_id !== event.merchant_id || endpoint.created_at > event.created_at) continue
        if (matchesSubscription(endpointEvents(endpoint), event.type)) deliveries.push(newDelivery(event.merchant_id, endpoint.id, event.id, now))
      }
    }
    for (let i = 0; i < deliveries.length; i += DISPATCH_BATCH) await insertDeliveries(tx, deliveries.slice(i, i + DISPATCH_BATCH))
    for (const merchantId of merchantIds) {
      await markEventsDispatched(tx, merchantId, events.filter((event) => event.merchant_id === merchantId).map((event) => event.id), now)
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
  /** For a WeChat app's push destination: the XML pushes the event makes, in order (`body` is then unused). */
  wechat: { messages: string[] } | null
}

/**
 * Takes the lease of up to `slots` due deliveries of enabled endpoints, in one short transaction, never
 * more per endpoint than `maxPerEndpoint` in flight (counted over every process): a slow endpoint fills
 * its own share and the others keep going.
 */
export async function claimDueDeliveries(ctx: AppContext, settings: WebhookSettings, now: number, slots: number): Promise<ClaimedDelivery[]> {
  if (slots <= 0) return []
  const { database } = ctx
  if (!(await anyDeliveryDue(database.db, now))) return []
  const leaseToken = randomBytes(12).toString('base64url')
  // A WeChat push destination's delivery may make two pushes (an accepted gift), each with its own timeout.
  const lockedUntil = now + Math.max(settings.timeoutMs, 2 * settings.wechat.timeoutMs) + LEASE_MARGIN_MS
  return database.db.transaction().execute(async (tx) => {
    const inFlight = await deliveriesInFlight(tx, now)
    const full = [...inFlight].filter(([, n]) => n >= settings.maxPerEndpoint).map(([id]) => id)
    const candidates = await claimDueDeliveryCandidates(database, tx, now, full, slots * 4)

    const picked: typeof candidates = []
    for (const candidate of candidates) {
      if (picked.length === slots) break
      const n = inFlight.get(candidate.endpoint_id) ?? 0
      if (n >= settings.maxPerEndpoint) continue
      if (!(await leaseDelivery(tx, candidate.merchant_id, candidate.id, { lockedUntil, leaseToken }, now))) continue
      inFlight.set(candidate.endpoint_id, n + 1)
      picked.push(candidate)
    }
    const claimed: ClaimedDelivery[] = []
    for (const delivery of picked) {
      const loaded = await loadClaimed(ctx, tx, delivery, leaseToken, now)
      if (loaded) claimed.push(loaded)
    }
    return claimed
  })
}

/** What sending a delivery needs; null for a WeChat push destination's event that makes no push (the delivery is forgotten). */
async function loadClaimed(ctx: AppContext, tx: Db, delivery: { merchant_id: string; id: string }, leaseToken: string, now: number): Promise<ClaimedDelivery | null> {
  const row = await findDeliveryToSend(tx, delivery.merchant_id, delivery.id)
  let wechat: ClaimedDelivery['wechat'] = null
  if (row.kind === 'wechat') {
    const messages = await wechatPushesOf(ctx, tx, delivery.merchant_id, row.wechat_appid ?? '', { type: row.type, data: fromJson<Record<string, unknown>>(row.data), createdAt: Number(row.created_at) })
    if (messages.length === 0) {
      await deleteDelivery(tx, delivery.merchant_id, delivery.id)
      return null
    }
    wechat = { messages }
  }
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
    wechat,
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
  if (claimed.wechat) return recordAttempt(ctx, settings, claimed, { ...(await sendWechatPushes(ctx, settings, claimed, claimed.wechat.messages)), attemptedAt })
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
    const endpoint = await findEndpointRow(tx, claimed.merchantId, claimed.endpointId)
    // The endpoint was deleted meanwhile, and its log with it.
    if (!endpoint) return
    await insertAttempt(tx, {
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
    const outcome = decideAttemptOutcome({
      statusCode: response.statusCode,
      attempts,
      schedule: claimed.wechat ? settings.wechat.retrySchedule : settings.retrySchedule,
      failingSince: endpoint.failing_since,
      now,
      random: Math.random(),
    })
    const delivery = outcome.delivery
    await settleDelivery(tx, claimed.merchantId, claimed.deliveryId, claimed.leaseToken, {
      status: delivery.status,
      attempts,
      next_attempt_at: delivery.status === 'pending' ? delivery.nextAttemptAt : now,
      last_attempt_at: response.attemptedAt,
      last_status_code: response.statusCode,
      last_error: response.error ?? (response.statusCode === null || delivery.status === 'delivered' ? null : `answered ${response.statusCode}`),
      delivered_at: delivery.status === 'delivered' ? now : null,
      updated_at: now,
    })
    const health = outcome.endpoint
    if (health.health === 'healthy') {
      await updateEndpointRow(tx, claimed.merchantId, claimed.endpointId, { failing_since: null, last_success_at: now })
    } else {
      await markEndpointFailing(tx, claimed.merchantId, claimed.endpointId, health.failingSince)
      // A WeChat app's pushes stop only when the merchant changes its push URL: failed ones are in its log to resend.
      if (health.health === 'disable' && !claimed.wechat) await disableEndpointInTx(tx, endpoint, { code: health.code, reason: health.reason }, now)
    }
  })
}

/**
 * One attempt of a WeChat push destination's delivery: its pushes in order, each POSTed as text/xml with a
 * fresh signature, timestamp and nonce (the XML, with its CreateTime, is the same on every attempt). The
 * first push not answered 2xx in time ends the attempt with its outcome; the retry sends them all again
 * (receivers de-duplicate on FromUserName + CreateTime).
 */
async function sendWechatPushes(ctx: AppContext, settings: WebhookSettings, claimed: ClaimedDelivery, messages: string[]) {
  let latencyMs = 0
  let last: { statusCode: number | null; error: string | null } = { statusCode: null, error: null }
  for (const xml of messages) {
    const query = signedQuery(claimed.secrets[0], Math.floor(ctx.clock.now() / 1000), randomInt(100_000_000, 1_000_000_000).toString() + randomInt(0, 10).toString())
    const response = await settings.client({
      url: signedUrl(claimed.url, query),
      body: xml,
      timeoutMs: settings.wechat.timeoutMs,
      allowPrivateDestinations: ctx.allowPrivateWebhookDestinations,
      headers: { 'content-type': 'text/xml; charset=utf-8', 'user-agent': 'Kabao-WeChat-Push/1.0' },
    })
    latencyMs += response.latencyMs
    last = response
    if (!isDelivered(response.statusCode)) break
  }
  return { ...last, latencyMs }
}

/** The next moment a pending delivery of an enabled endpoint falls due after `now`, if any. */
export async function nextDeliveryDueAfter(ctx: AppContext, now: number): Promise<number | null> {
  return nextDeliveryDue(ctx.database.db, now)
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
