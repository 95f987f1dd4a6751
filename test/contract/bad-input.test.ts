import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { ENGINES, engineOptions } from '../helpers/databases.ts'
import { cashCard, startTestApp, type Response, type TestApp } from '../helpers/app.ts'
import { assertInvalidFields, assertProblem } from '../helpers/problem.ts'
import { memberCardBody } from '../helpers/member-api.ts'
import { BODY_LIMIT_BYTES } from '../../src/app.ts'
import { codeFromRandomBytes } from '../../src/domain/codes.ts'

/** One merchant's things, each kind the API can name by id. */
interface World {
  merchantId: string
  key: string
  storeId: string
  cardId: string
  /** An available coupon. */
  code: string
  redemptionId: string
  apiKeyId: string
  claimLinkId: string
  claimToken: string
  /** A wallet token of user u1, who owns `code`. */
  walletToken: string
  couponId: string
  memberCardId: string
  /** User u1's membership, with points, stored value and an order. */
  memberId: string
  rewardId: string
  /** The member's order, by the merchant's own reference. */
  orderRef: string
  endpointId: string
  paymentId: string
  /** The order id of that payment. */
  paymentOrderId: string
  ruleId: string
  /** One of u1's notifications. */
  notificationId: string
  eventId: string
}

interface Route {
  method: string
  url: string
  /** Fields the route requires; null when the whole body is optional. */
  required: string[] | null
  /** A body the route accepts. */
  valid: Record<string, unknown>
  /** A body with one value of the wrong type, and the field it names. */
  wrongType: [Record<string, unknown>, string]
  /** Media types besides JSON that the route reads. */
  alsoAccepts?: string[]
  /** The credential it takes (a wallet token for the wallet's routes); the merchant's key when absent. */
  key?: string
}

/** Every route that takes a JSON body. */
function bodyRoutes(w: World): Route[] {
  return [
    { method: 'POST', url: '/v1/cards', required: ['type', 'title', 'stock', 'validity'], valid: cashCard(), wrongType: [cashCard({ validity: { type: 'fixed_term', days: '30' } }), 'validity.days'] },
    { method: 'PATCH', url: `/v1/cards/${w.cardId}`, required: null, valid: { subtitle: 'Weekdays' }, wrongType: [{ title: 5 }, 'title'] },
    { method: 'POST', url: `/v1/cards/${w.cardId}/stock`, required: ['delta'], valid: { delta: 1 }, wrongType: [{ delta: '5' }, 'delta'] },
    { method: 'POST', url: `/v1/cards/${w.cardId}/issue`, required: ['user_id'], valid: { user_id: 'u-valid' }, wrongType: [{ user_id: 5 }, 'user_id'] },
    { method: 'POST', url: `/v1/coupons/${w.code}/void`, required: null, valid: { reason: 'test' }, wrongType: [{ reason: 5 }, 'reason'] },
    { method: 'POST', url: '/v1/redemptions', required: ['code'], valid: { code: w.code, order_amount: 12000 }, wrongType: [{ code: w.code, order_amount: '12000' }, 'order_amount'] },
    { method: 'POST', url: '/v1/redemptions/check', required: ['code'], valid: { code: w.code, order_amount: 12000 }, wrongType: [{ code: 5 }, 'code'] },
    { method: 'POST', url: `/v1/redemptions/${w.redemptionId}/reverse`, required: null, valid: { reason: 'test' }, wrongType: [{ reason: [] }, 'reason'] },
    { method: 'POST', url: '/v1/stores', required: ['name'], valid: { name: 'Xuhui' }, wrongType: [{ name: 'Xuhui', latitude: '31.2' }, 'latitude'] },
    { method: 'PATCH', url: `/v1/stores/${w.storeId}`, required: null, valid: { address: '1 Road' }, wrongType: [{ timezone: 8 }, 'timezone'] },
    { method: 'PATCH', url: '/v1/merchant', required: null, valid: { name: 'Renamed' }, wrongType: [{ name: {} }, 'name'] },
    { method: 'PUT', url: '/v1/merchant/policy', required: null, valid: { require_notice: true }, wrongType: [{ max_percent_off: '50' }, 'max_percent_off'] },
    { method: 'POST', url: '/v1/api-keys', required: ['name', 'scope'], valid: { name: 'till', scope: 'read' }, wrongType: [{ name: 'till', scope: 'read', store_id: 5 }, 'store_id'] },
    { method: 'POST', url: `/v1/cards/${w.cardId}/claim-links`, required: null, valid: { max_claims: 10 }, wrongType: [{ max_claims: '10' }, 'max_claims'] },
    { method: 'POST', url: `/v1/cards/${w.cardId}/bulk-issue`, required: ['user_ids'], valid: { user_ids: ['u-bulk'] }, wrongType: [{ user_ids: 'u-bulk' }, 'user_ids'], alsoAccepts: ['text/plain'] },
    { method: 'POST', url: '/v1/wallet-tokens', required: ['user_id'], valid: { user_id: 'u1' }, wrongType: [{ user_id: 5 }, 'user_id'] },
    { method: 'POST', url: '/v1/wallet/otp', required: ['merchant_id'], valid: { merchant_id: w.merchantId, phone: '13800138000' }, wrongType: [{ merchant_id: 5, phone: '13800138000' }, 'merchant_id'] },
    { method: 'POST', url: '/v1/wallet/sessions', required: ['merchant_id', 'challenge_id', 'code'], valid: { merchant_id: w.merchantId, challenge_id: 'otp_x', code: '123456' }, wrongType: [{ merchant_id: w.merchantId, challenge_id: 'otp_x', code: 123456 }, 'code'] },
    ...memberBodyRoutes(w),
    { method: 'POST', url: '/v1/webhook-endpoints', required: ['url'], valid: { url: 'https://shop.example/hooks' }, wrongType: [{ url: 'https://shop.example/hooks', events: 'coupon.*' }, 'events'] },
    { method: 'PATCH', url: `/v1/webhook-endpoints/${w.endpointId}`, required: null, valid: { description: 'ERP' }, wrongType: [{ url: 5 }, 'url'] },
    { method: 'POST', url: `/v1/webhook-endpoints/${w.endpointId}/redeliver`, required: null, valid: { since: '2026-01-01T00:00:00Z' }, wrongType: [{ event_id: 5 }, 'event_id'] },
    { method: 'POST', url: '/v1/payments', required: ['order_id', 'amount', 'user_id'], valid: { order_id: 'o-valid', amount: 100, user_id: 'u1' }, wrongType: [{ order_id: 'o-valid', amount: '100', user_id: 'u1' }, 'amount'] },
    { method: 'POST', url: '/v1/payment-rules', required: ['card_id', 'min_amount'], valid: { card_id: w.cardId, min_amount: 100 }, wrongType: [{ card_id: w.cardId, min_amount: '100' }, 'min_amount'] },
    { method: 'PATCH', url: `/v1/payment-rules/${w.ruleId}`, required: null, valid: { active: false }, wrongType: [{ active: 'no' }, 'active'] },
  ]
}

