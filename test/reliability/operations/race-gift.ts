import type { Operation } from './operation.ts'

const DAY = 86_400_000

/**
 * Gives a coupon of the gift card to the client's friend, then at once, to different servers, some of: the
 * friend accepts, the giver cancels, the return job runs (as of two days later, so the gift is due), and a
 * till redeems the giver's code. At most one of accept, cancel and return may win, a redemption only once
 * the gift went back, and the coupon's value must exist once (checkers.giftsSettleOnce). The coupon is
 * issued for this operation alone and left alone afterwards; its attempts are judged by that checker, not
 * by the coupon-history model.
 */
export const raceGift: Operation = {
  name: 'race-gift',
  weight: 1,
  async run(client) {
    const issued = await client.send({ op: 'gift-issue', method: 'POST', path: `/v1/cards/${client.world.giftCard.id}/issue`, body: { user_id: `w${client.id}` } })
    if (issued.outcome !== 'ok') return true
    const { id, code } = issued.body
    const sent = await client.send({ op: 'gift-send', method: 'POST', path: `/v1/wallet/coupons/${id}/gift`, as: 'customer', race: `gift-coupon-${id}` })
    if (sent.outcome !== 'ok') return true
    const race = `gift-${sent.body.gift_id}`
    const chance = () => Math.random() < 0.75
    const racers: Promise<unknown>[] = []
    if (chance()) racers.push(client.send({ op: 'gift-accept', method: 'POST', path: `/v1/wallet/gifts/${sent.body.token}/accept`, as: 'receiver', race }))
    if (chance()) racers.push(client.send({ op: 'gift-cancel', method: 'POST', path: `/v1/wallet/coupons/${id}/gift/cancel`, as: 'customer', race }))
    if (chance()) racers.push(client.send({ op: 'gift-redeem', method: 'POST', path: '/v1/redemptions', body: { code, order_amount: 12000 }, race }))
    if (chance()) racers.push(client.world.returnGifts(Date.now() + 2 * DAY).catch(() => 0))
    await Promise.all(racers)
    return true
  },
}
