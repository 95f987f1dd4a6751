import type { ExpressionBuilder, ExpressionWrapper, SqlBool } from 'kysely'
import type { DB } from '../../db/schema.ts'

/**
 * A filter on the state a coupon reads as at `now`: a stored `available` past its last valid second is
 * expired even before the expiry job has written that down.
 */
export function couponStateFilter(state: string, now: number) {
  // valid_until is the last valid second: expired from valid_until + 1 s on.
  const lastValidSecond = now - 1000
  return (eb: ExpressionBuilder<DB, 'coupons'>): ExpressionWrapper<DB, 'coupons', SqlBool> => {
    if (state === 'available') return eb.and([eb('state', '=', 'available'), eb('valid_until', '>', lastValidSecond)])
    if (state === 'expired') {
      return eb.or([eb('state', '=', 'expired'), eb.and([eb('state', '=', 'available'), eb('valid_until', '<=', lastValidSecond)])])
    }
    return eb('state', '=', state)
  }
}
