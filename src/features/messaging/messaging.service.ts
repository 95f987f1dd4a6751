import type { AppContext } from '../../app-context.ts'
import type { Database, Db } from '../../db/database.ts'
import { nextAttemptAt } from '../../domain/webhooks.ts'
import { AppError } from '../../errors.ts'
import type { Clock } from '../../ports/clock.ts'
import { newId, randomToken } from '../../ports/ids.ts'
import type { Notifier } from '../../ports/notifier.ts'
import type { Secrets } from '../../ports/secrets.ts'
import { writeToInbox, type CustomerNotification } from '../notifications/inbox.ts'
import { channelMessage } from '../notifications/messages.ts'
import { OTP_TTL_MS } from '../customers/otp-rules.ts'
import { loadMerchant } from '../merchants/merchants.service.ts'
import { sendOnChannel, type ChannelSettings, type EmailSettings, type SmsHookSettings } from './channels.ts'
import {
  claimDueMessage, deleteMessageChannel, findCustomerContact, findMessageChannel, insertSentMessage, listDueMessages, recordMessageTry, saveMessageChannel,
} from './messaging.repository.ts'
import { CUSTOMER_MESSAGE_KINDS, type CustomerMessageKind, type MessageChannel, type MessageChannelsTable, type SentMessageKind, type SentMessageStatus } from './messaging.table.ts'

export interface MessagingContext {
  database: Database
  secrets: Secrets
  clock: Clock
}

export interface MessagingOptions {
  /** NODE_ENV=production: with no provider a sign-in code is refused (503) instead of only recorded. */
  production: boolean
  /** Where the merchant's SMS hook may be (WEBHOOK_ALLOW_PRIVATE_DESTINATIONS). */
  allowPrivateDestinations: boolean
  timeoutMs?: number
}

export function messagingOptions(ctx: Pick<AppContext, 'production' | 'allowPrivateWebhookDestinations'>): MessagingOptions {
  return { production: ctx.production === true, allowPrivateDestinations: ctx.allowPrivateWebhookDestinations }
}

export function openChannel(secrets: Secrets, row: MessageChannelsTable): ChannelSettings {
  return { channel: row.channel, settings: JSON.parse(secrets.unseal(row.settings_sealed)) } as ChannelSettings
}

export async function channelSettings(ctx: MessagingContext, merchantId: string, channel: MessageChannel): Promise<ChannelSettings | null> {
  const row = await findMessageChannel(ctx.database.db, merchantId, channel)
  return row ? openChannel(ctx.secrets, row) : null
}

export async function saveEmailChannel(ctx: MessagingContext, merchantId: string, settings: EmailSettings): Promise<ChannelSettings> {
  const now = ctx.clock.now()
  await saveMessageChannel(ctx.database.db, { merchant_id: merchantId, channel: 'email', settings_sealed: ctx.secrets.seal(JSON.stringify(settings)), created_at: now, updated_at: now })
  return { channel: 'email', settings }
}

/** The hook keeps its signing secret across changes of its URL unless told to make a new one. */
export async function saveSmsChannel(ctx: MessagingContext, merchantId: string, input: { url: string; rotateSecret: boolean }): Promise<{ configured: ChannelSettings; newSecret: boolean }> {
  const now = ctx.clock.now()
  const existing = await channelSettings(ctx, merchantId, 'sms')
  const keep = existing?.channel === 'sms' && !input.rotateSecret ? existing.settings.secret : null
  const settings: SmsHookSettings = { url: input.url, secret: keep ?? `mss_${randomToken(24)}` }
  await saveMessageChannel(ctx.database.db, { merchant_id: merchantId, channel: 'sms', settings_sealed: ctx.secrets.seal(JSON.stringify(settings)), created_at: now, updated_at: now })
  return { configured: { channel: 'sms', settings }, newSecret: keep === null }
}

