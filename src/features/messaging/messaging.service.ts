import type { AppContext } from '../../app-context.ts'
import type { Database } from '../../db/database.ts'
import { AppError } from '../../errors.ts'
import type { Clock } from '../../ports/clock.ts'
import { newId, randomToken } from '../../ports/ids.ts'
import type { Notifier } from '../../ports/notifier.ts'
import type { Secrets } from '../../ports/secrets.ts'
import { writeToInbox } from '../notifications/inbox.ts'
import { OTP_TTL_MS } from '../customers/otp-rules.ts'
import { loadMerchant } from '../merchants/merchants.service.ts'
import { sendOnChannel, type ChannelSettings, type EmailSettings, type SmsHookSettings } from './channels.ts'
import { deleteMessageChannel, findMessageChannel, insertSentMessage, saveMessageChannel } from './messaging.repository.ts'
import type { MessageChannel, MessageChannelsTable, SentMessageKind, SentMessageStatus } from './messaging.table.ts'

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

/**
 * Sends a message to a customer on the merchant's channel and records it (sealed) for the owner's
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
  let status: SentMessageStatus = 'sent'
  let error: string | null = null
  let recorded = message.text
  if (!configured) {
    status = 'not_sent'
    error = `no ${message.channel === 'sms' ? 'SMS' : 'e-mail'} provider is set up`
    if (options.production && message.hidden) recorded = recorded.replaceAll(...message.hidden)
  } else {
    try {
      await sendOnChannel(configured, { id, merchantId: message.merchantId, destination: message.destination, subject: message.subject, text: message.text, kind: message.kind, createdAt: now }, {
        timeoutMs: options.timeoutMs ?? 10_000,
        allowPrivateDestinations: options.allowPrivateDestinations,
      })
    } catch (failure) {
      status = 'failed'
      error = String((failure as Error).message ?? failure).slice(0, 500)
    }
  }
  await insertSentMessage(ctx.database.db, {
    id,
    merchant_id: message.merchantId,
    channel: message.channel,
    destination: message.destination,
    kind: message.kind,
    text_sealed: ctx.secrets.seal(recorded),
    status,
    error,
    created_at: now,
  })
  return { id, status, error }
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
 * delivery_unavailable). Codes never reach the log. Notifications go to the customer's inbox.
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
    notifyCustomer: writeToInbox,
  }
}
