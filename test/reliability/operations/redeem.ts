import type { Operation } from './operation.ts'
import type { Request } from '../harness/client.ts'

/** Redeems one of the client's available coupons, with an Idempotency-Key half the time. */
export const redeem: Operation = {
  name: 'redeem',
  weight: 4,
  async run(client) {
    const coupon = client.pick('available')
    if (!coupon) return false
    const request: Request = {
      op: 'redeem',
      method: 'POST',
      path: '/v1/redemptions',
      body: { code: coupon.code, order_amount: 12000 },
      key: Math.random() < 0.5 ? client.newKey() : null,
      coupon: coupon.id,
    }
    const attempt = await client.settle(request)
    if (attempt.outcome === 'ok') {
      coupon.believed = 'redeemed'
      coupon.redemptionId = attempt.body.id
      await client.maybeReplay(request, attempt)
    } else {
      await client.lookup(coupon)
    }
    return true
  },
}
