import type { Db } from '../../db/database.ts'
import type { CustomersTable, OtpChallengesTable } from './customers.table.ts'

export type CustomerRow = CustomersTable
export type OtpChallengeRow = OtpChallengesTable

/** When codes were sent to this destination after `since` (newest rate-limit window). */
export async function otpSentSince(db: Db, merchantId: string, destination: string, since: number): Promise<number[]> {
  const rows = await db.selectFrom('otp_challenges').select('created_at').where((eb) => eb.and({ merchant_id: merchantId, destination })).where('created_at', '>', since).execute()
  return rows.map((row) => row.created_at)
}

export async function insertOtpChallenge(db: Db, row: OtpChallengeRow): Promise<void> {
  await db.insertInto('otp_challenges').values(row).execute()
}

/**
 * Counts one try against a challenge that is still open (unconsumed, unexpired, tries left), in one
 * conditional update, so parallel tries cannot exceed the limit; the challenge, or undefined when it
 * is not open.
 */
export async function countOtpAttempt(db: Db, merchantId: string, challengeId: string, now: number, maxAttempts: number): Promise<OtpChallengeRow | undefined> {
  return db
    .updateTable('otp_challenges')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('merchant_id', '=', merchantId)
    .where('id', '=', challengeId)
    .where('consumed_at', 'is', null)
    .where('expires_at', '>', now)
    .where('attempts', '<', maxAttempts)
    .returningAll()
    .executeTakeFirst()
}

/** Marks the challenge used; false when another request used it first. */
export async function consumeOtpChallenge(db: Db, merchantId: string, challengeId: string, now: number): Promise<boolean> {
  const consumed = await db
    .updateTable('otp_challenges')
    .set({ consumed_at: now })
    .where('merchant_id', '=', merchantId)
    .where('id', '=', challengeId)
    .where('consumed_at', 'is', null)
    .executeTakeFirst()
  return Number(consumed.numUpdatedRows) === 1
}

/** The merchant's customer with this phone number or e-mail address. */
export async function findCustomerByContact(db: Db, merchantId: string, channel: 'phone' | 'email', destination: string): Promise<CustomerRow | undefined> {
  return db.selectFrom('customers').selectAll().where('merchant_id', '=', merchantId).where(channel, '=', destination).executeTakeFirst()
}

/** The wallet customer behind a user id, if the user signed in to the wallet (not a user of the merchant's own system). */
export async function findCustomerByUserId(db: Db, merchantId: string, userId: string): Promise<CustomerRow | undefined> {
  return db.selectFrom('customers').selectAll().where('merchant_id', '=', merchantId).where('user_id', '=', userId).executeTakeFirst()
}

/** Inserts a customer; nothing when one with the same key (say, the same contact) exists already. */
export async function insertCustomerUnlessExists(db: Db, row: CustomerRow): Promise<void> {
  await db.insertInto('customers').values(row).onConflict((oc) => oc.doNothing()).execute()
}

/** The merchant's name, zone and sealed wallet secrets. */
export async function findWalletSigningRow(db: Db, merchantId: string) {
  return db
    .selectFrom('merchants')
    .select(['id', 'name', 'timezone', 'wallet_secret_enc', 'wallet_secret_prev_enc', 'wallet_secret_prev_until'])
    .where('id', '=', merchantId)
    .executeTakeFirst()
}

/** Stores the merchant's first wallet secret, unless it has one already (then the stored one stays). */
export async function setFirstWalletSecret(db: Db, merchantId: string, sealedSecret: string, now: number): Promise<void> {
  await db.updateTable('merchants').set({ wallet_secret_enc: sealedSecret, updated_at: now }).where('id', '=', merchantId).where('wallet_secret_enc', 'is', null).execute()
}

/** The wallet secret the Idempotency-Key request `requestRef` set, if it is still the current one. */
export async function findWalletSecretSetBy(db: Db, merchantId: string, requestRef: string) {
  return db
    .selectFrom('merchants')
    .select(['wallet_secret_enc', 'wallet_secret_prev_until'])
    .where('id', '=', merchantId)
    .where('wallet_secret_request_ref', '=', requestRef)
    .executeTakeFirst()
}

/** The merchant's current sealed secret, the request that set it and the merchant's zone. */
export async function findWalletSecretState(db: Db, merchantId: string) {
  return db.selectFrom('merchants').select(['wallet_secret_enc', 'wallet_secret_request_ref', 'timezone']).where('id', '=', merchantId).executeTakeFirst()
}

export interface WalletSecretChange {
  /** The secret replaced, sealed as stored (null when there was none): the change applies only if it is still current. */
  replaced: string | null
  sealedSecret: string
  previousUntil: number | null
  requestRef: string | null
  now: number
}

/**
 * Replaces the current secret, keeping the replaced one as the previous; only if the current one is still
 * `replaced` (nobody rotated in between). False when it was not.
 */
export async function replaceWalletSecret(db: Db, merchantId: string, change: WalletSecretChange): Promise<boolean> {
  let update = db
    .updateTable('merchants')
    .set({
      wallet_secret_enc: change.sealedSecret,
      wallet_secret_prev_enc: change.replaced,
      wallet_secret_prev_until: change.previousUntil,
      wallet_secret_request_ref: change.requestRef,
      updated_at: change.now,
    })
    .where('id', '=', merchantId)
  update = change.replaced === null ? update.where('wallet_secret_enc', 'is', null) : update.where('wallet_secret_enc', '=', change.replaced)
  const result = await update.executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}
