import type { Operation } from './operation.ts'
import { pointsRequest, post } from './points.ts'

/** Adds points to the client's member when it runs low, so that burns have something to take. */
export const earn: Operation = {
  name: 'earn',
  weight: 1,
  async run(client) {
    const member = client.member
    if (!member) return false
    if (await client.lateRetry()) return true
    if (member.believed === null) {
      await client.lookupMember(member)
      return true
    }
    if (member.believed > 1500) return false
    await post(client, member, pointsRequest(client, member, 'earn', 200 + Math.floor(Math.random() * 1300)))
    return true
  },
}