export async function removeChannel(ctx: MessagingContext, merchantId: string, channel: MessageChannel): Promise<void> {
  if (!(await deleteMessageChannel(ctx.database.db, merchantId, channel))) {
    throw new AppError('message_channel_not_found', `No ${channel} channel is set up.`)
  }
}

export interface Delivery {
  id: string
  status: SentMessageStatus
  error: string | null
}

interface Outgoing {
  id: string
  merchantId: string
  channel: MessageChannel
  destination: string
  kind: SentMessageKind
  subject: string
  text: string
  createdAt: number
}

/** One try on the merchant's channel: sent, failed with the provider's reason, or not sent for want of a provider. */
async function tryOnChannel(configured: ChannelSettings | null, options: MessagingOptions, message: Outgoing): Promise<Omit<Delivery, 'id'>> {
  if (!configured) return { status: 'not_sent', error: `no ${message.channel === 'sms' ? 'SMS' : 'e-mail'} provider is set up` }
  try {
    await sendOnChannel(configured, message, { timeoutMs: options.timeoutMs ?? 10_000, allowPrivateDestinations: options.allowPrivateDestinations })
    return { status: 'sent', error: null }
  } catch (failure) {
    return { status: 'failed', error: String((failure as Error).message ?? failure).slice(0, 500) }
  }
}

/**
 * Sends a message to a customer on the merchant's channel now and records it (sealed) for the owner's
 * 发送记录, whatever happened: sent, failed with the provider's reason, or not sent for want of a provider.
 * `hidden` is what the record shows in place of a secret the message carries when it was not sent in
 * production (nobody may read a code the customer never got).
 */
export async function deliver(
  ctx: MessagingContext,
  options: MessagingOptions,
  message: { merchantId: string; channel: MessageChannel; destination: string; kind: SentMessageKind; subject: string; text: string; hidden?: [string, string] },
): Promise<Delivery> {
  const now = ctx.clock.now()
  const id = newId('msg', now)
  const configured = await channelSettings(ctx, message.merchantId, message.channel)
  const { status, error } = await tryOnChannel(configured, options, { ...message, id, createdAt: now })
  const recorded = status === 'not_sent' && options.production && message.hidden ? message.text.replaceAll(...message.hidden) : message.text
  await insertSentMessage(ctx.database.db, {
    id,
    merchant_id: message.merchantId,
    channel: message.channel,
    destination: message.destination,
    kind: message.kind,
    subject: message.subject,
    text_sealed: ctx.secrets.seal(recorded),
    status,
    error,
    attempts: configured ? 1 : 0,
    next_attempt_at: null,
    created_at: now,
  })
  return { id, status, error }
}

/**
 * Queues a notification for the customer's own contacts (phone → SMS, e-mail → e-mail), in the caller's
 * transaction: the messages exist exactly when the notification does. A user without a customer record
 * (no sign-in contact) is sent nothing. `sendDueMessages` sends them, outside any transaction.
 */
export async function queueCustomerMessages(tx: Db, secrets: Secrets, notification: CustomerNotification): Promise<void> {
  const kind = notification.kind as CustomerMessageKind
  if (!CUSTOMER_MESSAGE_KINDS.includes(kind)) return
  const contact = await findCustomerContact(tx, notification.merchantId, notification.userId)
  if (!contact) return
  const { subject, text } = channelMessage(contact.language, contact.merchant_name, notification)
  const destinations: [MessageChannel, string | null][] = [['sms', contact.phone], ['email', contact.email]]
  for (const [channel, destination] of destinations) {
    if (!destination) continue
    await insertSentMessage(tx, {
      id: newId('msg', notification.now),
      merchant_id: notification.merchantId,
      channel,
      destination,
      kind,
      subject,
      text_sealed: secrets.seal(text),
      status: 'pending',
      error: null,
      attempts: 0,
      next_attempt_at: notification.now,
      created_at: notification.now,
    })
  }
}

