import type { Operation } from './operation.ts'
import type { Request } from '../harness/client.ts'

/** Reverses the redemption of one of the client's redeemed coupons. */
export const reverse: Operation = {
  name: 'reverse',
  weight: 2,
  async run(client) {
    const coupon = client.pick('redeemed', true)
    if (!coupon) return false
    const request: Request = {
      op: 'reverse',
      method: 'POST',
      path: `/v1/redemptions/${coupon.redemptionId}/reverse`,
      body: { reason: 'reliability harness' },
      key: Math.random() < 0.5 ? client.newKey() : null,
      coupon: coupon.id,
    }
    const attempt = await client.settle(request)
    if (attempt.outcome === 'ok') {
      coupon.believed = 'available'
      coupon.redemptionId = null
      await client.maybeReplay(request, attempt)
    } else {
      await client.lookup(coupon)
    }
    return true
  },
}
