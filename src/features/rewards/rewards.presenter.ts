import type { AppContext } from '../../app-context.ts'
import { formatInstant, formatOptionalInstant } from '../../domain/time.ts'
import type { Secrets } from '../../ports/secrets.ts'
import { presentCoupon } from '../coupons/coupons.presenter.ts'
import type { RewardExchangeRow, RewardRow } from './rewards.repository.ts'
import type { Exchange } from './rewards.service.ts'

export function presentReward(row: RewardRow, tz: string) {
  return {
    id: row.id,
    member_card_id: row.member_card_id,
    type: row.type,
    card_id: row.card_id,
    title: row.title,
    description: row.description,
    points_cost: row.points_cost,
    stock: row.stock_remaining,
    stock_remaining: row.stock_remaining,
    exchanged_count: row.exchanged_count,
    per_member_limit: row.per_member_limit,
    status: row.status,
    created_at: formatInstant(row.created_at, tz),
    updated_at: formatInstant(row.updated_at, tz),
  }
}

export function presentExchangeRow(row: RewardExchangeRow, tz: string, secrets: Secrets) {
  return {
    id: row.id,
    reward_id: row.reward_id,
    member_id: row.member_id,
    points_cost: row.points_cost,
    coupon_id: row.coupon_id,
    pickup_code: row.pickup_code_enc === null ? null : secrets.decryptCode(row.pickup_code_enc),
    picked_up_at: formatOptionalInstant(row.picked_up_at, tz),
    created_at: formatInstant(row.created_at, tz),
  }
}

/** A new exchange: the coupon it issued (with its code) or the goods' pick-up code, and the points left. */
export function presentExchange(ctx: AppContext, { exchange, coupon, pointsBalance }: Exchange, tz: string) {
  return {
    ...presentExchangeRow(exchange, tz, ctx.secrets),
    coupon: coupon === null ? null : presentCoupon(coupon.row, tz, ctx.clock.now(), ctx.secrets, coupon.code),
    points_balance: pointsBalance,
  }
}
