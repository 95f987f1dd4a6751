import type { Operation } from './operation.ts'
import { memberWithBalance, pointsRequest, post } from './points.ts'

/** Adds points to the client's member when it runs low, so that burns have something to take. */
export const earn: Operation = {
  name: 'earn',
  weight: 1,
  async run(client) {
    const member = await memberWithBalance(client)
    if (typeof member === 'boolean') return member
    if (member.believed > 1500) return false
    await post(client, member, pointsRequest(client, member, 'earn', 200 + Math.floor(Math.random() * 1300)))
    return true
  },
}
