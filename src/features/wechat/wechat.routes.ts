import { Type, type TSchema } from 'typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AppContext } from '../../app-context.ts'
import type { Feature, FeatureApp } from '../feature.ts'
import { merchantOf } from '../../http/auth.ts'
import { IdParam, Nullable, ScopeSchema, responses } from '../../http/schemas.ts'
import { parseWechatBody } from '../../domain/wechat-parse.ts'
import { WX_ERRCODES, wxError } from '../../domain/wechat-errcodes.ts'
import type { Permission } from '../../principals.ts'
import { addressKey } from '../../rate-limit-rules.ts'
import {
  authenticateToken, batchGetCards, createWechatLandingPage, landingPageOf, consumeWechatCode, createWechatQrcode, decryptWechatCode, deleteWechatCard, modifyWechatStock, qrcodeTarget, unavailableWechatCode, updateWechatCard, updateWechatCode, userCardList, createWechatApp, createWechatCard, disableApp, fetchToken, getWechatCard, getWechatCode, issueWechatCard, listApps,
  merchantPois, rotateEncryptCodeKey, rotateSecret, stableToken, WxFailure, wxAnswerOf, type WxCaller,
} from './wechat.service.ts'
import type { WechatAppRow } from './wechat.repository.ts'
import { sendQr } from '../claim-links/qr-image.ts'
import { activateWechatMember, updateWechatMember, wechatMemberUserInfo } from './wechat-members.ts'
import { LANDING_PAGE_CSP, renderLandingPage } from './wechat-landing-page.ts'
import { registerPushRoutes } from './wechat-push.routes.ts'
import { datacubeBizInfo, datacubeCardInfo, datacubeMemberCardInfo } from './wechat-datacube.ts'

/** Paths of Kabao's own routes that a facade prefix must not reach into. */
const RESERVED = ['/v1', '/docs', '/openapi.json', '/console', '/wallet', '/pos', '/healthz', '/readyz', '/metrics', '/assets']

/** The facade's prefix ('' for the root), or an error naming the collision. */
export function facadePrefix(raw: string): string {
  const prefix = ('/' + raw.trim()).replace(/\/+/g, '/').replace(/\/$/, '')
  for (const reserved of RESERVED) {
    if (prefix !== '' && (prefix === reserved || prefix.startsWith(`${reserved}/`))) throw new Error(`WECHAT_FACADE_PREFIX ${raw} collides with Kabao's own ${reserved}`)
  }
  return prefix
}

const Errcode = Type.Union(WX_ERRCODES.map((code) => Type.Literal(code)))
const WxErrorSchema = Type.Object({ errcode: Errcode, errmsg: Type.String() }, { description: 'A refusal or failure, always HTTP 200 (WECHAT-API.md §3)' })
const ok = <T extends Record<string, TSchema>>(fields: T) => Type.Object({ errcode: Type.Literal(0), errmsg: Type.Literal('ok'), ...fields })
const answer = (success: TSchema) => ({ 200: Type.Union([success, WxErrorSchema]) })
const AnyObject = Type.Object({}, { additionalProperties: true })

const DATACUBE_COUNTS = Object.fromEntries(['view_cnt', 'view_user', 'receive_cnt', 'receive_user', 'verify_cnt', 'verify_user', 'given_cnt', 'given_user', 'expire_cnt', 'expire_user'].map((k) => [k, Type.Integer()]))

/** What a facade handler gets: the parsed body and, for all but the token calls, who calls. */
interface WxContext {
  ctx: AppContext
  body: Record<string, unknown>
  query: Record<string, unknown>
  caller: WxCaller
  requestRef: string | null
  /** The absolute URL of a facade path (KABAO_PUBLIC_URL + prefix + path). */
  urlOf(path: string): string
}

interface WxHandler {
  methods: ('GET' | 'POST')[]
  summary: string
  /** What the credential's scope must allow. */
  permission: Permission
  response: TSchema
  handle(c: WxContext): Promise<Record<string, unknown>>
}

/**
 * The facade's calls, keyed by path under the prefix. Later calls (member cards §2.6, datacube §2.7, the
 * rest of §2.2–2.5) are added here as rows: routing, token checks, body parsing, scope, errcodes and the
 * OpenAPI entry come with the table.
 */