/** The member cards' routes that take a JSON body: the merchant's, the till's and the wallet's. */
function memberBodyRoutes(w: World): Route[] {
  const member = `/v1/members/${w.memberId}`
  const wallet = `/v1/wallet/members/${w.memberId}`
  return [
    { method: 'POST', url: '/v1/member-cards', required: ['title', 'levels'], valid: memberCardBody(), wrongType: [memberCardBody({ levels: [{ name: 'A', min_growth: '0' }] }), 'levels[0].min_growth'] },
    { method: 'POST', url: `/v1/member-cards/${w.memberCardId}/members`, required: ['user_id'], valid: { user_id: 'u-join' }, wrongType: [{ user_id: 'u-join', consent: 'yes' }, 'consent'] },
    { method: 'PATCH', url: member, required: ['profile'], valid: { profile: { name: 'Li' } }, wrongType: [{ profile: { name: 5 } }, 'profile.name'] },
    { method: 'POST', url: `${member}/points`, required: ['delta', 'reason'], valid: { delta: 1, reason: 'Goodwill' }, wrongType: [{ delta: '5', reason: 'Goodwill' }, 'delta'] },
    { method: 'POST', url: `${member}/stored-value`, required: ['delta', 'reason'], valid: { delta: 100, reason: 'Top-up' }, wrongType: [{ delta: 100, reason: 5 }, 'reason'] },
    { method: 'POST', url: `${member}/stored-value/refunds`, required: ['reason'], valid: { reason: 'Moving away' }, wrongType: [{ reason: 'Moving away', amount: '100' }, 'amount'] },
    { method: 'POST', url: `${member}/orders`, required: ['order_ref', 'order_amount'], valid: { order_ref: 'o-valid', order_amount: 1000 }, wrongType: [{ order_ref: 'o-valid', order_amount: '1000' }, 'order_amount'] },
    { method: 'POST', url: `${member}/orders/${w.orderRef}/refunds`, required: ['refund_ref'], valid: { refund_ref: 'r-valid' }, wrongType: [{ refund_ref: 5 }, 'refund_ref'] },
    { method: 'POST', url: `${member}/exchanges`, required: ['reward_id'], valid: { reward_id: w.rewardId }, wrongType: [{ reward_id: 5 }, 'reward_id'] },
    { method: 'POST', url: '/v1/rewards', required: ['member_card_id', 'points_cost', 'stock'], valid: { member_card_id: w.memberCardId, card_id: w.cardId, points_cost: 10, stock: 1 }, wrongType: [{ member_card_id: w.memberCardId, card_id: w.cardId, points_cost: '10', stock: 1 }, 'points_cost'] },
    { method: 'POST', url: `/v1/rewards/${w.rewardId}/stock`, required: ['delta'], valid: { delta: 1 }, wrongType: [{ delta: '1' }, 'delta'] },
    { method: 'POST', url: '/v1/reward-exchanges/pick-up', required: ['pickup_code'], valid: { pickup_code: 'ABCDEFGHJKMNPQ' }, wrongType: [{ pickup_code: 5 }, 'pickup_code'] },
    { method: 'POST', url: `/v1/wallet/member-cards/${w.memberCardId}/join`, required: null, valid: { consent: true }, wrongType: [{ consent: 'yes' }, 'consent'], key: w.walletToken },
    { method: 'PATCH', url: wallet, required: ['profile'], valid: { profile: { phone: '13800138000' }, consent: true }, wrongType: [{ profile: { phone: 13800138000 }, consent: true }, 'profile.phone'], key: w.walletToken },
    { method: 'POST', url: `${wallet}/exchanges`, required: ['reward_id'], valid: { reward_id: w.rewardId }, wrongType: [{ reward_id: [] }, 'reward_id'], key: w.walletToken },
  ]
}

/** Routes that act on an id without a body schema. */
function bodilessRoutes(w: World): { method: string; url: string; key?: string }[] {
  return [
    ...['activate', 'pause', 'end'].map((action) => ({ method: 'POST', url: `/v1/cards/${w.cardId}/${action}` })),
    { method: 'POST', url: `/v1/api-keys/${w.apiKeyId}/revoke` },
    { method: 'POST', url: `/v1/api-keys/${w.apiKeyId}/rotate` },
    { method: 'POST', url: `/v1/claim-links/${w.claimLinkId}/disable` },
    { method: 'POST', url: '/v1/wallet-secret/rotate' },
    ...['pause', 'activate'].map((action) => ({ method: 'POST', url: `/v1/member-cards/${w.memberCardId}/${action}` })),
    ...['pause', 'activate'].map((action) => ({ method: 'POST', url: `/v1/rewards/${w.rewardId}/${action}` })),
    { method: 'POST', url: `/v1/members/${w.memberId}/sign-ins` },
    ...['rotate-secret', 'enable', 'disable'].map((action) => ({ method: 'POST', url: `/v1/webhook-endpoints/${w.endpointId}/${action}` })),
    { method: 'POST', url: `/v1/wallet/members/${w.memberId}/sign-in`, key: w.walletToken },
    { method: 'POST', url: `/v1/wallet/notifications/${w.notificationId}/read`, key: w.walletToken },
    { method: 'POST', url: '/v1/wallet/notifications/read-all', key: w.walletToken },
  ]
}

type Ids = Pick<
  World,
  'cardId' | 'code' | 'storeId' | 'redemptionId' | 'apiKeyId' | 'claimLinkId' | 'memberCardId' | 'memberId' | 'rewardId' | 'orderRef' | 'endpointId' | 'paymentId' | 'ruleId' | 'notificationId' | 'eventId'
>

const UNKNOWN: Ids = {
  cardId: 'crd_01zzzzzzzzzzzzzzzzzzzzzzzz',
  code: codeFromRandomBytes(randomBytes(9)),
  storeId: 'sto_01zzzzzzzzzzzzzzzzzzzzzzzz',
  redemptionId: 'rdm_01zzzzzzzzzzzzzzzzzzzzzzzz',
  apiKeyId: 'key_01zzzzzzzzzzzzzzzzzzzzzzzz',
  claimLinkId: 'cll_01zzzzzzzzzzzzzzzzzzzzzzzz',
  memberCardId: 'mcd_01zzzzzzzzzzzzzzzzzzzzzzzz',
  memberId: 'mbr_01zzzzzzzzzzzzzzzzzzzzzzzz',
  rewardId: 'rwd_01zzzzzzzzzzzzzzzzzzzzzzzz',
  orderRef: 'ord-unknown',
  endpointId: 'whe_01zzzzzzzzzzzzzzzzzzzzzzzz',
  paymentId: 'pay_01zzzzzzzzzzzzzzzzzzzzzzzz',
  ruleId: 'prl_01zzzzzzzzzzzzzzzzzzzzzzzz',
  notificationId: 'ntf_01zzzzzzzzzzzzzzzzzzzzzzzz',
  eventId: 'evt_01zzzzzzzzzzzzzzzzzzzzzzzz',
}

