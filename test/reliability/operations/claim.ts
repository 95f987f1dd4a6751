import type { Operation } from './operation.ts'
import type { Request } from '../harness/client.ts'

/** Claims a coupon through the claim link as the client's signed-in customer. */
export const claim: Operation = {
  name: 'claim',
  weight: 1,
  async run(client) {
    const request: Request = { op: 'claim', method: 'POST', path: `/v1/claim/${client.world.claimLink.token}`, as: 'customer', key: client.newKey() }
    const attempt = await client.settle(request)
    if (attempt.outcome === 'ok') {
      client.adopt(attempt.body)
      await client.maybeReplay(request, attempt)
    }
    return true
  },
}
