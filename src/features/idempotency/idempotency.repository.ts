import type { Db } from '../../db/database.ts'

/** Tables of things a merchant makes, whose rows record the Idempotency-Key request that made them. */
export type MadeByRequest = 'cards' | 'stores' | 'rewards' | 'member_cards' | 'claim_links' | 'payment_rules' | 'webhook_endpoints' | 'staff'

/** The `find` of onceForRequest for a creation: what `load` makes of the row the request made in `table`, if it made one. */
export function madeByRequest<T>(db: Db, table: MadeByRequest, merchantId: string, load: (id: string) => Promise<T>): (requestRef: string) => Promise<T | undefined> {
  return async (requestRef) => {
    const row = await db.selectFrom(table).select('id').where('merchant_id', '=', merchantId).where('request_ref', '=', requestRef).executeTakeFirst()
    return row === undefined ? undefined : load(row.id)
  }
}
