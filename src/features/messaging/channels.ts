import nodemailer from 'nodemailer'
import { httpWebhookClient } from '../../ports/webhook-client.ts'
import { signatureHeader } from '../webhooks/webhook-delivery.ts'
import type { MessageChannel } from './messaging.table.ts'

/** A merchant's outgoing mail server: `smtp://user:pass@host:587` or `smtps://…:465`, and the sender. */
export interface EmailSettings {
  smtp_url: string
  from: string
}

/** The merchant's own SMS gateway, called with a signed POST (the webhook signature scheme). */
export interface SmsHookSettings {
  url: string
  secret: string
}

export type ChannelSettings = { channel: 'email'; settings: EmailSettings } | { channel: 'sms'; settings: SmsHookSettings }

export interface OutgoingMessage {
  id: string
  merchantId: string
  destination: string
  subject: string
  text: string
  kind: string
  createdAt: number
}

export interface SendOptions {
  timeoutMs: number
  allowPrivateDestinations: boolean
}

/** Sends on the channel; resolves when the provider accepted the message, throws with its reason. */
export async function sendOnChannel(configured: ChannelSettings, message: OutgoingMessage, options: SendOptions): Promise<void> {
  if (configured.channel === 'email') return sendEmail(configured.settings, message, options)
  return callSmsHook(configured.settings, message, options)
}

async function sendEmail(settings: EmailSettings, message: OutgoingMessage, options: SendOptions): Promise<void> {
  const transport = nodemailer.createTransport(settings.smtp_url, {
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
  })
  try {
    await transport.sendMail({ from: settings.from, to: message.destination, subject: message.subject, text: message.text, messageId: `<${message.id}@kabao>` })
  } finally {
    transport.close()
  }
}

/**
 * `POST url` with `{id, type: "message.send", created_at, merchant_id, data: {channel, to, text, kind}}`,
 * signed like a webhook (`Kabao-Signature`); any 2xx means the gateway took it.
 */
async function callSmsHook(settings: SmsHookSettings, message: OutgoingMessage, options: SendOptions): Promise<void> {
  const body = JSON.stringify({
    id: message.id,
    type: 'message.send',
    created_at: new Date(message.createdAt).toISOString(),
    merchant_id: message.merchantId,
    data: { channel: 'sms' satisfies MessageChannel, to: message.destination, text: message.text, kind: message.kind },
  })
  const response = await httpWebhookClient({
    url: settings.url,
    body,
    timeoutMs: options.timeoutMs,
    allowPrivateDestinations: options.allowPrivateDestinations,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Kabao-Messages/1.0',
      'kabao-event-id': message.id,
      'kabao-signature': signatureHeader([settings.secret], Math.floor(Date.now() / 1000), body),
    },
  })
  if (response.statusCode === null) throw new Error(response.error ?? 'the gateway did not answer')
  if (response.statusCode < 200 || response.statusCode > 299) throw new Error(`the gateway answered ${response.statusCode}`)
}
