// WeChat event pushes (WECHAT-API.md §4): which native events become which WeChat XML events, the XML
// itself, and WeChat's request signature. Pure: what the database knows comes in as `PushFacts`.
import { createHash } from 'node:crypto'

/** Native event types that can become a push (§4.3); the rest have no WeChat counterpart. */
export const PUSH_EVENT_TYPES = [
  'card.created',
  'card.activated',
  'coupon.issued',
  'coupon.gifted',
  'coupon.gift_returned',
  'coupon.redeemed',
  'coupon.voided',
  'coupon.viewed',
  'member.joined',
  'points.changed',
  'stored_value.changed',
  'card.stock_low',
  'member.profile_updated',
] as const

/** The card_pass_check setting switches off the pushes of these. */
export const CARD_PASS_CHECK_TYPES: readonly string[] = ['card.created', 'card.activated']

/** The event types a push destination subscribes to. */
export function pushSubscriptions(cardPassCheck: boolean): string[] {
  return PUSH_EVENT_TYPES.filter((type) => cardPassCheck || !CARD_PASS_CHECK_TYPES.includes(type))
}

/** `signature` = lower-case hex SHA-1 of token, timestamp and nonce sorted and concatenated. */
export function wechatSignature(token: string, timestamp: string, nonce: string): string {
  return createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest('hex')
}

/** The query string a push (or the echo check) carries: signature, timestamp and nonce, `echostr` for the check. */
export function signedQuery(token: string, timestampSeconds: number, nonce: string, echostr?: string): string {
  const timestamp = String(timestampSeconds)
  const params = new URLSearchParams({ signature: wechatSignature(token, timestamp, nonce), timestamp, nonce })
  if (echostr !== undefined) params.set('echostr', echostr)
  return params.toString()
}

