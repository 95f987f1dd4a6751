import { Type } from 'typebox'
import type { FastifyRequest } from 'fastify'
import type { AppContext } from '../../app-context.ts'
import { merchantOf } from '../../http/auth.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { ListQuery, Nullable, NoContent, Timestamp, listOf, responses } from '../../http/schemas.ts'
import { decodeCursor, page } from '../../pagination.ts'
import { formatInstant } from '../../domain/time.ts'
import type { FeatureApp } from '../feature.ts'
import type { ChannelSettings } from './channels.ts'
import { listMessageChannels, listSentMessages } from './messaging.repository.ts'
import { deliver, messagingOptions, openChannel, removeChannel, saveEmailChannel, saveSmsChannel } from './messaging.service.ts'
import { SENT_MESSAGE_KINDS, SENT_MESSAGE_STATUSES, type MessageChannel, type SentMessagesTable } from './messaging.table.ts'

const ChannelName = Type.Union([Type.Literal('email'), Type.Literal('sms')])

const ChannelSchema = Type.Object(
  {
    channel: ChannelName,
    from: Type.Optional(Type.String({ description: 'E-mail: the sender address' })),
    smtp_host: Type.Optional(Type.String({ description: 'E-mail: the mail server (its password is never shown)' })),
    url: Type.Optional(Type.String({ description: 'SMS: the merchant’s gateway hook' })),
    secret: Type.Optional(Type.String({ description: 'SMS: the hook’s signing secret, shown when it is made only' })),
  },
  { description: 'How customers are reached on one channel' },
)

const SentMessageSchema = Type.Object({
  id: Type.String(),
  channel: ChannelName,
  destination: Type.String(),
  kind: Type.Union(
    SENT_MESSAGE_KINDS.map((kind) => Type.Literal(kind)),
    { description: '`one_time_code` (a wallet sign-in code), `test`, or the kind of the customer notification it passes on' },
  ),
  text: Type.String(),
  status: Type.Union(SENT_MESSAGE_STATUSES.map((status) => Type.Literal(status)), {
    description: '`pending`: queued or waiting to be tried again; `failed`: the provider refused it for good; `not_sent`: no provider is set up for the channel',
  }),
  error: Nullable(Type.String({ description: 'Why the provider refused it (the last try’s reason while pending)' })),
  created_at: Timestamp,
})

function presentChannel(configured: ChannelSettings, showSecret = false) {
  if (configured.channel === 'email') return { channel: 'email' as const, from: configured.settings.from, smtp_host: new URL(configured.settings.smtp_url).host }
  return { channel: 'sms' as const, url: configured.settings.url, ...(showSecret ? { secret: configured.settings.secret } : {}) }
}

function smtpUrlOrError(raw: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw validationFailed([{ field: 'smtp_url', code: 'invalid', message: 'must be a URL like smtp://user:password@mail.example.com:587' }])
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw validationFailed([{ field: 'smtp_url', code: 'invalid', message: 'must start with smtp:// or smtps://' }])
  return raw
}

function hookUrlOrError(raw: string): string {
  let url: URL | null = null
  try {
    url = new URL(raw)
  } catch {}
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw validationFailed([{ field: 'url', code: 'invalid', message: 'must be an http:// or https:// URL' }])
  return raw
}

/** The record holds sign-in codes: staff other than owners may not read it. */
function ownersOnly(request: FastifyRequest): void {
  if (request.staff && request.staff.role !== 'owner') throw new AppError('forbidden', 'Only an owner may read the messages sent to customers.')
}

/**
 * How the merchant's customers are reached (e-mail over SMTP, SMS through the merchant's own gateway
 * hook) and what was sent to them (发送记录). Only owners and full keys change or read them.
 */