export const WX_HANDLERS: Record<string, WxHandler> = {
  '/card/create': {
    methods: ['POST'], summary: 'Create a card template (→ POST /v1/cards)', permission: 'write',
    response: ok({ card_id: Type.String() }),
    handle: ({ ctx, caller, body }) => createWechatCard(ctx, caller, body),
  },
  '/card/get': {
    methods: ['POST'], summary: 'A card template with its live stock and status (→ GET /v1/cards/{id})', permission: 'read',
    response: ok({ card: AnyObject }),
    handle: ({ ctx, caller, body }) => getWechatCard(ctx, caller, body),
  },
  '/card/code/get': {
    methods: ['POST'], summary: 'A code’s holder, validity and status (→ GET /v1/coupons/{code})', permission: 'redeem',
    response: ok({ openid: Type.String(), card: Type.Object({ card_id: Type.String(), begin_time: Type.Integer(), end_time: Type.Integer() }), can_consume: Type.Boolean(), user_card_status: Type.String() }),
    handle: ({ ctx, caller, body }) => getWechatCode(ctx, caller, body),
  },
  '/card/code/consume': {
    methods: ['POST'], summary: 'Consume (redeem) a code, channel api (→ POST /v1/redemptions)', permission: 'redeem',
    response: ok({ openid: Type.String(), card: Type.Object({ card_id: Type.String() }) }),
    handle: ({ ctx, caller, body, requestRef }) => consumeWechatCode(ctx, caller, body, requestRef),
  },
  '/card/batchget': {
    methods: ['POST'], summary: 'The merchant’s card ids in creation order, by status (→ GET /v1/cards)', permission: 'read',
    response: ok({ card_id_list: Type.Array(Type.String()), total_num: Type.Integer() }),
    handle: ({ ctx, caller, body }) => batchGetCards(ctx, caller, body),
  },
  '/card/update': {
    methods: ['POST'], summary: 'Change a card’s face and settings; date_info may only widen (→ PATCH /v1/cards/{id})', permission: 'write',
    response: ok({ send_check: Type.Boolean() }),
    handle: ({ ctx, caller, body }) => updateWechatCard(ctx, caller, body),
  },
  '/card/modifystock': {
    methods: ['POST'], summary: 'Add to or take from the stock; never below zero (→ POST /v1/cards/{id}/stock)', permission: 'write',
    response: ok({}),
    handle: ({ ctx, caller, body, requestRef }) => modifyWechatStock(ctx, caller, body, requestRef),
  },
  '/card/delete': {
    methods: ['POST'], summary: 'End a card: no more claims; issued coupons stay valid (→ POST /v1/cards/{id}/end)', permission: 'write',
    response: ok({}),
    handle: ({ ctx, caller, body }) => deleteWechatCard(ctx, caller, body),
  },
  '/card/code/decrypt': {
    methods: ['POST'], summary: 'The code an encrypt_code of a wallet link stands for', permission: 'redeem',
    response: ok({ code: Type.String() }),
    handle: ({ ctx, caller, body }) => decryptWechatCode(ctx, caller, body),
  },
  '/card/code/unavailable': {
    methods: ['GET', 'POST'], summary: 'Make a code unusable for good (→ POST /v1/coupons/{code}/void); GET takes query parameters', permission: 'write',
    response: ok({}),
    handle: ({ ctx, caller, body, query }) => unavailableWechatCode(ctx, caller, { ...query, ...body }),
  },
  '/card/code/update': {
    methods: ['POST'], summary: 'Change a code (new_code | newcode): Kabao generates every code, so 43009', permission: 'write',
    response: ok({}),
    handle: ({ ctx, caller, body }) => updateWechatCode(ctx, caller, body),
  },
  '/card/user/getcardlist': {
    methods: ['POST'], summary: 'An openid’s coupons still in the wallet (→ GET /v1/users/{id}/coupons)', permission: 'read',
    response: ok({ card_list: Type.Array(Type.Object({ code: Type.String(), card_id: Type.String() })), has_share_card: Type.Boolean() }),
    handle: ({ ctx, caller, body }) => userCardList(ctx, caller, body),
  },
  '/card/qrcode/create': {
    methods: ['POST'], summary: 'A QR code for claiming a card or joining a member card (QR_CARD), or a page offering up to 5 (QR_MULTIPLE_CARD) (→ POST /v1/cards/{id}/claim-links)', permission: 'write',
    response: ok({ ticket: Type.String(), expire_seconds: Type.Optional(Type.Integer({ description: 'Absent for a permanent QR code' })), url: Type.String(), show_qrcode_url: Type.String() }),
    handle: ({ ctx, caller, body, urlOf }) => createWechatQrcode(ctx, caller, body, (ticket) => urlOf(`/cgi-bin/showqrcode?ticket=${encodeURIComponent(ticket)}`), (token) => urlOf(`/kabao/landingpage/${token}`)),
  },
  '/card/landingpage/create': {
    methods: ['POST'], summary: 'A page listing cards to claim, each through a claim link (→ POST /v1/cards/{id}/claim-links)', permission: 'write',
    response: ok({ url: Type.String(), page_id: Type.Integer() }),
    handle: ({ ctx, caller, body, urlOf }) => createWechatLandingPage(ctx, caller, body, (token) => urlOf(`/kabao/landingpage/${token}`)),
  },
  '/card/membercard/activate': {
    methods: ['POST'], summary: 'Activate a member: membership number, first points and balance once (→ members, points, stored value)', permission: 'write',
    response: ok({}),
    handle: ({ ctx, caller, body, requestRef }) => activateWechatMember(ctx, caller, body, requestRef),
  },
  '/card/membercard/updateuser': {
    methods: ['POST'], summary: 'Change a member’s points (add_bonus | bonus) and balance (add_balance | balance) in one transaction (→ POST /v1/members/{id}/points, …/stored-value)', permission: 'write',
    response: ok({ result_bonus: Type.Integer(), result_balance: Type.Integer(), openid: Type.String() }),
    handle: ({ ctx, caller, body, requestRef }) => updateWechatMember(ctx, caller, body, requestRef),
  },
  '/card/membercard/userinfo/get': {
    methods: ['POST'], summary: 'A member’s number, points, balance, profile and activation (→ GET /v1/members/{id})', permission: 'read',
    response: ok({
      openid: Type.String(), nickname: Type.String(), membership_number: Type.String(), bonus: Type.Integer(), balance: Type.Integer(), sex: Type.String(),
      user_info: Type.Object({
        common_field_list: Type.Array(Type.Object({ name: Type.String(), value: Type.String() })),
        custom_field_list: Type.Array(Type.Object({ name: Type.String(), value: Type.String(), value_list: Type.Array(Type.String()) })),
      }),
      user_card_status: Type.String(), has_active: Type.Boolean(),
    }),
    handle: ({ ctx, caller, body }) => wechatMemberUserInfo(ctx, caller, body),
  },
  '/datacube/getcardbizuininfo': {
    methods: ['POST'], summary: 'Coupon figures of every day in the range, all cards together (→ GET /v1/stats/funnel, /v1/stats/cards/{id})', permission: 'read',
    response: ok({ list: Type.Array(Type.Object({ ref_date: Type.String(), ...DATACUBE_COUNTS })) }),
    handle: ({ ctx, caller, body }) => datacubeBizInfo(ctx, caller, body),
  },
  '/datacube/getcardcardinfo': {
    methods: ['POST'], summary: 'Coupon figures per day and card with activity, or of one card_id (→ GET /v1/stats/cards/{id})', permission: 'read',
    response: ok({ list: Type.Array(Type.Object({ ref_date: Type.String(), card_id: Type.String(), card_type: Type.Integer(), ...DATACUBE_COUNTS })) }),
    handle: ({ ctx, caller, body }) => datacubeCardInfo(ctx, caller, body),
  },
  '/datacube/getcardmembercardinfo': {
    methods: ['POST'], summary: 'Member card figures of every day in the range (→ GET /v1/member-cards/{id}/metrics)', permission: 'read',
    response: ok({ list: Type.Array(Type.Object({ ref_date: Type.String(), ...Object.fromEntries(['view_cnt', 'view_user', 'receive_cnt', 'receive_user', 'active_user', 'verify_cnt', 'verify_user', 'total_user', 'total_receive_user'].map((k) => [k, Type.Integer()])) })) }),
    handle: ({ ctx, caller, body }) => datacubeMemberCardInfo(ctx, caller, body),
  },
  '/kabao/card/issue': {
    methods: ['POST'], summary: 'Kabao extension: issue a coupon to an openid (→ POST /v1/cards/{id}/issue)', permission: 'write',
    response: ok({ code: Type.String(), card_id: Type.String(), openid: Type.String() }),
    handle: ({ ctx, caller, body }) => issueWechatCard(ctx, caller, body),
  },
}

