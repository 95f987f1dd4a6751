import type { Operation } from './operation.ts'
import { memberWithBalance, pointsRequest, post } from './points.ts'

/**
 * Burns points of the client's member: mostly what it believes the member has at most, a quarter of the
 * time more than that, which the server must refuse (`insufficient_points`) without moving anything.
 */
export const burn: Operation = {
  name: 'burn',
  weight: 3,
  async run(client) {
    const member = await memberWithBalance(client)
    if (typeof member === 'boolean') return member
    const over = Math.random() < 0.25
    if (member.believed === 0 && !over) return false
    const amount = over ? member.believed + 1 + Math.floor(Math.random() * 100) : 1 + Math.floor(Math.random() * member.believed)
    await post(client, member, pointsRequest(client, member, 'burn', -amount))
    return true
  },
}

/**
 * Burns points of one member from four requests at once, to different servers, each for 30–60% of the
 * balance: not all of them fit, and the balance must never go below zero. Sent once each, no keys.
 */
export const raceBurn: Operation = {
  name: 'race-burn',
  weight: 1,
  async run(client) {
    const member = client.member
    if (!member || member.believed === null || member.believed < 10) return false
    const balance = member.believed
    const race = client.newRef('race')
    await Promise.all(
      Array.from({ length: 4 }, () => {
        const amount = Math.max(1, Math.floor(balance * (0.3 + Math.random() * 0.3)))
        return client.send(pointsRequest(client, member, 'race-burn', -amount, { keyed: false, sourced: false, race }))
      }),
    )
    await client.lookupMember(member)
    return true
  },
}