export async function messagingRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  const messaging = messagingOptions(ctx)
  const tags = ['messaging']

  app.get('/v1/message-channels', { schema: { tags, summary: 'The channels customers are reached on', response: responses({ 200: Type.Object({ data: Type.Array(ChannelSchema) }) }) }, config: { permission: 'write' } }, async (request) => {
    const { merchantId } = merchantOf(request)
    ownersOnly(request)
    const rows = await listMessageChannels(ctx.database.db, merchantId)
    return { data: rows.map((row) => presentChannel(openChannel(ctx.secrets, row))) }
  })

  app.put(
    '/v1/message-channels/email',
    {
      schema: {
        tags,
        summary: 'Send customers e-mail through this SMTP server',
        body: Type.Object({ smtp_url: Type.String({ minLength: 1, maxLength: 1000, description: 'smtp://user:password@host:587 or smtps://…:465' }), from: Type.String({ minLength: 3, maxLength: 320 }) }, { additionalProperties: false }),
        response: responses({ 200: ChannelSchema }),
      },
      config: { ownerOnly: true },
    },
    async (request) => {
      const { merchantId } = merchantOf(request)
      return presentChannel(await saveEmailChannel(ctx, merchantId, { smtp_url: smtpUrlOrError(request.body.smtp_url), from: request.body.from }))
    },
  )

  app.put(
    '/v1/message-channels/sms',
    {
      schema: {
        tags,
        summary: 'Send customers SMS through the merchant’s own gateway, called with a signed POST',
        body: Type.Object({ url: Type.String({ minLength: 1, maxLength: 2000 }), rotate_secret: Type.Optional(Type.Boolean({ default: false })) }, { additionalProperties: false }),
        response: responses({ 200: ChannelSchema }),
      },
      config: { ownerOnly: true },
    },
    async (request) => {
      const { merchantId } = merchantOf(request)
      const { configured, newSecret } = await saveSmsChannel(ctx, merchantId, { url: hookUrlOrError(request.body.url), rotateSecret: request.body.rotate_secret ?? false })
      return presentChannel(configured, newSecret)
    },
  )

  const ChannelParam = Type.Object({ channel: ChannelName })

  app.delete('/v1/message-channels/:channel', { schema: { tags, summary: 'Stop sending on a channel', params: ChannelParam, response: responses({ 204: NoContent }) }, config: { ownerOnly: true } }, async (request, reply) => {
    const { merchantId } = merchantOf(request)
    await removeChannel(ctx, merchantId, request.params.channel)
    return reply.code(204).send(null)
  })

  app.post(
    '/v1/message-channels/:channel/test',
    {
      schema: {
        tags,
        summary: 'Send a test message; the answer says whether the provider took it',
        params: ChannelParam,
        body: Type.Object({ to: Type.String({ minLength: 3, maxLength: 320, description: 'A phone number or e-mail address' }) }, { additionalProperties: false }),
        response: responses({ 200: SentMessageSchema }),
      },
      config: { ownerOnly: true },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const channel: MessageChannel = request.params.channel
      const text = 'Kabao 测试消息 / test message'
      const delivery = await deliver(ctx, messaging, { merchantId, channel, destination: request.body.to, kind: 'test', subject: text, text })
      return { id: delivery.id, channel, destination: request.body.to, kind: 'test' as const, text, status: delivery.status, error: delivery.error, created_at: formatInstant(ctx.clock.now(), merchantTz) }
    },
  )

  app.get(
    '/v1/sent-messages',
    { schema: { tags, summary: 'What was sent to customers, or would have been with no provider (发送记录), newest first', querystring: ListQuery, response: responses({ 200: listOf(SentMessageSchema) }) }, config: { permission: 'write' } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      ownersOnly(request)
      const limit = request.query.limit ?? 50
      const rows = await listSentMessages(ctx.database.db, merchantId, decodeCursor(request.query.cursor), limit + 1)
      return page(rows, limit, (row: SentMessagesTable) => ({
        id: row.id,
        channel: row.channel,
        destination: row.destination,
        kind: row.kind,
        text: ctx.secrets.unseal(row.text_sealed),
        status: row.status,
        error: row.error,
        created_at: formatInstant(row.created_at, merchantTz),
      }))
    },
  )
}
