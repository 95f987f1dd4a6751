import { Type } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import type { FeatureApp } from '../feature.ts'
import { merchantOf } from '../../http/auth.ts'
import { IdParam, ListQuery, Nullable, listOf, responses } from '../../http/schemas.ts'
import { decodeCursor, page } from '../../pagination.ts'
import { PUSH_TOKEN_PATTERN } from '../../domain/wechat-push.ts'
import { nudgeWebhooks } from '../../jobs/webhook-worker.ts'
import { DELIVERY_STATUSES } from '../webhooks/webhooks.table.ts'
import { presentDelivery } from '../webhooks/webhooks.presenter.ts'
import { DeliverySchema } from '../webhooks/webhooks.routes.ts'
import type { WechatAppRow } from './wechat.repository.ts'
import { pushDeliveries, resendPush, setPushSettings } from './wechat-push.service.ts'

const PushDelivery = Type.Object({
  ...DeliverySchema.properties,
  event_type: Type.String({ description: 'The native event pushed (its WeChat events: docs/wechat.md)' }),
  status: Type.Enum(DELIVERY_STATUSES, { description: '`delivered` (answered 200), `pending` (a retry is due) or `failed` (3 attempts without 200; resend it)' }),
})

/**
 * The native API of a WeChat app's event pushes (§4): set the push URL and Token (checked by the echo),
 * read the push log, resend an event. `present` renders the app as the credentials routes do.
 */
export function registerPushRoutes(app: FeatureApp, ctx: AppContext, present: (row: WechatAppRow) => object, appSchema: ReturnType<typeof Type.Object>): void {
  const tags = ['wechat-apps']
  const params = IdParam('appid')
  app.put('/v1/wechat-apps/:appid/push', {
    config: { ownerOnly: true },
    schema: {
      tags,
      summary: 'Where the app’s events are pushed as WeChat XML: the URL must answer the echo check (GET with echostr) signed with the Token; a null URL stops pushes',
      params,
      body: Type.Object(
        {
          push_url: Nullable(Type.String({ minLength: 1, maxLength: 2048, description: 'The merchant server’s URL; null switches pushes off' })),
          push_token: Type.Optional(Type.String({ pattern: PUSH_TOKEN_PATTERN, description: 'WeChat’s Token: 3–32 letters and digits; needed with the first URL, kept when absent' })),
          card_pass_check: Type.Optional(Type.Boolean({ description: 'Push card_pass_check when a card becomes active (default true)' })),
        },
        { additionalProperties: false },
      ),
      response: responses({ 200: appSchema }),
    },
  }, async (request) => present(await setPushSettings(ctx, merchantOf(request).merchantId, request.params.appid, request.body)))

  app.get('/v1/wechat-apps/:appid/push-deliveries', {
    schema: {
      tags, summary: 'The push log: each event pushed to the app’s URL, its state, attempts and last answer, newest first', params,
      querystring: Type.Intersect([ListQuery, Type.Object({ status: Type.Optional(Type.Enum(DELIVERY_STATUSES)) })]),
      response: responses({ 200: listOf(PushDelivery) }),
    },
  }, async (request) => {
    const { merchantId, merchantTz } = merchantOf(request)
    const limit = request.query.limit ?? 50
    const rows = await pushDeliveries(ctx, merchantId, request.params.appid, { status: request.query.status, before: decodeCursor(request.query.cursor) }, limit + 1)
    return page(rows, limit, (row) => presentDelivery(row, merchantTz))
  })

  app.post('/v1/wechat-apps/:appid/push-deliveries/resend', {
    schema: {
      tags, summary: 'Push an event again, with three fresh attempts (a failed push, or any event since the URL was set)', params,
      body: Type.Object({ event_id: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }),
      response: responses({ 202: Type.Object({ queued: Type.Integer({ minimum: 0 }) }) }),
    },
  }, async (request, reply) => {
    await resendPush(ctx, merchantOf(request).merchantId, request.params.appid, request.body.event_id)
    nudgeWebhooks()
    return reply.code(202).send({ queued: 1 })
  })
}
