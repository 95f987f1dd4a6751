import { sql } from 'kysely'
import type { Database, Db } from '../../db/database.ts'
import type { DeliveryStatus, EndpointDisabledCode, WebhookAttemptsTable, WebhookDeliveriesTable, WebhookEndpointsTable } from './webhooks.table.ts'

export type EndpointRow = WebhookEndpointsTable
export type DeliveryRow = WebhookDeliveriesTable
export type AttemptRow = WebhookAttemptsTable

// Endpoints

export async function findEndpointRow(db: Db, merchantId: string, endpointId: string): Promise<EndpointRow | undefined> {
  return db.selectFrom('webhook_endpoints').selectAll().where('merchant_id', '=', merchantId).where('id', '=', endpointId).executeTakeFirst()
}

export async function insertEndpoint(db: Db, row: EndpointRow): Promise<void> {
  await db.insertInto('webhook_endpoints').values(row).execute()
}

export async function updateEndpointRow(db: Db, merchantId: string, endpointId: string, changes: Partial<Omit<EndpointRow, 'id' | 'merchant_id'>>): Promise<void> {
  await db.updateTable('webhook_endpoints').set(changes).where('merchant_id', '=', merchantId).where('id', '=', endpointId).execute()
}

/** A page of the merchant's endpoints in id order, after the cursor's id. */
export async function listEndpoints(db: Db, merchantId: string, after: string | null, limit: number): Promise<EndpointRow[]> {
  let q = db.selectFrom('webhook_endpoints').selectAll().where('merchant_id', '=', merchantId).where('kind', '=', 'webhook')
  if (after) q = q.where('id', '>', after)
  return q.orderBy('id').limit(limit).execute()
}

/** The enabled endpoints of these merchants, with what fan-out needs. */
export async function enabledEndpointsOf(db: Db, merchantIds: string[]): Promise<Pick<EndpointRow, 'merchant_id' | 'id' | 'events' | 'created_at'>[]> {
  return db.selectFrom('webhook_endpoints').select(['merchant_id', 'id', 'events', 'created_at']).where('merchant_id', 'in', merchantIds).where('status', '=', 'enabled').execute()
}

/** Removes the endpoint with its deliveries and their log. */
export async function deleteEndpointWithLog(db: Db, merchantId: string, endpointId: string): Promise<void> {
  for (const table of ['webhook_attempts', 'webhook_deliveries'] as const) {
    await db.deleteFrom(table).where('merchant_id', '=', merchantId).where('endpoint_id', '=', endpointId).execute()
  }
  await db.deleteFrom('webhook_endpoints').where('merchant_id', '=', merchantId).where('id', '=', endpointId).execute()
}

/** Sets a new secret only if the current one is still `currentSecretEnc`; false when someone rotated in between. */
export async function replaceEndpointSecret(
  db: Db,
  merchantId: string,
  endpointId: string,
  currentSecretEnc: string,
  changes: Pick<EndpointRow, 'secret_enc' | 'prev_secret_enc' | 'prev_secret_until' | 'secret_request_ref' | 'updated_at'>,
): Promise<boolean> {
  const rotated = await db
    .updateTable('webhook_endpoints')
    .set(changes)
    .where('merchant_id', '=', merchantId)
    .where('id', '=', endpointId)
    .where('secret_enc', '=', currentSecretEnc)
    .executeTakeFirst()
  return Number(rotated.numUpdatedRows) === 1
}

/** Disables the endpoint if it is enabled; false when it was disabled already. */
export async function disableEnabledEndpoint(db: Db, merchantId: string, endpointId: string, reason: { code: EndpointDisabledCode; reason: string }, now: number): Promise<boolean> {
  const disabled = await db
    .updateTable('webhook_endpoints')
    .set({ status: 'disabled', disabled_code: reason.code, disabled_reason: reason.reason, disabled_at: now, updated_at: now })
    .where('merchant_id', '=', merchantId)
    .where('id', '=', endpointId)
    .where('status', '=', 'enabled')
    .executeTakeFirst()
  return Number(disabled.numUpdatedRows) === 1
}

/** Marks a run of failures as begun at `failingSince`, unless one is already under way. */
export async function markEndpointFailing(db: Db, merchantId: string, endpointId: string, failingSince: number): Promise<void> {
  await db.updateTable('webhook_endpoints').set({ failing_since: failingSince }).where('merchant_id', '=', merchantId).where('id', '=', endpointId).where('failing_since', 'is', null).execute()
}

// Deliveries

/** Inserts deliveries; one that exists for its (endpoint, event) is left as it is. */
export async function insertDeliveries(db: Db, rows: DeliveryRow[]): Promise<void> {
  if (rows.length === 0) return
  await db
    .insertInto('webhook_deliveries')
    .values(rows)
    .onConflict((oc) => oc.columns(['merchant_id', 'endpoint_id', 'event_id']).doNothing())
    .execute()
}