/** Every call naming one of `ids`, which id it names, and the 404 code it answers when the id is not the caller's. */
function idRoutes(ids: Ids, w: World): { method: string; url: string; body?: object; names: keyof Ids; code: string; key?: string }[] {
  return [
    { method: 'GET', url: `/v1/cards/${ids.cardId}`, names: 'cardId', code: 'card_not_found' },
    { method: 'PATCH', url: `/v1/cards/${ids.cardId}`, body: { subtitle: 'x' }, names: 'cardId', code: 'card_not_found' },
    { method: 'POST', url: `/v1/cards/${ids.cardId}/stock`, body: { delta: 5 }, names: 'cardId', code: 'card_not_found' },
    { method: 'POST', url: `/v1/cards/${ids.cardId}/activate`, names: 'cardId', code: 'card_not_found' },
    { method: 'POST', url: `/v1/cards/${ids.cardId}/pause`, names: 'cardId', code: 'card_not_found' },
    { method: 'POST', url: `/v1/cards/${ids.cardId}/end`, names: 'cardId', code: 'card_not_found' },
    { method: 'POST', url: `/v1/cards/${ids.cardId}/issue`, body: { user_id: 'intruder' }, names: 'cardId', code: 'card_not_found' },
    { method: 'GET', url: `/v1/coupons/${ids.code}`, names: 'code', code: 'code_not_found' },
    { method: 'POST', url: `/v1/coupons/${ids.code}/void`, names: 'code', code: 'code_not_found' },
    { method: 'POST', url: '/v1/redemptions', body: { code: ids.code, order_amount: 12000 }, names: 'code', code: 'code_not_found' },
    { method: 'POST', url: '/v1/redemptions/check', body: { code: ids.code, order_amount: 12000 }, names: 'code', code: 'code_not_found' },
    { method: 'GET', url: `/v1/redemptions/${ids.redemptionId}`, names: 'redemptionId', code: 'redemption_not_found' },
    { method: 'POST', url: `/v1/redemptions/${ids.redemptionId}/reverse`, names: 'redemptionId', code: 'redemption_not_found' },
    { method: 'GET', url: `/v1/stores/${ids.storeId}`, names: 'storeId', code: 'store_not_found' },
    { method: 'PATCH', url: `/v1/stores/${ids.storeId}`, body: { name: 'Taken over' }, names: 'storeId', code: 'store_not_found' },
    { method: 'POST', url: '/v1/redemptions', body: { code: w.code, store_id: ids.storeId, order_amount: 12000 }, names: 'storeId', code: 'store_not_found' },
    { method: 'POST', url: `/v1/api-keys/${ids.apiKeyId}/revoke`, names: 'apiKeyId', code: 'api_key_not_found' },
    { method: 'POST', url: `/v1/api-keys/${ids.apiKeyId}/rotate`, names: 'apiKeyId', code: 'api_key_not_found' },
    { method: 'POST', url: `/v1/cards/${ids.cardId}/claim-links`, body: { max_claims: 5 }, names: 'cardId', code: 'card_not_found' },
    { method: 'POST', url: `/v1/cards/${ids.cardId}/bulk-issue`, body: { user_ids: ['intruder'] }, names: 'cardId', code: 'card_not_found' },
    { method: 'GET', url: `/v1/claim-links/${ids.claimLinkId}`, names: 'claimLinkId', code: 'claim_link_not_found' },
    { method: 'POST', url: `/v1/claim-links/${ids.claimLinkId}/disable`, names: 'claimLinkId', code: 'claim_link_not_found' },
    ...memberIdRoutes(ids, w),
    ...['GET', 'DELETE'].map((method) => ({ method, url: `/v1/webhook-endpoints/${ids.endpointId}`, names: 'endpointId' as const, code: 'webhook_endpoint_not_found' })),
    { method: 'PATCH', url: `/v1/webhook-endpoints/${ids.endpointId}`, body: { description: 'Taken over' }, names: 'endpointId', code: 'webhook_endpoint_not_found' },
    ...['rotate-secret', 'enable', 'disable'].map((action) => ({ method: 'POST', url: `/v1/webhook-endpoints/${ids.endpointId}/${action}`, names: 'endpointId' as const, code: 'webhook_endpoint_not_found' })),
    { method: 'POST', url: `/v1/webhook-endpoints/${ids.endpointId}/redeliver`, body: { since: '2026-01-01T00:00:00Z' }, names: 'endpointId', code: 'webhook_endpoint_not_found' },
    ...['deliveries', 'attempts'].map((list) => ({ method: 'GET', url: `/v1/webhook-endpoints/${ids.endpointId}/${list}`, names: 'endpointId' as const, code: 'webhook_endpoint_not_found' })),
    { method: 'POST', url: `/v1/webhook-endpoints/${w.endpointId}/redeliver`, body: { event_id: ids.eventId }, names: 'eventId', code: 'event_not_found' },
    { method: 'GET', url: `/v1/payments/${ids.paymentId}`, names: 'paymentId', code: 'payment_not_found' },
    { method: 'POST', url: '/v1/payments', body: { order_id: 'o-intruder', amount: 100, user_id: 'u1', store_id: ids.storeId }, names: 'storeId', code: 'store_not_found' },
    ...['GET', 'DELETE'].map((method) => ({ method, url: `/v1/payment-rules/${ids.ruleId}`, names: 'ruleId' as const, code: 'payment_rule_not_found' })),
    { method: 'PATCH', url: `/v1/payment-rules/${ids.ruleId}`, body: { min_amount: 1 }, names: 'ruleId', code: 'payment_rule_not_found' },
    { method: 'POST', url: '/v1/payment-rules', body: { card_id: ids.cardId, min_amount: 1 }, names: 'cardId', code: 'card_not_found' },
    { method: 'PATCH', url: `/v1/payment-rules/${w.ruleId}`, body: { card_id: ids.cardId }, names: 'cardId', code: 'card_not_found' },
    { method: 'POST', url: `/v1/wallet/notifications/${ids.notificationId}/read`, names: 'notificationId', code: 'notification_not_found', key: w.walletToken },
  ]
}

/** The member cards' calls naming an id: member cards, members and their ledgers, orders and rewards, in the API and the wallet. */
function memberIdRoutes(ids: Ids, w: World): { method: string; url: string; body?: object; names: keyof Ids; code: string; key?: string }[] {
  const card = { names: 'memberCardId' as const, code: 'member_card_not_found' }
  const member = { names: 'memberId' as const, code: 'member_not_found' }
  const reward = { names: 'rewardId' as const, code: 'reward_not_found' }
  const wallet = { key: w.walletToken }
  const of = `/v1/members/${ids.memberId}`
  const ofMine = `/v1/wallet/members/${ids.memberId}`
  return [
    { method: 'GET', url: `/v1/member-cards/${ids.memberCardId}`, ...card },
    { method: 'POST', url: `/v1/member-cards/${ids.memberCardId}/pause`, ...card },
    { method: 'POST', url: `/v1/member-cards/${ids.memberCardId}/activate`, ...card },
    { method: 'POST', url: `/v1/member-cards/${ids.memberCardId}/members`, body: { user_id: 'intruder' }, ...card },
    { method: 'POST', url: '/v1/rewards', body: { member_card_id: ids.memberCardId, card_id: w.cardId, points_cost: 10, stock: 1 }, ...card },
    { method: 'GET', url: `/v1/wallet/member-cards/${ids.memberCardId}`, ...card, ...wallet },
    { method: 'POST', url: `/v1/wallet/member-cards/${ids.memberCardId}/join`, body: {}, ...card, ...wallet },
    { method: 'GET', url: of, ...member },
    { method: 'PATCH', url: of, body: { profile: { name: 'Intruder' } }, ...member },
    { method: 'POST', url: `${of}/sign-ins`, ...member },
    { method: 'GET', url: `${of}/points`, ...member },
    { method: 'POST', url: `${of}/points`, body: { delta: 100, reason: 'Taken over' }, ...member },
    { method: 'GET', url: `${of}/stored-value`, ...member },
    { method: 'POST', url: `${of}/stored-value`, body: { delta: -100, reason: 'Taken over' }, ...member },
    { method: 'POST', url: `${of}/stored-value/refunds`, body: { reason: 'Taken over' }, ...member },
    { method: 'POST', url: `${of}/orders`, body: { order_ref: 'o-intruder', order_amount: 100 }, ...member },
    { method: 'POST', url: `${of}/orders/${w.orderRef}/refunds`, body: { refund_ref: 'r-intruder' }, ...member },
    { method: 'GET', url: `${of}/exchanges`, ...member },
    { method: 'POST', url: `${of}/exchanges`, body: { reward_id: w.rewardId }, ...member },
    ...['', '/points', '/stored-value', '/rewards'].map((path) => ({ method: 'GET', url: `${ofMine}${path}`, ...member, ...wallet })),
    { method: 'PATCH', url: ofMine, body: { profile: { name: 'Intruder' }, consent: true }, ...member, ...wallet },
    { method: 'POST', url: `${ofMine}/sign-in`, ...member, ...wallet },
    { method: 'POST', url: `${ofMine}/exchanges`, body: { reward_id: w.rewardId }, ...member, ...wallet },
    { method: 'POST', url: `/v1/members/${w.memberId}/orders/${ids.orderRef}/refunds`, body: { refund_ref: 'r-intruder' }, names: 'orderRef', code: 'order_not_found' },
    { method: 'POST', url: `/v1/members/${w.memberId}/orders`, body: { order_ref: 'o-intruder', order_amount: 100, store_id: ids.storeId }, names: 'storeId', code: 'store_not_found' },
    { method: 'GET', url: `/v1/rewards/${ids.rewardId}`, ...reward },
    { method: 'POST', url: `/v1/rewards/${ids.rewardId}/stock`, body: { delta: 1 }, ...reward },
    { method: 'POST', url: `/v1/rewards/${ids.rewardId}/pause`, ...reward },
    { method: 'POST', url: `/v1/rewards/${ids.rewardId}/activate`, ...reward },
    { method: 'POST', url: `/v1/members/${w.memberId}/exchanges`, body: { reward_id: ids.rewardId }, ...reward },
    { method: 'POST', url: `/v1/wallet/members/${w.memberId}/exchanges`, body: { reward_id: ids.rewardId }, ...reward, ...wallet },
    { method: 'POST', url: '/v1/rewards', body: { member_card_id: w.memberCardId, card_id: ids.cardId, points_cost: 10, stock: 1 }, names: 'cardId', code: 'card_not_found' },
  ]
}

