import type { Db } from '../../db/database.ts'
import type { LoginAttemptsTable, StaffSessionsTable, StaffTable } from './staff.table.ts'

export type StaffRow = StaffTable
export type StaffSessionRow = StaffSessionsTable

export async function findStaffRow(db: Db, merchantId: string, staffId: string): Promise<StaffRow | undefined> {
  return db.selectFrom('staff').selectAll().where('merchant_id', '=', merchantId).where('id', '=', staffId).executeTakeFirst()
}

/** Sign-in names are unique across the deployment, so a login finds at most one account. */
export async function findStaffByLogin(db: Db, login: string): Promise<StaffRow | undefined> {
  return db.selectFrom('staff').selectAll().where('login', '=', login).executeTakeFirst()
}

export async function anyStaffExists(db: Db): Promise<boolean> {
  return (await db.selectFrom('staff').select('id').limit(1).executeTakeFirst()) !== undefined
}

export async function insertStaff(db: Db, row: StaffRow): Promise<void> {
  await db.insertInto('staff').values(row).execute()
}

export async function updateStaffRow(db: Db, merchantId: string, staffId: string, changes: Partial<Omit<StaffRow, 'id' | 'merchant_id'>>): Promise<void> {
  await db.updateTable('staff').set(changes).where('merchant_id', '=', merchantId).where('id', '=', staffId).execute()
}

/** A page of the merchant's staff in id order, after the cursor's id. */
export async function listStaff(db: Db, merchantId: string, after: string | null, limit: number): Promise<StaffRow[]> {
  let q = db.selectFrom('staff').selectAll().where('merchant_id', '=', merchantId)
  if (after) q = q.where('id', '>', after)
  return q.orderBy('id').limit(limit).execute()
}

/** Whether an active owner other than `staffId` exists. */
export async function otherActiveOwnerExists(db: Db, merchantId: string, staffId: string): Promise<boolean> {
  const other = await db
    .selectFrom('staff')
    .select('id')
    .where('merchant_id', '=', merchantId)
    .where('role', '=', 'owner')
    .where('disabled_at', 'is', null)
    .where('id', '!=', staffId)
    .limit(1)
    .executeTakeFirst()
  return other !== undefined
}

/** When the failed sign-ins of `subject` since `since` happened. */
export async function failedLoginTimes(db: Db, subject: string, since: number): Promise<number[]> {
  const rows = await db.selectFrom('login_attempts').select('created_at').where('subject', '=', subject).where('created_at', '>', since).execute()
  return rows.map((r) => r.created_at)
}

export async function insertLoginAttempts(db: Db, rows: LoginAttemptsTable[]): Promise<void> {
  await db.insertInto('login_attempts').values(rows).execute()
}

/** Forgets failed sign-ins made at or before `before`. */
export async function deleteLoginAttemptsBefore(db: Db, before: number): Promise<void> {
  await db.deleteFrom('login_attempts').where('created_at', '<=', before).execute()
}

export async function deleteLoginAttemptsOf(db: Db, subject: string): Promise<void> {
  await db.deleteFrom('login_attempts').where('subject', '=', subject).execute()
}

export async function insertSession(db: Db, row: StaffSessionRow): Promise<void> {
  await db.insertInto('staff_sessions').values(row).execute()
}

/** The session of this token hash with its account and merchant, whatever its state. */
export async function findSessionByTokenHash(db: Db, tokenHash: string) {
  return db
    .selectFrom('staff_sessions')
    .innerJoin('staff', (join) => join.onRef('staff.merchant_id', '=', 'staff_sessions.merchant_id').onRef('staff.id', '=', 'staff_sessions.staff_id'))
    .innerJoin('merchants', 'merchants.id', 'staff_sessions.merchant_id')
    .select(['staff_sessions.id', 'staff_sessions.merchant_id', 'staff_sessions.expires_at', 'staff_sessions.revoked_at', 'staff.id as staff_id', 'staff.role', 'staff.store_id', 'staff.disabled_at', 'merchants.timezone'])
    .where('staff_sessions.token_hash', '=', tokenHash)
    .executeTakeFirst()
}

export async function revokeSession(db: Db, merchantId: string, sessionId: string, now: number): Promise<void> {
  await db.updateTable('staff_sessions').set({ revoked_at: now }).where('merchant_id', '=', merchantId).where('id', '=', sessionId).execute()
}

/** Revokes every live session of an account but `except`, when given. */
export async function revokeSessionsOfStaff(db: Db, merchantId: string, staffId: string, now: number, except?: string): Promise<void> {
  let q = db.updateTable('staff_sessions').set({ revoked_at: now }).where('merchant_id', '=', merchantId).where('staff_id', '=', staffId).where('revoked_at', 'is', null)
  if (except) q = q.where('id', '!=', except)
  await q.execute()
}