/** Inserts deliveries due now; one that exists for its (endpoint, event) starts over. */
export async function insertOrRestartDeliveries(db: Db, rows: DeliveryRow[], now: number): Promise<void> {
  if (rows.length === 0) return
  await db
    .insertInto('webhook_deliveries')
    .values(rows)
    .onConflict((oc) => oc.columns(['merchant_id', 'endpoint_id', 'event_id']).doUpdateSet({ status: 'pending', attempts: 0, next_attempt_at: now, delivered_at: null, updated_at: now }))
    .execute()
}

/** Whether any pending delivery is due and not leased, whatever its endpoint. */
export async function anyDeliveryDue(db: Db, now: number): Promise<boolean> {
  const due = await db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .limit(1)
    .executeTakeFirst()
  return due !== undefined
}

/** How many leased pending deliveries each endpoint has in flight now. */
export async function deliveriesInFlight(db: Db, now: number): Promise<Map<string, number>> {
  const busy = await db
    .selectFrom('webhook_deliveries')
    .select(['endpoint_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', '=', 'pending')
    .where('locked_until', '>', now)
    .groupBy('endpoint_id')
    .execute()
  return new Map(busy.map((row) => [row.endpoint_id, Number(row.n)]))
}

/**
 * Up to `limit` due, unleased deliveries of enabled endpoints but those in `skipEndpoints`, soonest due
 * first, claimed for the caller's transaction (see Database.claimRows).
 */
export async function claimDueDeliveryCandidates(
  database: Pick<Database, 'claimRows'>,
  tx: Db,
  now: number,
  skipEndpoints: string[],
  limit: number,
): Promise<Pick<DeliveryRow, 'merchant_id' | 'id' | 'endpoint_id'>[]> {
  let query = tx
    .selectFrom('webhook_deliveries')
    .innerJoin('webhook_endpoints', (join) =>
      join.onRef('webhook_endpoints.merchant_id', '=', 'webhook_deliveries.merchant_id').onRef('webhook_endpoints.id', '=', 'webhook_deliveries.endpoint_id'),
    )
    .select(['webhook_deliveries.merchant_id', 'webhook_deliveries.id', 'webhook_deliveries.endpoint_id'])
    .where('webhook_deliveries.status', '=', 'pending')
    .where('webhook_deliveries.next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('webhook_deliveries.locked_until', 'is', null), eb('webhook_deliveries.locked_until', '<=', now)]))
    .where('webhook_endpoints.status', '=', 'enabled')
  if (skipEndpoints.length > 0) query = query.where('webhook_deliveries.endpoint_id', 'not in', skipEndpoints)
  return database.claimRows(query.orderBy('webhook_deliveries.next_attempt_at').limit(limit), 'webhook_deliveries').execute()
}

/** Takes the lease of a pending delivery nobody holds; false when another worker has it. */
export async function leaseDelivery(db: Db, merchantId: string, deliveryId: string, lease: { lockedUntil: number; leaseToken: string }, now: number): Promise<boolean> {
  const taken = await db
    .updateTable('webhook_deliveries')
    .set({ locked_until: lease.lockedUntil, lease_token: lease.leaseToken })
    .where('merchant_id', '=', merchantId)
    .where('id', '=', deliveryId)
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .executeTakeFirst()
  return Number(taken.numUpdatedRows) === 1
}

/** A delivery with its endpoint's address and secrets, its event and the merchant's time zone: what sending it needs. */
export async function findDeliveryToSend(db: Db, merchantId: string, deliveryId: string) {
  return db
    .selectFrom('webhook_deliveries')
    .innerJoin('webhook_endpoints', (join) =>
      join.onRef('webhook_endpoints.merchant_id', '=', 'webhook_deliveries.merchant_id').onRef('webhook_endpoints.id', '=', 'webhook_deliveries.endpoint_id'),
    )
    .innerJoin('events', (join) => join.onRef('events.merchant_id', '=', 'webhook_deliveries.merchant_id').onRef('events.id', '=', 'webhook_deliveries.event_id'))
    .innerJoin('merchants', 'merchants.id', 'webhook_deliveries.merchant_id')
    .select([
      'webhook_deliveries.endpoint_id',
      'webhook_deliveries.event_id',
      'webhook_deliveries.attempts',
      'webhook_endpoints.url',
      'webhook_endpoints.secret_enc',
      'webhook_endpoints.prev_secret_enc',
      'webhook_endpoints.prev_secret_until',
      'webhook_endpoints.kind',
      'webhook_endpoints.wechat_appid',
      'events.type',
      'events.data',
      'events.created_at',
      'merchants.timezone',
    ])
    .where('webhook_deliveries.merchant_id', '=', merchantId)
    .where('webhook_deliveries.id', '=', deliveryId)
    .executeTakeFirstOrThrow()
}

/** Records the outcome of an attempt, only while `leaseToken` still holds the lease. */
export async function settleDelivery(
  db: Db,
  merchantId: string,
  deliveryId: string,
  leaseToken: string,
  changes: Pick<DeliveryRow, 'status' | 'attempts' | 'next_attempt_at' | 'last_attempt_at' | 'last_status_code' | 'last_error' | 'delivered_at' | 'updated_at'>,
): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ ...changes, locked_until: null, lease_token: null })
    .where('merchant_id', '=', merchantId)
    .where('id', '=', deliveryId)
    // A worker whose lease ran out (and was taken over) must not overwrite the newer attempt's outcome.
    .where('lease_token', '=', leaseToken)
    .execute()
}