const TOKEN_RESPONSE = Type.Object({ access_token: Type.String(), expires_in: Type.Integer() })

function allowed(scope: string, permission: Permission): boolean {
  if (scope === 'full') return true
  if (scope === 'read') return permission === 'read'
  return permission === 'redeem' || permission === 'read'
}

function send(reply: FastifyReply, payload: unknown): FastifyReply {
  return reply.code(200).type('application/json; charset=utf-8').send(payload)
}

function bodyOf(request: FastifyRequest): Record<string, unknown> {
  const parsed = parseWechatBody(typeof request.body === 'string' ? request.body : undefined)
  if (!parsed.ok) throw new WxFailure(parsed.reason === 'nul' ? 40097 : 47001, parsed.reason === 'nul' ? 'the NUL character' : undefined)
  return parsed.value
}

declare module 'fastify' {
  interface FastifyRequest {
    wechat: WxCaller | null
  }
}

/** The facade: WeChat's paths under the prefix, every answer HTTP 200 JSON with an errcode. */
async function registerFacade(wx: FeatureApp, ctx: AppContext): Promise<void> {
  // Bodies are read as text whatever their type (or none), and parsed by the facade's own rules.
  wx.removeAllContentTypeParsers()
  wx.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body))
  wx.setErrorHandler((error, _request, reply) => {
    const code = (error as { code?: string }).code
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return send(reply, wxError(47001))
    if ((error as { validation?: unknown }).validation) return send(reply, wxError(40097, 'the NUL character'))
    if (!(error instanceof WxFailure) && !(error as { code?: unknown }).code) reply.log.error({ err: error }, 'wechat facade call failed')
    return send(reply, wxAnswerOf(error))
  })
  wx.decorateRequest('wechat', null)
  const config = { auth: 'none' as const }
  const tags = ['wechat-compatible']

  const token = async (request: FastifyRequest, reply: FastifyReply, stable: boolean) => {
    const params = { ...(request.query as object), ...(request.method === 'POST' ? bodyOf(request) : {}) }
    return send(reply, await (stable ? stableToken(ctx, params) : fetchToken(ctx, params)))
  }
  wx.route({
    method: ['GET', 'POST'], url: '/cgi-bin/token', config,
    schema: { tags, summary: 'access_token for appid and secret (query, JSON or form body)', response: answer(TOKEN_RESPONSE) },
    handler: (request, reply) => token(request, reply, false),
  })
  wx.route({
    method: ['POST'], url: '/cgi-bin/stable_token', config,
    schema: { tags, summary: 'The live access_token without superseding it; force_refresh issues a new one', response: answer(TOKEN_RESPONSE) },
    handler: (request, reply) => token(request, reply, true),
  })

  wx.route({
    method: ['GET'], url: '/cgi-bin/showqrcode', config,
    schema: {
      tags, summary: 'The QR code image (PNG) of a card/qrcode/create ticket; no access_token',
      querystring: Type.Object({ ticket: Type.Optional(Type.String()) }, { additionalProperties: true }),
      produces: ['image/png', 'application/json'],
      response: { 200: Type.Union([Type.String({ format: 'binary', description: 'image/png' }), WxErrorSchema]) },
    },
    handler: async (request, reply) => sendQr(reply, await qrcodeTarget(ctx, (request.query as { ticket?: string }).ticket, (token) => `${ctx.publicUrl}${wx.prefix}/kabao/landingpage/${token}`), 'png', 430, 'private, max-age=300'),
  })

  wx.route({
    method: ['GET'], url: '/kabao/landingpage/:token', config,
    schema: {
      tags, summary: 'The page of a card/landingpage/create (HTML); no access_token', params: IdParam('token'),
      produces: ['text/html', 'application/json'],
      response: { 200: Type.Union([Type.String({ description: 'text/html' }), WxErrorSchema]) },
    },
    handler: async (request, reply) => {
      const found = await landingPageOf(ctx, (request.params as { token: string }).token)
      if (!found) return send(reply, wxError(40097, 'landing page'))
      return reply.code(200).type('text/html; charset=utf-8').header('content-security-policy', LANDING_PAGE_CSP).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer').send(renderLandingPage(found.page, found.cards))
    },
  })

  for (const [path, handler] of Object.entries(WX_HANDLERS)) {
    wx.route({
      method: handler.methods, url: path, config,
      schema: { tags, summary: handler.summary, querystring: Type.Object({ access_token: Type.Optional(Type.String()) }, { additionalProperties: true }), response: answer(handler.response) },
      // Before the Idempotency-Key hook (preHandler), so a facade POST with a key has native semantics.
      onRequest: async (request) => {
        const caller = await authenticateToken(ctx, (request.query as { access_token?: string }).access_token)
        if (!allowed(caller.app.scope, handler.permission)) throw new WxFailure(48001, `a ${caller.app.scope} credential may not call ${path}`)
        // The client address, as the risk rules count wrong codes by it (and the request-rate limits).
        request.wechat = { ...caller, address: addressKey(request.ip) }
        request.merchant = caller.principal
      },
      handler: async (request, reply) => {
        const requestRef = request.idempotency ? `${request.idempotency.key}@${request.idempotency.createdAt}` : null
        const result = await handler.handle({ ctx, body: bodyOf(request), query: request.query as Record<string, unknown>, caller: request.wechat as WxCaller, requestRef, urlOf: (path) => `${ctx.publicUrl}${wx.prefix}${path}` })
        return send(reply, { errcode: 0, errmsg: 'ok', ...result })
      },
    })
  }

  // Anything else under WeChat's segments: a wrong method on a known path (43002), or a path not offered (48001).
  // Parametric routes one to four segments deep (known paths are static and win): a wildcard would not show
  // in Fastify's route list as the path it serves.
  const depths: Record<string, number> = { '/cgi-bin': 2, '/card': 4, '/datacube': 2, '/kabao': 3 }
  for (const [segment, depth] of Object.entries(depths)) {
    for (let n = 1; n <= depth; n++) {
      wx.route({
        method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'], url: `${segment}${Array.from({ length: n }, (_, i) => `/:part_${'abcd'[i]}`).join('')}`, config,
        schema: { tags, summary: `Any other ${segment} path or method: 43002 (known path, wrong method) or 48001 (not offered)`, response: { 200: WxErrorSchema } },
        handler: async (request, reply) => {
          const path = request.url.split('?')[0].slice(wx.prefix.length)
          const known = path in WX_HANDLERS || ['/cgi-bin/token', '/cgi-bin/stable_token', '/cgi-bin/showqrcode'].includes(path) || /^\/kabao\/landingpage\/[^/]+$/.test(path)
          return send(reply, wxError(known ? 43002 : 48001))
        },
      })
    }
  }
}