/** After a failed try, the next comes this many seconds later; after the last, the message is failed for good. */
export const MESSAGE_RETRY_SCHEDULE = [60, 300, 1800, 7200]
/** A try holds its message this long: a process that dies mid-try leaves it due again after. */
const TRY_LEASE_MS = 60_000
const SEND_BATCH = 20

/**
 * Sends a batch of queued messages that are due, one after another, each recorded as it settles (sent,
 * not sent for want of a provider, failed for good) or put back for a later try. Returns how many were tried.
 */
export async function sendDueMessages(ctx: MessagingContext, options: MessagingOptions, now: number): Promise<number> {
  const due = await listDueMessages(ctx.database.db, now, SEND_BATCH)
  const channels = new Map<string, Promise<ChannelSettings | null>>()
  let tried = 0
  for (const { merchant_id, id } of due) {
    const message = await claimDueMessage(ctx.database.db, merchant_id, id, now, now + TRY_LEASE_MS)
    if (!message) continue
    tried++
    const key = `${merchant_id} ${message.channel}`
    if (!channels.has(key)) channels.set(key, channelSettings(ctx, merchant_id, message.channel))
    const outcome = await tryOnChannel(await channels.get(key)!, options, {
      id, merchantId: merchant_id, channel: message.channel, destination: message.destination, kind: message.kind,
      subject: message.subject ?? '', text: ctx.secrets.unseal(message.text_sealed), createdAt: message.created_at,
    })
    const retryAt = outcome.status === 'failed' ? nextAttemptAt(MESSAGE_RETRY_SCHEDULE, message.attempts, ctx.clock.now(), Math.random()) : null
    await recordMessageTry(ctx.database.db, message, retryAt === null ? { ...outcome, next_attempt_at: null } : { status: 'pending', error: outcome.error, next_attempt_at: retryAt })
  }
  return tried
}

const MINUTES = OTP_TTL_MS / 60_000

/** The sign-in code message, in Chinese and English (SMS convention: the sender's name in 【】 first). */
export function oneTimeCodeMessage(merchantName: string, code: string): { subject: string; text: string } {
  return {
    subject: `${merchantName} 登录验证码 / sign-in code`,
    text: `【${merchantName}】您的登录验证码是 ${code}，${MINUTES} 分钟内有效，请勿告诉他人。Your sign-in code is ${code}; it expires in ${MINUTES} minutes. Do not share it.`,
  }
}

/**
 * The notifier of a running server: sign-in codes go out on the merchant's e-mail or SMS channel, or,
 * with no provider, only to the owner's 发送记录 (in production they are refused: 503
 * delivery_unavailable). Codes never reach the log. Notifications go to the customer's inbox and, for
 * the kinds in CUSTOMER_MESSAGE_KINDS, are queued for the customer's contacts (`queueCustomerMessages`).
 */
export function messagingNotifier(ctx: MessagingContext, options: MessagingOptions): Notifier {
  return {
    async sendOneTimeCode({ merchantId, channel, destination, code }) {
      const merchant = await loadMerchant(ctx.database.db, merchantId)
      const kind = channel === 'phone' ? 'sms' : 'email'
      const delivery = await deliver(ctx, options, { merchantId, channel: kind, destination, kind: 'one_time_code', ...oneTimeCodeMessage(merchant.name, code), hidden: [code, '••••••'] })
      if (delivery.status === 'failed') throw new AppError('delivery_unavailable', 'The sign-in code could not be sent; try again shortly.')
      if (delivery.status === 'not_sent' && options.production) {
        throw new AppError('delivery_unavailable', `Sign-in codes cannot be sent: the merchant has no ${kind === 'sms' ? 'SMS' : 'e-mail'} provider set up.`)
      }
    },
    async notifyCustomer(tx, notification) {
      const id = await writeToInbox(tx, notification)
      if (id !== null) await queueCustomerMessages(tx, ctx.secrets, notification)
      return id
    },
  }
}
