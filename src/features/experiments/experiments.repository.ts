import { sql } from 'kysely'
import type { Db, Tx } from '../../db/database.ts'
import type { ExperimentClaimsTable, ExperimentsTable, ExperimentVariantsTable } from './experiments.table.ts'

export type ExperimentRow = ExperimentsTable
export type VariantRow = ExperimentVariantsTable

export async function insertExperiment(tx: Db | Tx, row: ExperimentRow, variants: VariantRow[]): Promise<void> {
  await tx.insertInto('experiments').values(row).execute()
  await tx.insertInto('experiment_variants').values(variants).execute()
}

export async function findExperiment(db: Db | Tx, merchantId: string, id: string): Promise<ExperimentRow | undefined> {
  return db.selectFrom('experiments').selectAll().where('merchant_id', '=', merchantId).where('id', '=', id).executeTakeFirst()
}

export async function findExperimentByTokenHash(db: Db | Tx, tokenHash: string): Promise<ExperimentRow | undefined> {
  return db.selectFrom('experiments').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst()
}

export async function variantsOf(db: Db | Tx, merchantId: string, experimentId: string): Promise<VariantRow[]> {
  const rows = await db.selectFrom('experiment_variants').selectAll().where('merchant_id', '=', merchantId).where('experiment_id', '=', experimentId).orderBy('position').execute()
  return rows.map((r) => ({ ...r, weight: Number(r.weight), views: Number(r.views), position: Number(r.position) }))
}

export async function addVariantView(db: Db | Tx, merchantId: string, experimentId: string, cardId: string): Promise<void> {
  await db
    .updateTable('experiment_variants')
    .set((eb) => ({ views: eb('views', '+', 1) }))
    .where('merchant_id', '=', merchantId)
    .where('experiment_id', '=', experimentId)
    .where('card_id', '=', cardId)
    .execute()
}

export async function insertExperimentClaim(tx: Db | Tx, row: ExperimentClaimsTable): Promise<void> {
  await tx.insertInto('experiment_claims').values(row).execute()
}

type Count = number | string | bigint | null

/** Per variant card: coupons claimed through the experiment and not voided, and of them the redemptions that stand. */
export async function variantOutcomes(db: Db, merchantId: string, experimentId: string): Promise<Map<string, { claims: number; redemptions: number }>> {
  const rows = await db
    .selectFrom('experiment_claims as x')
    .innerJoin('coupons as c', (join) => join.onRef('c.merchant_id', '=', 'x.merchant_id').onRef('c.id', '=', 'x.coupon_id'))
    .leftJoin('redemptions as r', (join) => join.onRef('r.merchant_id', '=', 'c.merchant_id').onRef('r.id', '=', 'c.redemption_id'))
    .select([
      'x.card_id',
      sql<Count>`sum(case when c.state <> 'voided' then 1 else 0 end)`.as('claims'),
      sql<Count>`sum(case when c.state = 'redeemed' and r.reversed_at is null then 1 else 0 end)`.as('redemptions'),
    ])
    .where('x.merchant_id', '=', merchantId)
    .where('x.experiment_id', '=', experimentId)
    .groupBy('x.card_id')
    .execute()
  return new Map(rows.map((r) => [r.card_id, { claims: Number(r.claims ?? 0), redemptions: Number(r.redemptions ?? 0) }]))
}

/** Stops a running experiment keeping `winner`; false when it was stopped already. */
export async function stopExperimentRow(db: Db | Tx, merchantId: string, id: string, winner: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('experiments')
    .set({ status: 'stopped', winner_card_id: winner, stopped_at: now })
    .where('merchant_id', '=', merchantId)
    .where('id', '=', id)
    .where('status', '=', 'running')
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

export async function listExperiments(db: Db, merchantId: string, after: string | null, limit: number): Promise<ExperimentRow[]> {
  let q = db.selectFrom('experiments').selectAll().where('merchant_id', '=', merchantId)
  if (after) q = q.where('id', '>', after)
  return q.orderBy('id').limit(limit).execute()
}

/** The variants of several experiments at once, in their order. */
export async function variantsOfMany(db: Db, merchantId: string, experimentIds: string[]): Promise<VariantRow[]> {
  if (experimentIds.length === 0) return []
  const rows = await db
    .selectFrom('experiment_variants')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .where('experiment_id', 'in', experimentIds)
    .orderBy('experiment_id')
    .orderBy('position')
    .execute()
  return rows.map((r) => ({ ...r, weight: Number(r.weight), views: Number(r.views), position: Number(r.position) }))
}
