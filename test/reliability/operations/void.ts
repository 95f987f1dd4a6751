import type { Operation } from './operation.ts'
import type { Request } from '../harness/client.ts'

/** Voids one of the client's available coupons. */
export const voidCoupon: Operation = {
  name: 'void',
  weight: 1,
  async run(client) {
    const coupon = client.pick('available')
    if (!coupon) return false
    const request: Request = { op: 'void', method: 'POST', path: `/v1/coupons/${coupon.code}/void`, body: {}, key: Math.random() < 0.5 ? client.newKey() : null, coupon: coupon.id }
    const attempt = await client.settle(request)
    if (attempt.outcome === 'ok') {
      coupon.believed = 'voided'
      await client.maybeReplay(request, attempt)
    } else {
      await client.lookup(coupon)
    }
    return true
  },
}
