// Event pushes of a WeChat app (WECHAT-API.md §4). They go out through the webhook deliveries: the app's
// push URL is a webhook endpoint of kind `wechat` (hidden from the webhook API) whose sealed secret is the
// push Token, so fan-out from the outbox, leases, retries and the delivery log are the webhooks' own. What
// is WeChat's lives here: the echo check, the XML of each event and the settings.
import { randomBytes, randomInt } from 'node:crypto'
import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { toJson } from '../../db/database.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { newId } from '../../ports/ids.ts'
import { destinationRefusal } from '../../ports/webhook-client.ts'
import { PUSH_TOKEN_PATTERN, pushMessagesOf, pushSubjectsOf, pushSubscriptions, renderPushXml, signedQuery, signedUrl, type PushEvent, type PushFacts } from '../../domain/wechat-push.ts'
import { findEndpointRow, insertEndpoint, listDeliveries, updateEndpointRow } from '../webhooks/webhooks.repository.ts'
import { redeliver } from '../webhooks/webhooks.service.ts'
import type { DeliveryStatus } from '../webhooks/webhooks.table.ts'
import { findWechatApp, pushFactRows, updateWechatAppPush, type WechatAppRow } from './wechat.repository.ts'
import { echoGet } from './wechat-echo.ts'

/** How long the echo check waits for the merchant's server (WeChat's 5 s). */
export const ECHO_TIMEOUT_MS = 5_000

/**
 * The XML pushes a committed event makes for one app, in order; none when it has no WeChat counterpart.
 * Read again on every attempt, from the event, so every attempt carries the same XML.
 */
export async function wechatPushesOf(ctx: AppContext, db: Db, merchantId: string, appid: string, event: PushEvent): Promise<string[]> {
  const app = await findWechatApp(db, appid)
  // A disabled credential pushes nothing.
  if (!app || app.merchant_id !== merchantId || app.status !== 'active') return []
  const rows = await pushFactRows(db, merchantId, pushSubjectsOf(event))
  const facts: PushFacts = {
    originalId: app.original_id,
    codes: Object.fromEntries(rows.coupons.map((c) => [c.id, ctx.secrets.decryptCode(c.code_enc)])),
    outerStrs: Object.fromEntries(rows.coupons.map((c) => [c.id, c.channel_tag ?? null])),
    sources: Object.fromEntries(rows.coupons.map((c) => [c.id, c.source])),
    storeName: rows.storeName,
    staffId: rows.staffId,
    // A member who joined through the WeChat API is known there by their member code; others by their number.
    memberNumbers: Object.fromEntries(rows.members.map((m) => [m.id, m.code_enc ? ctx.secrets.decryptCode(m.code_enc) : m.member_number])),
  }
  return pushMessagesOf(event, facts).map((message) => renderPushXml(app.original_id, message))
}

async function ownApp(ctx: AppContext, merchantId: string, appid: string): Promise<WechatAppRow> {
  const app = await findWechatApp(ctx.database.db, appid)
  if (!app || app.merchant_id !== merchantId) throw new AppError('wechat_app_not_found', 'There is no WeChat app credential with this appid.')
  const { timezone: _tz, ...row } = app
  return row
}

export interface PushSettingsInput {
  /** null switches pushes off. */
  push_url: string | null
  /** Required with the first URL; kept when absent afterwards. */
  push_token?: string
  card_pass_check?: boolean
}

function checkPushUrl(url: string): void {
  let parsed: URL | null
  try {
    parsed = new URL(url)
  } catch {
    parsed = null
  }
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || parsed.username !== '' || parsed.password !== '' || parsed.hash !== '') {
    throw validationFailed([{ field: 'push_url', code: 'invalid', message: 'must be an absolute http:// or https:// URL without credentials or fragment' }])
  }
}

/**
 * The echo check (§4.1): `GET push_url?signature=&timestamp=&nonce=&echostr=` must answer 200 with exactly
 * `echostr` as its body, else the URL is refused and nothing changes.
 */
async function echoCheck(ctx: AppContext, url: string, token: string): Promise<void> {
  const echostr = randomBytes(12).toString('hex')
  const nonce = String(randomInt(100_000_000, 1_000_000_000))
  const answer = await echoGet(signedUrl(url, signedQuery(token, Math.floor(ctx.clock.now() / 1000), nonce, echostr)), ECHO_TIMEOUT_MS, ctx.allowPrivateWebhookDestinations)
  if (answer.statusCode === 200 && answer.body === echostr) return
  const got = answer.statusCode === null ? `no answer (${answer.error})` : answer.statusCode !== 200 ? `status ${answer.statusCode}` : 'a body other than the echostr'
  throw validationFailed([{ field: 'push_url', code: 'echo_failed', message: `The echo check got ${got}: the server must answer the GET with exactly the echostr parameter.` }], 'The push URL did not pass the echo check.')
}

