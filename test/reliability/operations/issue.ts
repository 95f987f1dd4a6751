import type { Operation } from './operation.ts'
import type { Request } from '../harness/client.ts'

/** Issues a coupon through the API: of the scarce card now and then (they compete for its stock), else of the plentiful one. */
export const issue: Operation = {
  name: 'issue',
  weight: 3,
  async run(client) {
    const card = Math.random() < 0.3 ? client.world.scarceCard : client.world.plentifulCard
    const request: Request = { op: 'issue', method: 'POST', path: `/v1/cards/${card.id}/issue`, body: { user_id: client.someUser() }, key: client.newKey() }
    const attempt = await client.settle(request)
    if (attempt.outcome === 'ok') {
      client.adopt(attempt.body)
      await client.maybeReplay(request, attempt)
    }
    return true
  },
}
