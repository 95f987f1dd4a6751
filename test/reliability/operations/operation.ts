import type { Client } from '../harness/client.ts'

/**
 * One kind of thing a client does. `run` returns false when it has nothing to work on (no coupon in the
 * state it needs), so the client picks another. A new kind (burning member points, say) is one more module
 * like these, listed in index.ts, with its invariants added to the checkers.
 */
export interface Operation {
  name: string
  /** How often it is picked, relative to the others. */
  weight: number
  run(client: Client): Promise<boolean>
}