/** The next moment a pending delivery of an enabled endpoint falls due after `now`, if any. */
export async function nextDeliveryDue(db: Db, now: number): Promise<number | null> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .innerJoin('webhook_endpoints', (join) =>
      join.onRef('webhook_endpoints.merchant_id', '=', 'webhook_deliveries.merchant_id').onRef('webhook_endpoints.id', '=', 'webhook_deliveries.endpoint_id'),
    )
    .select((eb) => eb.fn.min('webhook_deliveries.next_attempt_at').as('due'))
    .where('webhook_deliveries.status', '=', 'pending')
    .where('webhook_deliveries.next_attempt_at', '>', now)
    .where('webhook_endpoints.status', '=', 'enabled')
    .executeTakeFirst()
  return row?.due === null || row?.due === undefined ? null : Number(row.due)
}

/** A page of an endpoint's deliveries with their event types, newest first, before the cursor's id. */
export async function listDeliveries(db: Db, merchantId: string, endpointId: string, filter: { status?: DeliveryStatus; before: string | null }, limit: number) {
  let q = db
    .selectFrom('webhook_deliveries')
    .innerJoin('events', (join) => join.onRef('events.merchant_id', '=', 'webhook_deliveries.merchant_id').onRef('events.id', '=', 'webhook_deliveries.event_id'))
    .selectAll('webhook_deliveries')
    .select('events.type as event_type')
    .where((eb) => eb.and({ 'webhook_deliveries.merchant_id': merchantId, 'webhook_deliveries.endpoint_id': endpointId }))
  if (filter.status) q = q.where('webhook_deliveries.status', '=', filter.status)
  if (filter.before) q = q.where('webhook_deliveries.id', '<', filter.before)
  return q.orderBy('webhook_deliveries.id', 'desc').limit(limit).execute()
}

// Attempts

export async function insertAttempt(db: Db, row: AttemptRow): Promise<void> {
  await db.insertInto('webhook_attempts').values(row).execute()
}

/** A page of an endpoint's attempts, newest first, before the cursor's id. */
export async function listAttempts(db: Db, merchantId: string, endpointId: string, filter: { eventId?: string; before: string | null }, limit: number): Promise<AttemptRow[]> {
  let q = db.selectFrom('webhook_attempts').selectAll().where('merchant_id', '=', merchantId).where('endpoint_id', '=', endpointId)
  if (filter.eventId) q = q.where('event_id', '=', filter.eventId)
  if (filter.before) q = q.where('id', '<', filter.before)
  return q.orderBy('id', 'desc').limit(limit).execute()
}

// The log's retention

/** Matches the partial index `webhook_deliveries_finished_idx` word for word (a bound parameter would not). */
const finished = sql<boolean>`status <> 'pending'`

/**
 * Deletes up to `limit` finished deliveries (delivered or failed) last changed at or before `finishedBy`,
 * oldest first, each checked again as it is deleted; returns their keys.
 */
export async function deleteFinishedDeliveries(db: Db, finishedBy: number, limit: number): Promise<Pick<DeliveryRow, 'merchant_id' | 'id'>[]> {
  return db
    .deleteFrom('webhook_deliveries')
    .where(finished)
    .where('updated_at', '<=', finishedBy)
    .where((eb) =>
      eb(
        eb.refTuple('merchant_id', 'id'),
        'in',
        eb.selectFrom('webhook_deliveries').select(['merchant_id', 'id']).where(finished).where('updated_at', '<=', finishedBy).orderBy('updated_at').limit(limit).$asTuple('merchant_id', 'id'),
      ),
    )
    .returning(['merchant_id', 'id'])
    .execute()
}

/** Forgets a delivery that turned out to have nothing to send (an event a WeChat app has no push for). */
export async function deleteDelivery(db: Db, merchantId: string, deliveryId: string): Promise<void> {
  await db.deleteFrom('webhook_deliveries').where('merchant_id', '=', merchantId).where('id', '=', deliveryId).execute()
}

export async function deleteAttemptsOfDeliveries(db: Db, merchantId: string, deliveryIds: string[]): Promise<void> {
  await db.deleteFrom('webhook_attempts').where('merchant_id', '=', merchantId).where('delivery_id', 'in', deliveryIds).execute()
}
