/**
 * Every text the server puts in a customer's inbox, in each language a merchant can choose, keyed by the
 * notification's kind. The catalogue is typed: a message missing in one language does not compile.
 * Plain text, short enough for an SMS or a template message: numbers written as signed numbers and
 * labels (no plurals to translate), the merchant's own words (reasons, titles, level names) quoted.
 */

export const LANGUAGES = ['zh-CN', 'en'] as const
export type Language = (typeof LANGUAGES)[number]
/** The wallet's own default, so a merchant that never chose one speaks to its customers in Chinese. */
export const DEFAULT_LANGUAGE: Language = 'zh-CN'

export interface MessageParams {
  'points.changed': { delta: number; type: string; reason: string; balance: number }
  'points.expiring': { points: number; expiresAt: string }
  'member.level_changed': { fromLevel: string; toLevel: string; up: boolean }
  'stored_value.changed': { delta: number; type: string; reason: string; balance: number }
  'member.birthday_gift': { title: string }
  'reward.exchanged': { title: string; pointsCost: number; coupon: boolean }
  'coupon.expiring': { title: string; validUntil: string }
  /** To the giver: their gift was accepted (`to` is the receiver as shown, masked). */
  'coupon.gifted': { title: string; to: string }
  /** To the receiver: a coupon received as a gift is in the wallet. */
  'coupon.gift_received': { title: string; validUntil: string }
  /** To the giver: a gift nobody accepted in time came back. */
  'coupon.gift_returned': { title: string }
  /** A share reward tier reached: `title` is the shared card's, `rewardTitle` the reward's. */
  'share.rewarded': { title: string; rewardTitle: string; friends: number }
  'coupon.unlocked': { title: string; friends: number }
  'group.completed': { title: string; size: number }
  'group.failed': { title: string; size: number; members: number }
  'referral.rewarded': { role: 'referrer' | 'invitee'; cardTitle: string; points: number; couponTitle: string | null }
}

export type MessageId = keyof MessageParams

export interface MessageText {
  title: string
  body: string
}

type Catalogue = { readonly [Id in MessageId]: (params: MessageParams[Id]) => MessageText }

const signed = (n: number) => (n > 0 ? `+${n}` : String(n))