/** `url` with the signed query appended (after its own query, if any). */
export function signedUrl(url: string, query: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}${query}`
}

/** A push's token: 3 to 32 letters and digits, as WeChat's Token setting. */
export const PUSH_TOKEN_PATTERN = '^[A-Za-z0-9]{3,32}$'

/** An element of a push: strings go in CDATA, integers bare. */
export type PushValue = string | number

export interface PushMessage {
  /** The holder's openid, or the app's original_id for card-level events. */
  from: string
  /** The event's time, unix seconds: identical on every attempt. */
  createTime: number
  event: string
  /** Every element listed for the event, in order, empty when unknown. */
  elements: [string, PushValue][]
}

/** `]]>` inside a string is split across two CDATA sections. */
function cdata(text: string): string {
  return `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`
}

/** Characters XML 1.0 cannot carry at all (even in CDATA) are dropped. */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

function element(name: string, value: PushValue): string {
  return `<${name}>${typeof value === 'number' ? String(Math.trunc(value)) : cdata(value.replace(NOT_XML, ''))}</${name}>`
}

/** The XML body of a push (§4.2). */
export function renderPushXml(toUserName: string, message: PushMessage): string {
  const parts: [string, PushValue][] = [
    ['ToUserName', toUserName],
    ['FromUserName', message.from],
    ['CreateTime', message.createTime],
    ['MsgType', 'event'],
    ['Event', message.event],
    ...message.elements,
  ]
  return `<xml>\n${parts.map(([name, value]) => `  ${element(name, value)}`).join('\n')}\n</xml>`
}

/** What the database knows about an event's coupons, stores, members and the app. */
export interface PushFacts {
  originalId: string
  /** Codes of the coupons the event names, by coupon id. */
  codes: Record<string, string>
  /** The channel tag (WeChat's outer_str) of each coupon named, by coupon id. */
  outerStrs: Record<string, string | null>
  /** The issue source of each coupon named, by coupon id. */
  sources: Record<string, string>
  /** A redemption's store name and clerk. */
  storeName: string | null
  staffId: string | null
  /** Member numbers (the code of a member card), by member id. */
  memberNumbers: Record<string, string>
}

/** A native event: its type, data and time (epoch ms). */
export interface PushEvent {
  type: string
  data: Record<string, unknown>
  createdAt: number
}

const str = (value: unknown): string => (typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value))
const int = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : 0)

/** `outer_id` is numeric: a channel tag of digits only is sent as one, else 0. */
export function outerIdOf(outerStr: string | null): number {
  return outerStr !== null && /^\d{1,9}$/.test(outerStr) ? Number(outerStr) : 0
}

/** How a redemption channel reads as WeChat's ConsumeSource: API and self-service FROM_API, tills FROM_MOBILE_HELPER, by hand in the console FROM_MP. */
export function consumeSourceOf(channel: string): string {
  if (channel === 'scan') return 'FROM_MOBILE_HELPER'
  if (channel === 'manual') return 'FROM_MP'
  return 'FROM_API'
}

/**
 * The pushes one native event makes (§4.3): none for events without a WeChat counterpart (or a card made
 * as a draft, a coupon received as a gift: `coupon.gifted` pushes that one, a void by the merchant), two for an accepted gift
 * (the giver's user_gifting_card, then the receiver's user_get_card).
 */
export function pushMessagesOf(event: PushEvent, facts: PushFacts): PushMessage[] {
  const d = event.data
  const createTime = Math.floor(event.createdAt / 1000)
  const cardId = str(d.card_id)
  const message = (from: string, name: string, elements: [string, PushValue][]): PushMessage => ({ from, createTime, event: name, elements })
  switch (event.type) {
    case 'card.created':
      // Made as a draft: the pass comes with its publication (card.activated from draft).
      if (d.status === 'draft') return []
      return [message(facts.originalId, 'card_pass_check', [['CardId', cardId], ['RefuseReason', '']])]
    case 'card.activated':
      if (d.previous_status !== 'draft') return []
      return [message(facts.originalId, 'card_pass_check', [['CardId', cardId], ['RefuseReason', '']])]
    case 'coupon.issued': {
      const couponId = str(d.coupon_id)
      if (facts.sources[couponId] === 'gift') return []
      const outer = facts.outerStrs[couponId] ?? null
      return [
        message(str(d.user_id), 'user_get_card', [
          ['CardId', cardId], ['UserCardCode', facts.codes[couponId] ?? ''], ['IsGiveByFriend', 0], ['FriendUserName', ''],
          ['OuterId', outerIdOf(outer)], ['OuterStr', outer ?? ''], ['OldUserCardCode', ''], ['IsRestoreMemberCard', 0],
        ]),
      ]
    }
    case 'member.joined':
      return [
        message(str(d.user_id), 'user_get_card', [
          ['CardId', str(d.member_card_id)], ['UserCardCode', facts.memberNumbers[str(d.member_id)] ?? str(d.member_number)], ['IsGiveByFriend', 0], ['FriendUserName', ''],
          // The channel of the claim link (QR code, landing page) or of kabao/card/issue joined through.
          ['OuterId', outerIdOf(typeof d.channel === 'string' ? d.channel : null)], ['OuterStr', str(d.channel)], ['OldUserCardCode', ''], ['IsRestoreMemberCard', 0],
        ]),
      ]
    case 'coupon.gifted': {
      const giver = str(d.giver_user_id)
      const receiver = str(d.receiver_user_id)
      const oldCode = facts.codes[str(d.coupon_id)] ?? ''
      return [
        message(giver, 'user_gifting_card', [['CardId', cardId], ['UserCardCode', oldCode], ['FriendUserName', receiver], ['IsReturnBack', 0], ['IsChatRoom', 0]]),
        message(receiver, 'user_get_card', [
          ['CardId', cardId], ['UserCardCode', facts.codes[str(d.received_coupon_id)] ?? ''], ['IsGiveByFriend', 1], ['FriendUserName', giver],
          ['OuterId', 0], ['OuterStr', ''], ['OldUserCardCode', oldCode], ['IsRestoreMemberCard', 0],
        ]),
      ]
    }
    case 'coupon.gift_returned':
      return [message(str(d.giver_user_id), 'user_gifting_card', [['CardId', cardId], ['UserCardCode', facts.codes[str(d.coupon_id)] ?? ''], ['FriendUserName', ''], ['IsReturnBack', 1], ['IsChatRoom', 0]])]
    case 'coupon.redeemed': {
      const couponId = str(d.coupon_id)
      return [
        message(str(d.user_id), 'user_consume_card', [
          ['CardId', cardId], ['UserCardCode', facts.codes[couponId] ?? ''], ['ConsumeSource', consumeSourceOf(str(d.channel))], ['LocationName', facts.storeName ?? ''],
          ['StaffOpenId', facts.staffId ?? ''], ['VerifyCode', ''], ['RemarkAmount', ''], ['OuterStr', facts.outerStrs[couponId] ?? ''],
        ]),
      ]
    }
    case 'coupon.voided':
      // Only the holder removing it from the wallet has a WeChat counterpart; a merchant's void pushes nothing.
      if (d.by !== 'holder') return []
      return [message(str(d.user_id), 'user_del_card', [['CardId', cardId], ['UserCardCode', facts.codes[str(d.coupon_id)] ?? '']])]
    case 'coupon.viewed': {
      const couponId = str(d.coupon_id)
      return [message(str(d.user_id), 'user_view_card', [['CardId', cardId], ['UserCardCode', facts.codes[couponId] ?? ''], ['OuterStr', facts.outerStrs[couponId] ?? '']])]
    }
    case 'points.changed':
    case 'stored_value.changed': {
      const delta = int(d.delta)
      return [
        message(str(d.user_id), 'update_member_card', [
          ['CardId', str(d.member_card_id)], ['UserCardCode', facts.memberNumbers[str(d.member_id)] ?? ''],
          ['ModifyBonus', event.type === 'points.changed' ? delta : 0], ['ModifyBalance', event.type === 'stored_value.changed' ? delta : 0],
        ]),
      ]
    }
    case 'card.stock_low':
      return [message(facts.originalId, 'card_sku_remind', [['CardId', cardId], ['Detail', `the card's stock is low: ${int(d.stock_remaining)} left`]])]
    case 'member.profile_updated':
      return [message(str(d.user_id), 'submit_membercard_user_info', [['CardId', str(d.member_card_id)], ['UserCardCode', facts.memberNumbers[str(d.member_id)] ?? '']])]
    default:
      return []
  }
}

/** The coupon and member ids an event names, whose codes its pushes carry. */
export function pushSubjectsOf(event: Pick<PushEvent, 'type' | 'data'>): { couponIds: string[]; memberIds: string[]; storeId: string | null; redemptionId: string | null } {
  const d = event.data
  const ids = (...keys: string[]) => keys.map((k) => d[k]).filter((v): v is string => typeof v === 'string')
  return {
    couponIds: ids('coupon_id', 'received_coupon_id'),
    memberIds: ids('member_id'),
    storeId: event.type === 'coupon.redeemed' && typeof d.store_id === 'string' ? d.store_id : null,
    redemptionId: event.type === 'coupon.redeemed' && typeof d.redemption_id === 'string' ? d.redemption_id : null,
  }
}