/** Every list a merchant key reads. */
function lists(w: World): string[] {
  return [
    ...['/v1/cards', '/v1/stores', '/v1/api-keys', '/v1/users/u1/coupons', '/v1/redemptions', '/v1/events', '/v1/claim-links'],
    ...['/v1/member-cards', '/v1/members', '/v1/rewards', '/v1/webhook-endpoints', '/v1/payments', '/v1/payment-rules', '/v1/users/u1/notifications'],
    ...['points', 'stored-value', 'exchanges'].map((ledger) => `/v1/members/${w.memberId}/${ledger}`),
    ...['deliveries', 'attempts'].map((log) => `/v1/webhook-endpoints/${w.endpointId}/${log}`),
  ]
}

async function seed(t: TestApp): Promise<World> {
  const { merchantId, apiKey: key } = await t.merchant()
  const store = await t.request('POST', '/v1/stores', { key, body: { name: 'Jing’an' } })
  const card = await t.request('POST', '/v1/cards', { key, body: cashCard({ stock: 50, get_limit: 5 }) })
  const redeemed = await t.request('POST', `/v1/cards/${card.body.id}/issue`, { key, body: { user_id: 'u1' } })
  const available = await t.request('POST', `/v1/cards/${card.body.id}/issue`, { key, body: { user_id: 'u1' } })
  const redemption = await t.request('POST', '/v1/redemptions', { key, body: { code: redeemed.body.code, store_id: store.body.id, order_amount: 12000 } })
  const apiKey = await t.request('POST', '/v1/api-keys', { key, body: { name: 'reader', scope: 'read' } })
  const claimLink = await t.request('POST', `/v1/cards/${card.body.id}/claim-links`, { key, body: {} })
  const wallet = await t.request('POST', '/v1/wallet-tokens', { key, body: { user_id: 'u1' } })
  for (const res of [store, card, redeemed, available, redemption, apiKey, claimLink, wallet]) assert.equal(res.status, 201, res.text)
  const post = async (url: string, body: object) => {
    const res = await t.request('POST', url, { key, body })
    assert.equal(res.status, 201, res.text)
    return res.body
  }
  const memberCard = await post('/v1/member-cards', memberCardBody())
  const member = await post(`/v1/member-cards/${memberCard.id}/members`, { user_id: 'u1' })
  await post(`/v1/members/${member.id}/points`, { delta: 500, reason: 'Welcome' })
  await post(`/v1/members/${member.id}/stored-value`, { delta: 10_000, reason: 'Top-up' })
  const orderRef = `ord-${randomBytes(4).toString('hex')}`
  await post(`/v1/members/${member.id}/orders`, { order_ref: orderRef, order_amount: 10_000 })
  const reward = await post('/v1/rewards', { member_card_id: memberCard.id, card_id: card.body.id, points_cost: 100, stock: 5 })
  const endpoint = await post('/v1/webhook-endpoints', { url: 'https://shop.example/hooks' })
  const paymentOrderId = `pay-${randomBytes(4).toString('hex')}`
  const payment = await post('/v1/payments', { order_id: paymentOrderId, amount: 5_000, user_id: 'u1' })
  const rule = await post('/v1/payment-rules', { card_id: card.body.id, min_amount: 1_000_000 })
  const [notification] = (await t.request('GET', '/v1/users/u1/notifications', { key })).body.data
  const [event] = (await t.request('GET', '/v1/events?limit=1', { key })).body.data
  return {
    merchantId,
    key,
    storeId: store.body.id,
    cardId: card.body.id,
    code: available.body.code,
    redemptionId: redemption.body.id,
    apiKeyId: apiKey.body.id,
    claimLinkId: claimLink.body.id,
    claimToken: claimLink.body.token,
    walletToken: wallet.body.token,
    couponId: available.body.id,
    memberCardId: memberCard.id,
    memberId: member.id,
    rewardId: reward.id,
    orderRef,
    endpointId: endpoint.id,
    paymentId: payment.id,
    paymentOrderId,
    ruleId: rule.id,
    notificationId: notification.id,
    eventId: event.id,
  }
}

/** A detail with the caller's id blanked, to compare "someone else's" with "does not exist". */
function sameAnswer(a: Response, b: Response, ids: [string, string]) {
  assert.equal(a.status, b.status)
  assert.equal(a.body.code, b.body.code)
  assert.equal(a.body.detail.replaceAll(ids[0], '<id>'), b.body.detail.replaceAll(ids[1], '<id>'))
  assert.deepEqual(a.body.errors?.map((e: { field: string }) => e.field), b.body.errors?.map((e: { field: string }) => e.field))
}

/** Every table a failed request could have written to. */
const TABLES = [
  ...['cards', 'card_versions', 'coupons', 'card_user_claims', 'events', 'stores', 'redemptions', 'claim_links'],
  ...['member_cards', 'members', 'points_entries', 'points_lots', 'stored_value_entries', 'member_orders', 'member_order_refunds', 'rewards', 'reward_exchanges'],
  ...['webhook_endpoints', 'webhook_deliveries', 'payments', 'payment_rules', 'notifications'],
] as const