/**
 * Sets (or, with a null URL, switches off) where the app's events are pushed. A URL is saved only after
 * it passed the echo check with the Token; the app's push destination (a `wechat` webhook endpoint) is made
 * on the first URL and updated after. Pushes cover what happens from the moment the URL is saved.
 */
export async function setPushSettings(ctx: AppContext, merchantId: string, appid: string, input: PushSettingsInput): Promise<WechatAppRow> {
  const { db } = ctx.database
  const app = await ownApp(ctx, merchantId, appid)
  const existing = app.push_endpoint_id ? await findEndpointRow(db, merchantId, app.push_endpoint_id) : undefined
  const cardPassCheck = input.card_pass_check ?? (app.push_card_pass_check ?? 1) === 1
  const now = ctx.clock.now()
  if (input.push_token !== undefined && !new RegExp(PUSH_TOKEN_PATTERN).test(input.push_token)) {
    throw validationFailed([{ field: 'push_token', code: 'invalid', message: 'must be 3 to 32 letters and digits' }])
  }
  if (input.push_url === null) {
    await db.transaction().execute(async (tx) => {
      if (existing) await updateEndpointRow(tx, merchantId, existing.id, { status: 'disabled', disabled_code: 'manual', disabled_reason: 'Push URL removed.', disabled_at: now, updated_at: now })
      await updateWechatAppPush(tx, merchantId, appid, { push_url: null, push_endpoint_id: app.push_endpoint_id ?? null, push_card_pass_check: cardPassCheck ? 1 : 0, updated_at: now })
    })
    return ownApp(ctx, merchantId, appid)
  }
  const url = input.push_url
  checkPushUrl(url)
  const token = input.push_token ?? (existing ? ctx.secrets.unseal(existing.secret_enc) : undefined)
  if (token === undefined) throw validationFailed([{ field: 'push_token', code: 'required', message: 'is needed with the first push URL' }])
  if (!ctx.allowPrivateWebhookDestinations) {
    const refusal = await destinationRefusal(url)
    if (refusal !== null) throw new AppError('webhook_url_not_allowed', 'Pushes are not sent to private or internal network addresses on this server.', [{ field: 'push_url', code: 'not_allowed', message: refusal }])
  }
  await echoCheck(ctx, url, token)
  const events = toJson(pushSubscriptions(cardPassCheck))
  await db.transaction().execute(async (tx) => {
    let endpointId = existing?.id
    if (existing) {
      await updateEndpointRow(tx, merchantId, existing.id, { url, events, secret_enc: ctx.secrets.seal(token), prev_secret_enc: null, prev_secret_until: null, status: 'enabled', disabled_code: null, disabled_reason: null, disabled_at: null, failing_since: null, updated_at: now })
    } else {
      endpointId = newId('whe', now)
      await insertEndpoint(tx, {
        id: endpointId, merchant_id: merchantId, url, events, description: `WeChat pushes of ${appid}`, secret_enc: ctx.secrets.seal(token), prev_secret_enc: null, prev_secret_until: null,
        status: 'enabled', disabled_code: null, disabled_reason: null, disabled_at: null, failing_since: null, last_success_at: null, created_at: now, updated_at: now,
        request_ref: null, secret_request_ref: null, kind: 'wechat', wechat_appid: appid,
      })
    }
    await updateWechatAppPush(tx, merchantId, appid, { push_url: url, push_endpoint_id: endpointId ?? null, push_card_pass_check: cardPassCheck ? 1 : 0, updated_at: now })
  })
  return ownApp(ctx, merchantId, appid)
}

/** A page of the app's push log, newest first: each event pushed, its state, attempts and last answer. */
export async function pushDeliveries(ctx: AppContext, merchantId: string, appid: string, filter: { status?: DeliveryStatus; before: string | null }, limit: number) {
  const app = await ownApp(ctx, merchantId, appid)
  if (!app.push_endpoint_id) return []
  return listDeliveries(ctx.database.db, merchantId, app.push_endpoint_id, filter, limit)
}

/** Pushes an event again with a fresh set of three attempts (a failed one, from the console). */
export async function resendPush(ctx: AppContext, merchantId: string, appid: string, eventId: string): Promise<void> {
  const app = await ownApp(ctx, merchantId, appid)
  if (!app.push_endpoint_id || !app.push_url) throw new AppError('invalid_state', 'The app has no push URL; set one before resending.')
  await redeliver(ctx, merchantId, app.push_endpoint_id, { eventId }, 'wechat')
}
