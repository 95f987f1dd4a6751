import type { Operation } from './operation.ts'

/** Redeems one coupon from three requests at once, to different servers: one may win. The coupon is left alone afterwards. */
export const raceRedeem: Operation = {
  name: 'race-redeem',
  weight: 1,
  async run(client) {
    const coupon = client.pick('available')
    if (!coupon) return false
    coupon.raced = true
    const race = `race-${coupon.id}`
    await Promise.all(
      Array.from({ length: 3 }, () => client.send({ op: 'race-redeem', method: 'POST', path: '/v1/redemptions', body: { code: coupon.code, order_amount: 12000 }, coupon: coupon.id, race })),
    )
    return true
  },
}