for (const engine of ENGINES) {
  describe(`bad input on ${engine}`, await engineOptions(engine), () => {
    let t: TestApp
    let a: World
    let b: World
    let listening: Promise<string> | undefined
    /** The base URL of the app on a real port, for what `inject` cannot send. */
    const baseUrl = () => (listening ??= t.listen())

    const count = async (table: (typeof TABLES)[number], merchantId: string) => {
      const row = await t.db.database.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .where('merchant_id', '=', merchantId)
        .executeTakeFirstOrThrow()
      return Number(row.n)
    }
    /** Row counts of every table a failed request could have written to. */
    const snapshot = async (merchantId: string) => Object.fromEntries(await Promise.all(TABLES.map(async (table) => [table, await count(table, merchantId)])))

    before(async () => {
      t = await startTestApp(engine)
      a = await seed(t)
      b = await seed(t)
    })
    after(() => t.close())

    it('answers malformed JSON with 400 malformed_request on every route that reads a body', async () => {
      const before = await snapshot(a.merchantId)
      for (const route of [...bodyRoutes(a), ...bodilessRoutes(a)]) {
        for (const raw of ['{"name":', '{name: "x"}', "{'a':1}", '[1,]', 'NaN', '{"a":1}}']) {
          const problem = assertProblem(await t.request(route.method, route.url, { key: route.key ?? a.key, raw }), 400, 'malformed_request')
          assert.match(problem.detail, /not valid JSON/)
        }
      }
      assert.deepEqual(await snapshot(a.merchantId), before)
      const keys = await t.request('GET', '/v1/api-keys', { key: a.key })
      assert.ok(keys.body.data.every((k: { revoked_at: unknown; expires_at: unknown }) => k.revoked_at === null && k.expires_at === null), 'no key was revoked or rotated')
    })

    it('refuses keys that could tamper with object prototypes as malformed', async () => {
      for (const raw of ['{"name":"x","__proto__":{"admin":true}}', '{"name":"x","constructor":{"prototype":{"admin":true}}}']) {
        assertProblem(await t.request('POST', '/v1/stores', { key: a.key, raw }), 400, 'malformed_request')
      }
    })

    it('refuses the NUL character in any string, key or id with 422 and writes nothing', async () => {
      const before = await snapshot(a.merchantId)
      for (const route of bodyRoutes(a)) {
        for (const [field, value] of Object.entries(route.valid)) {
          if (typeof value !== 'string') continue
          const body = { ...route.valid, [field]: `${value}\u0000` }
          // An enumerated or formatted field fails its own rule first; either way the field is named.
          assertInvalidFields(await t.request(route.method, route.url, { key: route.key ?? a.key, body }), [field])
        }
      }
      // Open routes too, and names, titles and keys deep inside a body.
      assertInvalidFields(await t.request('POST', '/v1/staff/sessions', { body: { login: 'owner\u0000', password: 'x' } }), ['login'], 'nul_character')
      assertInvalidFields(await t.request('POST', '/v1/stores', { key: a.key, body: { name: 'Tea\u0000House' } }), ['name'], 'nul_character')
      assertInvalidFields(await t.request('POST', '/v1/cards', { key: a.key, body: cashCard({ title: '\u0000' }) }), ['title'], 'nul_character')
      assertInvalidFields(await t.request('POST', '/v1/cards', { key: a.key, body: cashCard({ store_ids: [a.storeId, 'sto\u0000'] }) }), ['store_ids[1]'], 'nul_character')
      const nulIds = Object.fromEntries(Object.entries(UNKNOWN).map(([name, id]) => [name, encodeURIComponent(`${id}\u0000`)])) as Ids
      for (const route of idRoutes(nulIds, a)) {
        const body = route.body && JSON.parse(JSON.stringify(route.body).replaceAll('%00', '\\u0000'))
        const res = await t.request(route.method, route.url, { key: route.key ?? a.key, body })
        assertProblem(res, 422, 'validation_failed')
      }
      assert.deepEqual(await snapshot(a.merchantId), before)
    })

    it('names the JSON path of a value of the wrong type on every route', async () => {
      for (const route of bodyRoutes(a)) {
        const [body, field] = route.wrongType
        assertInvalidFields(await t.request(route.method, route.url, { key: route.key ?? a.key, body }), [field], 'invalid_type')
      }
    })

    it('names nested paths: string for a number, number for a string, array for an object', async () => {
      const tiers = [
        { least_cost: 10000, reduce_cost: 1000 },
        { least_cost: 20000, reduce_cost: '3000' },
      ]
      const cases: [Record<string, unknown>, string][] = [
        [cashCard({ validity: { type: 'fixed_term', days: '30' } }), 'validity.days'],
        [cashCard({ reduce_cost: undefined, least_cost: undefined, tiers }), 'tiers[1].reduce_cost'],
        [cashCard({ title: 5 }), 'title'],
        [cashCard({ notice: ['a'] }), 'notice'],
        [cashCard({ validity: [] }), 'validity'],
        [cashCard({ validity: 30 }), 'validity'],
        [cashCard({ stock: '100' }), 'stock'],
        [cashCard({ stock: true }), 'stock'],
        [cashCard({ usable_hours: [{ days: [1, 'tue'], start: '10:00', end: '22:00' }] }), 'usable_hours[0].days[1]'],
        [cashCard({ usable_hours: { days: [1], start: '10:00', end: '22:00' } }), 'usable_hours'],
        [cashCard({ store_ids: a.storeId }), 'store_ids'],
        [cashCard({ can_share: 'yes' }), 'can_share'],
        [cashCard({ tiers: [[10000, 1000]], reduce_cost: undefined, least_cost: undefined }), 'tiers[0]'],
      ]
      for (const [body, field] of cases) {
        const problem = assertInvalidFields(await t.request('POST', '/v1/cards', { key: a.key, body }), [field], 'invalid_type')
        assert.doesNotMatch(JSON.stringify(problem.errors), /must be null/, 'a nullable field reports what it expects, not "must be null"')
        assert.equal(problem.detail, `The request has invalid fields: ${field}.`)
      }
    })

    it('says which values an enumerated field accepts', async () => {
      const problem = assertInvalidFields(await t.request('POST', '/v1/cards', { key: a.key, body: cashCard({ type: 'voucher' }) }), ['type'])
      assert.match(problem.errors![0].message, /"cash".*"discount".*"gift".*"groupon".*"general_coupon"/)
      assertInvalidFields(await t.request('POST', '/v1/api-keys', { key: a.key, body: { name: 'x', scope: 'root' } }), ['scope'])
      assertInvalidFields(await t.request('POST', '/v1/redemptions', { key: a.key, body: { code: a.code, channel: 'fax' } }), ['channel'])
    })

    it('rejects negative and fractional money and counts', async () => {
      const discount = { type: 'discount', title: '8折', notice: 'At the till', percent_off: 20, stock: 10, validity: { type: 'fixed_term', days: 30 } }
      // A body, or raw JSON text for what JSON.stringify cannot write.
      const cases: [string, string, Record<string, unknown> | string, string][] = [
        ['POST', '/v1/cards', cashCard({ reduce_cost: -1 }), 'reduce_cost'],
        ['POST', '/v1/cards', cashCard({ reduce_cost: 0 }), 'reduce_cost'],
        ['POST', '/v1/cards', cashCard({ reduce_cost: 10.5 }), 'reduce_cost'],
        ['POST', '/v1/cards', cashCard({ least_cost: -100 }), 'least_cost'],
        ['POST', '/v1/cards', cashCard({ reduce_cost: undefined, least_cost: undefined, tiers: [{ least_cost: 10000, reduce_cost: -1 }] }), 'tiers[0].reduce_cost'],
        ['POST', '/v1/cards', cashCard({ reduce_cost: undefined, least_cost: undefined, tiers: [{ least_cost: 100.25, reduce_cost: 10 }] }), 'tiers[0].least_cost'],
        ['POST', '/v1/cards', { ...discount, max_discount: 0.5 }, 'max_discount'],
        ['POST', '/v1/cards', { ...discount, percent_off: 12.5 }, 'percent_off'],
        ['POST', '/v1/cards', cashCard({ stock: -1 }), 'stock'],
        ['POST', '/v1/cards', cashCard({ get_limit: 1.5 }), 'get_limit'],
        ['POST', '/v1/redemptions', { code: a.code, order_amount: 10.5 }, 'order_amount'],
        ['POST', '/v1/redemptions', { code: a.code, order_amount: -1 }, 'order_amount'],
        ['POST', '/v1/redemptions/check', `{"code":"${a.code}","order_amount":1e400}`, 'order_amount'],
        ['POST', `/v1/cards/${a.cardId}/stock`, { delta: 1.5 }, 'delta'],
        ['PATCH', `/v1/cards/${a.cardId}`, { reduce_cost: -5 }, 'reduce_cost'],
      ]
      const before = await snapshot(a.merchantId)
      for (const [method, url, body, field] of cases) {
        assertInvalidFields(await t.request(method, url, { key: a.key, ...(typeof body === 'string' ? { raw: body } : { body }) }), [field])
      }
      assert.deepEqual(await snapshot(a.merchantId), before)
      const coupon = await t.request('GET', `/v1/coupons/${a.code}`, { key: a.key })
      assert.equal(coupon.body.state, 'available')
    })

    it('answers 413 payload_too_large for a 10 MB string and for a body just over 1 MiB, and reads one of exactly 1 MiB', async () => {
      const stores = await count('stores', a.merchantId)
      const huge = await t.request('POST', '/v1/stores', { key: a.key, body: { name: 'x'.repeat(10 * 1024 * 1024) } })
      assertProblem(huge, 413, 'payload_too_large')
      assertProblem(await t.request('POST', '/v1/cards', { key: a.key, body: cashCard({ description: 'x'.repeat(10 * 1024 * 1024) }) }), 413, 'payload_too_large')

      const json = JSON.stringify({ name: 'Padded' })
      const padded = (size: number) => json + ' '.repeat(size - Buffer.byteLength(json))
      assertProblem(await t.request('POST', '/v1/stores', { key: a.key, raw: padded(BODY_LIMIT_BYTES + 1) }), 413, 'payload_too_large')
      assert.equal(await count('stores', a.merchantId), stores)

      const under = await t.request('POST', '/v1/stores', { key: a.key, raw: padded(BODY_LIMIT_BYTES - 1) })
      assert.equal(under.status, 201, under.text)
      const exact = await t.request('POST', '/v1/stores', { key: a.key, raw: padded(BODY_LIMIT_BYTES) })
      assert.equal(exact.status, 201, exact.text)
      assert.equal(await count('stores', a.merchantId), stores + 2)
    })

    it('answers 413 over a real connection when a chunked body without Content-Length outgrows the limit', async () => {
      const base = await baseUrl()
      const stores = await count('stores', a.merchantId)
      const res = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
        const req = httpRequest(`${base}/v1/stores`, { method: 'POST', headers: { authorization: `Bearer ${a.key}`, 'content-type': 'application/json' } }, (r) => {
          let body = ''
          r.on('data', (chunk) => (body += chunk))
          r.on('end', () => resolve({ status: r.statusCode ?? 0, type: String(r.headers['content-type']), body }))
        })
        // The server may answer and close before the whole body is sent: that is the point.
        req.on('error', reject)
        req.write('{"name":"')
        const chunk = 'x'.repeat(64 * 1024)
        let sent = 0
        const pump = () => {
          while (sent < 2 * BODY_LIMIT_BYTES) {
            sent += chunk.length
            if (!req.write(chunk)) return void req.once('drain', pump)
          }
          req.end('"}')
        }
        pump()
      })
      assert.equal(res.status, 413, res.body)
      assert.match(res.type, /^application\/problem\+json/)
      assert.equal(JSON.parse(res.body).code, 'payload_too_large')
      assert.equal(await count('stores', a.merchantId), stores)
    })

    it('answers what is not HTTP at all, or has oversized headers, with problem+json too', async () => {
      const base = new URL(await baseUrl())
      const exchange = (raw: string) =>
        new Promise<string>((resolve, reject) => {
          const socket = connect(Number(base.port), base.hostname, () => socket.write(raw))
          let text = ''
          socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
          socket.on('close', () => resolve(text))
          socket.on('error', reject)
        })
      for (const [raw, status, code] of [
        ['NOT HTTP AT ALL\r\n\r\n', 400, 'malformed_request'],
        [`GET /healthz HTTP/1.1\r\nHost: kabao\r\nX-Padding: ${'a'.repeat(32 * 1024)}\r\n\r\n`, 431, 'headers_too_large'],
      ] as const) {
        const text = await exchange(raw)
        const [head, body] = text.split('\r\n\r\n')
        const headers = Object.fromEntries(head.split('\r\n').slice(1).map((line) => [line.split(':')[0].toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]))
        assertProblem({ status: Number(head.split(' ')[1]), headers, body: JSON.parse(body), text: body }, status, code)
      }
    })

    it('names an unknown field, at any depth', async () => {
      for (const route of bodyRoutes(a)) {
        assertInvalidFields(await t.request(route.method, route.url, { key: route.key ?? a.key, body: { ...route.valid, colour: 'red' } }), ['colour'], 'unknown_field')
      }
      const nested: [Record<string, unknown>, string][] = [
        [cashCard({ validity: { type: 'fixed_term', days: 30, weeks: 2 } }), 'validity.weeks'],
        [cashCard({ reduce_cost: undefined, least_cost: undefined, tiers: [{ least_cost: 10000, reduce_cost: 1000, cap: 5 }] }), 'tiers[0].cap'],
        [cashCard({ usable_hours: [{ days: [1], start: '10:00', end: '22:00', tz: 'UTC' }] }), 'usable_hours[0].tz'],
      ]
      for (const [body, field] of nested) assertInvalidFields(await t.request('POST', '/v1/cards', { key: a.key, body }), [field], 'unknown_field')
    })

    it('names each missing required field, also when the body is missing altogether', async () => {
      for (const route of bodyRoutes(a)) {
        if (route.required === null) continue
        const key = route.key ?? a.key
        const missing = [
          await t.request(route.method, route.url, { key, body: {} }),
          await t.request(route.method, route.url, { key }),
          await t.request(route.method, route.url, { key, headers: { 'content-type': 'application/json' } }),
          await t.request(route.method, route.url, { key, raw: 'null' }),
        ]
        for (const res of missing) assertInvalidFields(res, route.required, 'required')
      }
      assertInvalidFields(await t.request('POST', '/v1/cards', { key: a.key, body: cashCard({ validity: { type: 'fixed_term' } }) }), ['validity.days'], 'required')
      assertInvalidFields(await t.request('POST', '/v1/cards', { key: a.key, body: cashCard({ validity: { type: 'fixed_range' } }) }), ['validity.begin_at', 'validity.end_at'], 'required')
      assertInvalidFields(await t.request('POST', '/v1/cards', { key: a.key, body: cashCard({ validity: {} }) }), ['validity.type'], 'required')
      assertInvalidFields(await t.request('PATCH', `/v1/cards/${a.cardId}`, { key: a.key, body: {} }), ['body'])
    })

    it('answers 415 problem+json to a body that is not JSON', async () => {
      const before = await snapshot(a.merchantId)
      const routes: { method: string; url: string; alsoAccepts?: string[]; key?: string }[] = [...bodyRoutes(a), ...bodilessRoutes(a)]
      for (const route of routes) {
        for (const [type, raw] of [
          ['text/plain', '{"name":"x"}'],
          ['application/x-www-form-urlencoded', 'name=x'],
          ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--x--'],
          ['application/xml', '<name>x</name>'],
        ]) {
          if (route.alsoAccepts?.includes(type)) continue
          assertProblem(await t.request(route.method, route.url, { key: route.key ?? a.key, raw, headers: { 'content-type': type } }), 415, 'unsupported_media_type')
        }
        // A body without any Content-Type is not JSON either.
        const res = await t.app.inject({ method: route.method as 'POST', url: route.url, headers: { authorization: `Bearer ${route.key ?? a.key}` }, payload: '{"name":"x"}' })
        assertProblem({ status: res.statusCode, headers: res.headers, body: res.json(), text: res.body }, 415, 'unsupported_media_type')
      }
      assert.deepEqual(await snapshot(a.merchantId), before)
      // JSON with a charset parameter is still JSON.
      const ok = await t.request('POST', '/v1/stores', { key: a.key, body: { name: 'Charset' }, headers: { 'content-type': 'application/json; charset=utf-8' } })
      assert.equal(ok.status, 201, ok.text)
    })

    it('answers unknown ids with 404 and the code of the kind of thing', async () => {
      for (const route of idRoutes(UNKNOWN, a)) {
        assertProblem(await t.request(route.method, route.url, { key: route.key ?? a.key, body: route.body }), 404, route.code)
      }
      // A code that fails its check character is not looked up, and is just as unknown.
      assertProblem(await t.request('GET', '/v1/coupons/NOT-A-CODE', { key: a.key }), 404, 'code_not_found')
      assertProblem(await t.request('POST', '/v1/redemptions', { key: a.key, body: { code: 'ABCDEFGHJKMNPQ' } }), 404, 'code_not_found')
    })

    it("answers another merchant's ids exactly as if they did not exist, and leaves them untouched", async () => {
      const unknown = UNKNOWN
      const theirs = idRoutes(b, a)
      const none = idRoutes(unknown, a)
      const bBefore = await snapshot(b.merchantId)
      for (const [i, route] of theirs.entries()) {
        const res = await t.request(route.method, route.url, { key: route.key ?? a.key, body: route.body })
        assertProblem(res, 404, route.code)
        const ref = await t.request(none[i].method, none[i].url, { key: none[i].key ?? a.key, body: none[i].body })
        sameAnswer(res, ref, [b[route.names], unknown[route.names]])
      }
      // Their stores are unknown stores when named in a card or a key, too.
      sameAnswer(
        await t.request('POST', '/v1/cards', { key: a.key, body: cashCard({ store_ids: [b.storeId] }) }),
        await t.request('POST', '/v1/cards', { key: a.key, body: cashCard({ store_ids: [unknown.storeId] }) }),
        [b.storeId, unknown.storeId],
      )
      sameAnswer(
        await t.request('POST', '/v1/api-keys', { key: a.key, body: { name: 'x', scope: 'redeem', store_id: b.storeId } }),
        await t.request('POST', '/v1/api-keys', { key: a.key, body: { name: 'x', scope: 'redeem', store_id: unknown.storeId } }),
        [b.storeId, unknown.storeId],
      )
      // Their cards are no birthday gift, their members no referrer.
      sameAnswer(
        await t.request('POST', '/v1/member-cards', { key: a.key, body: memberCardBody({ levels: [{ name: 'A', min_growth: 0, birthday_card_id: b.cardId }] }) }),
        await t.request('POST', '/v1/member-cards', { key: a.key, body: memberCardBody({ levels: [{ name: 'A', min_growth: 0, birthday_card_id: unknown.cardId }] }) }),
        [b.cardId, unknown.cardId],
      )
      sameAnswer(
        await t.request('POST', `/v1/member-cards/${a.memberCardId}/members`, { key: a.key, body: { user_id: 'referred', referrer_member_id: b.memberId } }),
        await t.request('POST', `/v1/member-cards/${a.memberCardId}/members`, { key: a.key, body: { user_id: 'referred', referrer_member_id: unknown.memberId } }),
        [b.memberId, unknown.memberId],
      )
      // Filters on their ids find nothing.
      for (const url of [
        `/v1/redemptions?card_id=${b.cardId}`,
        `/v1/redemptions?store_id=${b.storeId}`,
        `/v1/users/u1/coupons?card_id=${b.cardId}`,
        `/v1/members?member_card_id=${b.memberCardId}`,
        `/v1/rewards?member_card_id=${b.memberCardId}`,
        `/v1/payments?order_id=${b.paymentOrderId}`,
        `/v1/stats/daily?card_id=${b.cardId}`,
        `/v1/webhook-endpoints/${a.endpointId}/attempts?event_id=${b.eventId}`,
      ]) {
        const res = await t.request('GET', url, { key: a.key })
        assert.equal(res.status, 200, res.text)
        assert.deepEqual(res.body.data, [])
      }

      assert.deepEqual(await snapshot(b.merchantId), bBefore)
      const card = await t.request('GET', `/v1/cards/${b.cardId}`, { key: b.key })
      assert.equal(card.body.status, 'active')
      assert.equal(card.body.stock_remaining, 48)
      assert.equal((await t.request('GET', `/v1/coupons/${b.code}`, { key: b.key })).body.state, 'available')
      assert.equal((await t.request('GET', `/v1/redemptions/${b.redemptionId}`, { key: b.key })).body.reversed_at, null)
      assert.equal((await t.request('GET', `/v1/stores/${b.storeId}`, { key: b.key })).body.name, 'Jing’an')
      const keys = await t.request('GET', '/v1/api-keys', { key: b.key })
      assert.ok(keys.body.data.every((k: { revoked_at: unknown; expires_at: unknown }) => k.revoked_at === null && k.expires_at === null))
      assert.equal((await t.request('GET', `/v1/claim-links/${b.claimLinkId}`, { key: b.key })).body.status, 'active')
      const member = (await t.request('GET', `/v1/members/${b.memberId}`, { key: b.key })).body
      assert.deepEqual([member.points_balance, member.stored_value_balance, member.profile], [600, 10_000, {}])
      assert.equal((await t.request('GET', `/v1/member-cards/${b.memberCardId}`, { key: b.key })).body.status, 'active')
      const reward = (await t.request('GET', `/v1/rewards/${b.rewardId}`, { key: b.key })).body
      assert.deepEqual([reward.stock_remaining, reward.status], [5, 'active'])
      assert.equal((await t.request('GET', `/v1/webhook-endpoints/${b.endpointId}`, { key: b.key })).body.status, 'enabled')
      assert.equal((await t.request('GET', `/v1/payment-rules/${b.ruleId}`, { key: b.key })).body.min_amount, 1_000_000)
      const inbox = (await t.request('GET', '/v1/wallet/notifications', { key: b.walletToken })).body
      assert.deepEqual([inbox.data.length, inbox.unread_count], [3, 3], 'none of their notifications was read')
    })

    it("answers the wallet's unknown, other users' and other merchants' coupons alike, and checks its body and list input", async () => {
      const mine = await t.request('GET', `/v1/wallet/coupons/${a.couponId}`, { key: a.walletToken })
      assert.equal(mine.status, 200, mine.text)
      const otherUser = await t.request('POST', '/v1/wallet-tokens', { key: a.key, body: { user_id: 'u2' } })
      const notFound = [
        await t.request('GET', '/v1/wallet/coupons/cpn_01zzzzzzzzzzzzzzzzzzzzzzzz', { key: a.walletToken }),
        await t.request('GET', `/v1/wallet/coupons/${a.couponId}`, { key: otherUser.body.token }),
        await t.request('GET', `/v1/wallet/coupons/${b.couponId}`, { key: a.walletToken }),
        await t.request('GET', `/v1/wallet/coupons/${b.couponId}/qr.png`, { key: a.walletToken }),
      ]
      for (const res of notFound) assertProblem(res, 404, 'coupon_not_found')
      assert.equal(notFound[1].body.detail, notFound[0].body.detail)
      assert.equal(notFound[2].body.detail, notFound[0].body.detail)

      assertProblem(await t.request('POST', `/v1/claim/${a.claimToken}`, { key: a.walletToken, raw: '{"x":' }), 400, 'malformed_request')
      assertProblem(await t.request('POST', `/v1/claim/${a.claimToken}`, { key: a.walletToken, raw: 'x', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type')
      assertProblem(await t.request('GET', '/v1/claim/unknown-token'), 404, 'claim_link_not_found')
      for (const query of ['cursor=zzz', 'limit=0', 'limit=501', 'limit=x', 'state=lost']) {
        const res = await t.request('GET', `/v1/wallet/coupons?${query}`, { key: a.walletToken })
        assertInvalidFields(res, [query.split('=')[0]])
      }
      for (const query of ['cursor=zzz', 'limit=0', 'limit=501', 'limit=x', 'unread=maybe']) {
        assertInvalidFields(await t.request('GET', `/v1/wallet/notifications?${query}`, { key: a.walletToken }), [query.split('=')[0]])
      }
      for (const ledger of ['points', 'stored-value']) {
        for (const query of ['cursor=zzz', 'limit=0', 'limit=501']) {
          assertInvalidFields(await t.request('GET', `/v1/wallet/members/${a.memberId}/${ledger}?${query}`, { key: a.walletToken }), [query.split('=')[0]])
        }
      }
    })

    it('answers a bad cursor or an out-of-range limit with 422 on every list', async () => {
      for (const list of lists(a)) {
        // Events also take `since`, the same thing as a cursor.
        for (const cursorParam of list === '/v1/events' ? ['cursor', 'since'] : ['cursor']) {
          for (const cursor of ['zzz', Buffer.from('not an id').toString('base64url'), "' OR 1=1 --", 'x'.repeat(300)]) {
            assertInvalidFields(await t.request('GET', `${list}?${cursorParam}=${encodeURIComponent(cursor)}`, { key: a.key }), [cursorParam])
          }
        }
        for (const limit of ['0', '501', '-1', 'abc', '1.5', '']) {
          assertInvalidFields(await t.request('GET', `${list}?limit=${limit}`, { key: a.key }), ['limit'])
        }
        const edge = await t.request('GET', `${list}?limit=500`, { key: a.key })
        assert.equal(edge.status, 200, edge.text)
      }
      // The statistics are not paged: they take local dates.
      for (const [query, field] of [['from=yesterday', 'from'], ['to=2026-3-1', 'to'], ['card_id=' + 'x'.repeat(101), 'card_id']]) {
        assertInvalidFields(await t.request('GET', `/v1/stats/daily?${query}`, { key: a.key }), [field])
      }
    })

    it('pages with the cursors it hands out', async () => {
      assert.equal((await t.request('POST', '/v1/cards', { key: a.key, body: cashCard() })).status, 201)
      assert.equal((await t.request('POST', `/v1/cards/${a.cardId}/claim-links`, { key: a.key, body: {} })).status, 201)
      for (const list of ['/v1/stores', '/v1/api-keys', '/v1/cards', '/v1/events', '/v1/claim-links', '/v1/users/u1/coupons', `/v1/members/${a.memberId}/points`, '/v1/users/u1/notifications']) {
        const first = await t.request('GET', `${list}?limit=1`, { key: a.key })
        assert.equal(first.status, 200, first.text)
        assert.equal(typeof first.body.next_cursor, 'string', `${list} has more than one item`)
        const second = await t.request('GET', `${list}?limit=1&cursor=${first.body.next_cursor}`, { key: a.key })
        assert.equal(second.status, 200, second.text)
        assert.notEqual(second.body.data[0].id, first.body.data[0].id)
      }
    })

    it('leaves no card and no event behind when a card breaks the compliance policy', async () => {
      const before = await snapshot(a.merchantId)
      const listed = (await t.request('GET', '/v1/cards?limit=500', { key: a.key })).body.data.length
      const tooGenerous = await t.request('POST', '/v1/cards', { key: a.key, body: cashCard({ reduce_cost: 6000, least_cost: 10000, validity: { type: 'fixed_term', days: 1 } }) })
      const problem = assertInvalidFields(tooGenerous, ['reduce_cost', 'validity.days'])
      assert.ok(problem.errors!.every((e) => e.message.length > 0))
      assertInvalidFields(await t.request('POST', '/v1/cards', { key: a.key, body: cashCard({ store_ids: [a.storeId, 'sto_missing'] }) }), ['store_ids[1]'])
      assert.deepEqual(await snapshot(a.merchantId), before)
      assert.equal((await t.request('GET', '/v1/cards?limit=500', { key: a.key })).body.data.length, listed)
    })

    it('leaves stock, the per-user count, coupons and events unchanged when an issue fails', async () => {
      const card = await t.request('POST', '/v1/cards', { key: a.key, body: cashCard({ stock: 1, get_limit: 1 }) })
      const cardId = card.body.id as string
      assert.equal((await t.request('POST', `/v1/cards/${cardId}/issue`, { key: a.key, body: { user_id: 'first' } })).status, 201)
      const claimsOf = async (userId: string) => {
        const row = await t.db.database.db
          .selectFrom('card_user_claims')
          .select('claimed')
          .where('merchant_id', '=', a.merchantId)
          .where('card_id', '=', cardId)
          .where('user_id', '=', userId)
          .executeTakeFirst()
        return row ? Number(row.claimed) : 0
      }
      const expectUnchanged = async (attempt: () => Promise<Response>, status: number, code: string) => {
        const before = await snapshot(a.merchantId)
        const claims = [await claimsOf('first'), await claimsOf('second')]
        const cardBefore = (await t.request('GET', `/v1/cards/${cardId}`, { key: a.key })).body
        assertProblem(await attempt(), status, code)
        assert.deepEqual(await snapshot(a.merchantId), before)
        assert.deepEqual([await claimsOf('first'), await claimsOf('second')], claims)
        const cardAfter = (await t.request('GET', `/v1/cards/${cardId}`, { key: a.key })).body
        assert.equal(cardAfter.stock_remaining, cardBefore.stock_remaining)
        assert.equal(cardAfter.issued_count, cardBefore.issued_count)
      }
      const issueTo = (user_id: string) => () => t.request('POST', `/v1/cards/${cardId}/issue`, { key: a.key, body: { user_id } })
      await expectUnchanged(issueTo('second'), 409, 'out_of_stock')
      assert.equal((await t.request('POST', `/v1/cards/${cardId}/stock`, { key: a.key, body: { delta: 5 } })).status, 200)
      await expectUnchanged(issueTo('first'), 409, 'get_limit_reached')
      assert.equal((await t.request('POST', `/v1/cards/${cardId}/pause`, { key: a.key })).status, 200)
      await expectUnchanged(issueTo('second'), 409, 'card_not_active')
      await expectUnchanged(() => t.request('POST', `/v1/cards/${cardId}/stock`, { key: a.key, body: { delta: -100 } }), 409, 'insufficient_stock')
      assert.equal(await claimsOf('second'), 0)
    })

    it('leaves the coupon available and records nothing when a redemption is refused', async () => {
      const before = await snapshot(a.merchantId)
      assertProblem(await t.request('POST', '/v1/redemptions', { key: a.key, body: { code: a.code, order_amount: 5000 } }), 422, 'below_threshold')
      assertInvalidFields(await t.request('POST', '/v1/redemptions', { key: a.key, body: { code: a.code } }), ['order_amount'])
      assertProblem(await t.request('POST', `/v1/redemptions/${a.redemptionId}/reverse`, { key: a.key, raw: '{"reason":' }), 400, 'malformed_request')
      assert.deepEqual(await snapshot(a.merchantId), before)
      assert.equal((await t.request('GET', `/v1/coupons/${a.code}`, { key: a.key })).body.state, 'available')
      assert.equal((await t.request('GET', `/v1/redemptions/${a.redemptionId}`, { key: a.key })).body.reversed_at, null)
    })

    it('answers URLs it cannot route with problem+json', async () => {
      assertProblem(await t.request('GET', '/v1/nothing-here', { key: a.key }), 404, 'not_found')
      assertProblem(await t.request('DELETE', `/v1/cards/${a.cardId}`, { key: a.key }), 404, 'not_found')
      assertProblem(await t.request('GET', '/v1/cards/%E0%A4%A', { key: a.key }), 400, 'malformed_request')
      assertInvalidFields(await t.request('GET', `/v1/cards/${'x'.repeat(101)}`, { key: a.key }), ['card_id'])
      assertProblem(await t.request('GET', `/v1/cards/${'x'.repeat(1000)}`, { key: a.key }), 414, 'uri_too_long')
      // A user id may be 128 characters: the router must not refuse it before the schema does.
      const longUser = await t.request('GET', `/v1/users/${'u'.repeat(128)}/coupons`, { key: a.key })
      assert.equal(longUser.status, 200, longUser.text)
    })
  })
}