/** Fen as yuan, `¥12.30`, with a sign when asked: whole-number arithmetic, exact for any balance. */
function yuan(fen: number, withSign = false): string {
  const abs = Math.abs(fen)
  const sign = fen < 0 ? '-' : withSign && fen > 0 ? '+' : ''
  return `${sign}¥${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}

/** `2026-12-31T23:59:59+08:00` as the customer reads it: `2026-12-31 23:59` (their merchant's zone). */
const localMinute = (instant: string) => instant.slice(0, 16).replace('T', ' ')

const EN_POINTS_SPENT: Record<string, string> = { exchange: 'Points redeemed', expiry: 'Points expired', refund: 'Points reversed' }
const EN_STORED_VALUE: Record<string, string> = {
  top_up: 'Stored value topped up',
  payment: 'Paid with stored value',
  order_refund: 'Refund to stored value',
  refund: 'Stored value paid out',
}

const ZH_POINTS_SPENT: Record<string, string> = { exchange: '积分已兑换', expiry: '积分已过期', refund: '积分已退回' }
/** Entries whose reason is written by Kabao itself (in English, in the ledger) are named in Chinese by their type. */
const ZH_OWN_REASONS: Record<string, string> = { sign_in: '每日签到', profile_completed: '完善资料', referral: '推荐新会员', expiry: '积分到期', exchange: '积分兑换' }
/** Order reasons are written by member orders in English (`Order A1`, `Refund R1 of order A1`); Chinese texts name them in Chinese. */
function zhReason(type: string, reason: string): string {
  const own = ZH_OWN_REASONS[type]
  if (own) return own
  const refund = /^Refund (.+) of order (.+)$/.exec(reason)
  if (refund) return `订单 ${refund[2]} 退款 ${refund[1]}`
  const order = /^Order (.+)$/.exec(reason)
  return order ? `订单 ${order[1]}` : reason
}
const ZH_STORED_VALUE: Record<string, string> = { top_up: '储值已到账', payment: '储值消费', order_refund: '储值退款到账', refund: '储值已退款' }

/** What a referral gave one side, in words: the points and the coupon, or both. */
function enRewards(points: number, couponTitle: string | null): string {
  const parts = [points > 0 ? `points +${points}` : null, couponTitle === null ? null : `the coupon “${couponTitle}” is in your wallet`].filter((p) => p !== null)
  return parts.length > 0 ? parts.join(', ') : 'thank you'
}

function zhRewards(points: number, couponTitle: string | null): string {
  const parts = [points > 0 ? `积分 +${points}` : null, couponTitle === null ? null : `优惠券“${couponTitle}”已放入您的卡包`].filter((p) => p !== null)
  return parts.length > 0 ? parts.join('，') : '感谢您的支持'
}

const en: Catalogue = {
  'points.changed': ({ delta, type, reason, balance }) => ({
    title: delta > 0 ? 'Points earned' : (EN_POINTS_SPENT[type] ?? 'Points deducted'),
    body: `Points ${signed(delta)} (${reason}). Balance: ${balance}.`,
  }),
  'points.expiring': ({ points, expiresAt }) => ({
    title: 'Points expiring soon',
    body: `Points expiring at ${localMinute(expiresAt)}: ${points}. Use them before then.`,
  }),
  'member.level_changed': ({ fromLevel, toLevel, up }) => ({
    title: up ? 'Level up' : 'Level changed',
    body: `Your level is now “${toLevel}” (was “${fromLevel}”).`,
  }),
  'stored_value.changed': ({ delta, type, reason, balance }) => ({
    title: EN_STORED_VALUE[type] ?? 'Stored value adjusted',
    body: `Stored value ${yuan(delta, true)} (${reason}). Balance: ${yuan(balance)}.`,
  }),
  'member.birthday_gift': ({ title }) => ({ title: 'Happy birthday', body: `A birthday gift is in your wallet: “${title}”.` }),
  'reward.exchanged': ({ title, pointsCost, coupon }) => ({
    title: 'Reward exchanged',
    body: `“${title}” (points -${pointsCost}): ${coupon ? 'the coupon is in your wallet' : 'show your pick-up code in the wallet to collect it'}.`,
  }),
  'coupon.expiring': ({ title, validUntil }) => ({ title: 'Your coupon expires soon', body: `“${title}” can be used until ${localMinute(validUntil)}.` }),
  'coupon.gifted': ({ title, to }) => ({ title: 'Gift accepted', body: `${to} accepted your gift “${title}”; it is now in their wallet.` }),
  'coupon.gift_received': ({ title, validUntil }) => ({ title: 'You received a gift', body: `“${title}” is in your wallet; it can be used until ${localMinute(validUntil)}.` }),
  'coupon.gift_returned': ({ title }) => ({ title: 'Gift returned', body: `Nobody accepted your gift “${title}” in time; the coupon is back in your wallet.` }),
  'share.rewarded': ({ title, rewardTitle, friends }) => ({
    title: 'Share reward earned',
    body: `Friends who claimed “${title}” through your link: ${friends}. Your reward “${rewardTitle}” is in your wallet.`,
  }),
  'coupon.unlocked': ({ title, friends }) => ({ title: 'Coupon unlocked', body: `Friends who claimed through your link: ${friends}. “${title}” can now be used.` }),
  'group.completed': ({ title, size }) => ({ title: 'Your group is complete', body: `All ${size} members joined: your coupon “${title}” is in your wallet.` }),
  'group.failed': ({ title, size, members }) => ({ title: 'Your group did not fill', body: `Time is up for the group for “${title}” (members ${members}/${size}); no coupon was issued.` }),
  'referral.rewarded': ({ role, cardTitle, points, couponTitle }) => ({
    title: role === 'referrer' ? 'A friend you invited joined' : 'Welcome gift for joining',
    body: `${role === 'referrer' ? `Your friend joined “${cardTitle}”` : `You joined “${cardTitle}” by invitation`}: ${enRewards(points, couponTitle)}.`,
  }),
}

const zhCN: Catalogue = {
  'points.changed': ({ delta, type, reason, balance }) => ({
    title: delta > 0 ? '积分到账' : (ZH_POINTS_SPENT[type] ?? '积分扣减'),
    body: `积分 ${signed(delta)}（${zhReason(type, reason)}），当前积分 ${balance}。`,
  }),
  'points.expiring': ({ points, expiresAt }) => ({
    title: '积分即将过期',
    body: `${points} 积分将于 ${localMinute(expiresAt)} 过期，请尽快使用。`,
  }),
  'member.level_changed': ({ fromLevel, toLevel, up }) => ({
    title: up ? '会员升级' : '会员等级变更',
    body: `您的会员等级已由“${fromLevel}”变为“${toLevel}”。`,
  }),
  'stored_value.changed': ({ delta, type, reason, balance }) => ({
    title: ZH_STORED_VALUE[type] ?? '储值调整',
    body: `储值 ${yuan(delta, true)}（${zhReason(type, reason)}），当前余额 ${yuan(balance)}。`,
  }),
  'member.birthday_gift': ({ title }) => ({ title: '生日快乐', body: `生日礼券“${title}”已放入您的卡包。` }),
  'reward.exchanged': ({ title, pointsCost, coupon }) => ({
    title: '兑换成功',
    body: `“${title}”（积分 -${pointsCost}）：${coupon ? '优惠券已放入您的卡包' : '请在卡包中出示提货码领取'}。`,
  }),
  'coupon.expiring': ({ title, validUntil }) => ({ title: '优惠券即将过期', body: `“${title}”可使用至 ${localMinute(validUntil)}。` }),
  'coupon.gifted': ({ title, to }) => ({ title: '转赠成功', body: `${to} 已领取您转赠的“${title}”，券已放入对方卡包。` }),
  'coupon.gift_received': ({ title, validUntil }) => ({ title: '您收到一份转赠', body: `“${title}”已放入您的卡包，可使用至 ${localMinute(validUntil)}。` }),
  'coupon.gift_returned': ({ title }) => ({ title: '转赠已退回', body: `您转赠的“${title}”无人领取，券已退回您的卡包。` }),
  'share.rewarded': ({ title, rewardTitle, friends }) => ({ title: '分享奖励到账', body: `已有 ${friends} 位好友通过您的分享领取“${title}”，奖励“${rewardTitle}”已放入您的卡包。` }),
  'coupon.unlocked': ({ title, friends }) => ({ title: '优惠券已解锁', body: `已有 ${friends} 位好友通过您的分享领取，“${title}”现在可以使用了。` }),
  'group.completed': ({ title, size }) => ({ title: '拼团成功', body: `${size} 人已成团，“${title}”已放入您的卡包。` }),
  'group.failed': ({ title, size, members }) => ({ title: '拼团未成功', body: `“${title}”的拼团时间已到（${members}/${size} 人），未能成团，未发放优惠券。` }),
  'referral.rewarded': ({ role, cardTitle, points, couponTitle }) => ({
    title: role === 'referrer' ? '邀请有礼' : '入会礼',
    body: `${role === 'referrer' ? `您邀请的好友已加入“${cardTitle}”` : `您已受邀加入“${cardTitle}”`}：${zhRewards(points, couponTitle)}。`,
  }),
}

const CATALOGUES: Record<Language, Catalogue> = { 'zh-CN': zhCN, en }

/** The title and body of a message in the merchant's language. */
export function messageText<Id extends MessageId>(language: Language, id: Id, params: MessageParams[Id]): MessageText {
  return (CATALOGUES[language] ?? CATALOGUES[DEFAULT_LANGUAGE])[id](params)
}

/**
 * A notification as the e-mail or SMS it also becomes: the merchant's name first, in 【】 as Chinese SMS
 * gateways want their signature, then the title and the body.
 */
export function channelMessage(language: Language, merchantName: string, { title, body }: MessageText): { subject: string; text: string } {
  if (language === 'en') return { subject: `[${merchantName}] ${title}`, text: `[${merchantName}] ${title}: ${body}` }
  return { subject: `【${merchantName}】${title}`, text: `【${merchantName}】${title}：${body}` }
}