const WechatApp = Type.Object({
  appid: Type.String(),
  original_id: Type.String(),
  scope: ScopeSchema,
  store_id: Nullable(Type.String()),
  create_as_draft: Type.Boolean(),
  status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
  push_url: Nullable(Type.String({ description: 'Where events are pushed as WeChat XML (PUT …/push); null: no pushes' })),
  card_pass_check: Type.Boolean({ description: 'Whether card_pass_check is pushed' }),
  created_at: Type.String({ format: 'date-time' }),
})
const WechatAppWithSecret = Type.Object({ ...WechatApp.properties, secret: Type.String({ description: 'Shown only here and on rotation' }) })

function present(app: WechatAppRow) {
  return { appid: app.appid, original_id: app.original_id, scope: app.scope, store_id: app.store_id, create_as_draft: app.create_as_draft === 1, status: app.status, push_url: app.push_url ?? null, card_pass_check: (app.push_card_pass_check ?? 1) === 1, created_at: new Date(app.created_at).toISOString() }
}

/** The native API of the credentials: create, list, rotate the secret, disable. */
function registerCredentials(app: FeatureApp, ctx: AppContext): void {
  const tags = ['wechat-apps']
  app.post('/v1/wechat-apps', {
    config: { ownerOnly: true },
    schema: {
      tags, summary: 'A WeChat app credential (appid + secret) for the WeChat-compatible API; the secret is shown once',
      body: Type.Object({ scope: Type.Optional(ScopeSchema), store_id: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 100 }))), original_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), create_as_draft: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      response: responses({ 201: WechatAppWithSecret }),
    },
  }, async (request, reply) => {
    const created = await createWechatApp(ctx, merchantOf(request).merchantId, request.body ?? {})
    return reply.code(201).send({ ...present(created.app), secret: created.secret })
  })
  app.get('/v1/wechat-apps', { schema: { tags, summary: 'The merchant’s WeChat app credentials', response: responses({ 200: Type.Object({ data: Type.Array(WechatApp) }) }) } }, async (request) => ({
    data: (await listApps(ctx, merchantOf(request).merchantId)).map(present),
  }))
  app.post('/v1/wechat-apps/:appid/rotate-secret', { config: { ownerOnly: true }, schema: { tags, summary: 'A new secret; tokens of the old one stop at once', params: IdParam('appid'), response: responses({ 200: WechatAppWithSecret }) } }, async (request) => {
    const rotated = await rotateSecret(ctx, merchantOf(request).merchantId, request.params.appid)
    return { ...present(rotated.app), secret: rotated.secret }
  })
  app.get('/v1/wechat-facade', {
    schema: {
      tags, summary: 'Where the WeChat-compatible API is served: the base URL to point WeChat SDKs at',
      response: responses({ 200: Type.Object({ enabled: Type.Boolean(), base_url: Nullable(Type.String({ description: 'KABAO_PUBLIC_URL + WECHAT_FACADE_PREFIX; null when the facade is off' })), token_url: Nullable(Type.String()) }) }),
    },
  }, async () => {
    const settings = ctx.wechatFacade ?? { prefix: '' }
    if (settings === false) return { enabled: false, base_url: null, token_url: null }
    const base = `${ctx.publicUrl}${facadePrefix(settings.prefix)}`
    return { enabled: true, base_url: base, token_url: `${base}/cgi-bin/token` }
  })
  app.get('/v1/wechat-locations', {
    schema: {
      tags, summary: 'The integer location_id (POI id) the WeChat-compatible API knows each store by',
      response: responses({ 200: Type.Object({ data: Type.Array(Type.Object({ location_id: Type.Integer(), store_id: Type.String(), store_name: Type.String() })) }) }),
    },
  }, async (request) => ({
    data: [...(await merchantPois(ctx, merchantOf(request).merchantId))].sort((a, b) => a.poi_id - b.poi_id).map((p) => ({ location_id: p.poi_id, store_id: p.store_id, store_name: p.store_name })),
  }))
  app.post('/v1/wechat-encrypt-code-key/rotate', {
    config: { ownerOnly: true },
    schema: {
      tags, summary: 'A new key for the merchant’s encrypt_code (the code in wallet link cells): every encrypt_code handed out before stops decrypting (40075)',
      response: responses({ 200: Type.Object({ generation: Type.Integer({ description: '1 until the first rotation' }), rotated_at: Type.String({ format: 'date-time' }) }) }),
    },
  }, async (request) => {
    const rotated = await rotateEncryptCodeKey(ctx, merchantOf(request).merchantId)
    return { generation: rotated.generation, rotated_at: new Date(rotated.rotated_at).toISOString() }
  })
  app.post('/v1/wechat-apps/:appid/disable', { config: { ownerOnly: true }, schema: { tags, summary: 'Disable a credential; its tokens stop at once', params: IdParam('appid'), response: responses({ 200: WechatApp }) } }, async (request) =>
    present(await disableApp(ctx, merchantOf(request).merchantId, request.params.appid)),
  )
  registerPushRoutes(app, ctx, present, WechatApp)
}

export const wechatRoutes: Feature = async (app, ctx) => {
  registerCredentials(app, ctx)
  const settings = ctx.wechatFacade ?? { prefix: '' }
  if (settings === false) return
  await app.register(async (wx) => registerFacade(wx as FeatureApp, ctx), { prefix: facadePrefix(settings.prefix) })
}
