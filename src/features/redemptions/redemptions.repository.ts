import { sql } from 'kysely'
import type { Database, Db } from '../../db/database.ts'
import type { RedemptionsTable } from '../../db/schema.ts'
import type { CouponRow } from '../coupons/coupons.repository.ts'
import { eventRows, recordEvents, type NewEvent } from '../events/events.repository.ts'

export type RedemptionRow = RedemptionsTable

function markRedeemed(db: Db, redemption: RedemptionRow) {
  return db
    .updateTable('coupons')
    .set({ state: 'redeemed', redeemed_at: redemption.redeemed_at, redemption_id: redemption.id, updated_at: redemption.redeemed_at })
    .where('merchant_id', '=', redemption.merchant_id)
    .where('id', '=', redemption.coupon_id)
    .where('state', '=', 'available')
    .returningAll()
}

/**
 * Redeems the coupon if it is still available, storing the redemption and its event with it, all or nothing.
 * Returns the redeemed coupon, or undefined when the coupon was no longer available (another till won).
 *
 * On PostgreSQL it is one statement (a data-modifying WITH: the inserts take place only if the update found
 * the coupon available), which spares a redemption four of its round trips to the database; SQLite, which
 * answers in-process, runs the same writes as a transaction.
 */
export async function recordRedemption(database: Database, redemption: RedemptionRow, event: NewEvent): Promise<CouponRow | undefined> {
  if (database.engine === 'postgres') {
    const insertIfRedeemed = (table: string, row: object) =>
      sql`insert into ${sql.table(table)} (${sql.join(Object.keys(row).map((column) => sql.ref(column)))}) select ${sql.join(Object.values(row))} from redeemed`
    const { rows } = await sql<CouponRow>`
      with redeemed as (${markRedeemed(database.db, redemption)}),
        stored as (${insertIfRedeemed('redemptions', redemption)}),
        announced as (${insertIfRedeemed('events', eventRows([event])[0])})
      select * from redeemed`.execute(database.db)
    return rows[0]
  }
  return database.db.transaction().execute(async (tx) => {
    const coupon = await markRedeemed(tx, redemption).executeTakeFirst()
    if (!coupon) return undefined
    await tx.insertInto('redemptions').values(redemption).execute()
    await recordEvents(tx, [event])
    return coupon
  })
}
