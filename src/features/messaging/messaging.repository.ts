import type { Db } from '../../db/database.ts'
import type { MessageChannel, MessageChannelsTable, SentMessagesTable } from './messaging.table.ts'

export async function findMessageChannel(db: Db, merchantId: string, channel: MessageChannel): Promise<MessageChannelsTable | undefined> {
  return db.selectFrom('message_channels').selectAll().where('merchant_id', '=', merchantId).where('channel', '=', channel).executeTakeFirst()
}

export async function listMessageChannels(db: Db, merchantId: string): Promise<MessageChannelsTable[]> {
  return db.selectFrom('message_channels').selectAll().where('merchant_id', '=', merchantId).orderBy('channel').execute()
}

/** Creates or replaces the merchant's settings for the channel. */
export async function saveMessageChannel(db: Db, row: MessageChannelsTable): Promise<void> {
  await db
    .insertInto('message_channels')
    .values(row)
    .onConflict((oc) => oc.columns(['merchant_id', 'channel']).doUpdateSet({ settings_sealed: row.settings_sealed, updated_at: row.updated_at }))
    .execute()
}

/** Whether there was a channel to delete. */
export async function deleteMessageChannel(db: Db, merchantId: string, channel: MessageChannel): Promise<boolean> {
  const result = await db.deleteFrom('message_channels').where('merchant_id', '=', merchantId).where('channel', '=', channel).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

export async function insertSentMessage(db: Db, row: SentMessagesTable): Promise<void> {
  await db.insertInto('sent_messages').values(row).execute()
}

/** A page of the merchant's sent messages, newest first, before the cursor's id. */
export async function listSentMessages(db: Db, merchantId: string, before: string | null, limit: number): Promise<SentMessagesTable[]> {
  let q = db.selectFrom('sent_messages').selectAll().where('merchant_id', '=', merchantId)
  if (before) q = q.where('id', '<', before)
  return q.orderBy('id', 'desc').limit(limit).execute()
}

/** Forgets at most `batch` messages older than `cutoff`, oldest first (they may hold sign-in codes); returns how many. */
export async function purgeSentMessages(db: Db, cutoff: number, batch = 1000): Promise<number> {
  const oldest = db.selectFrom('sent_messages').select('id').where('created_at', '<', cutoff).orderBy('created_at').limit(batch)
  const result = await db.deleteFrom('sent_messages').where('id', 'in', oldest).executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** How the merchant reaches this customer (their sign-in contact), with the merchant's name and language; undefined for a user with no customer record. */
export async function findCustomerContact(db: Db, merchantId: string, userId: string) {
  return db
    .selectFrom('customers')
    .innerJoin('merchants', 'merchants.id', 'customers.merchant_id')
    .select(['customers.phone', 'customers.email', 'merchants.name as merchant_name', 'merchants.language'])
    .where('customers.merchant_id', '=', merchantId)
    .where('customers.user_id', '=', userId)
    .executeTakeFirst()
}

/** Pending messages due by `now`, the longest waiting first (a partial index holds only pending ones). */
export async function listDueMessages(db: Db, now: number, limit: number): Promise<Pick<SentMessagesTable, 'merchant_id' | 'id'>[]> {
  return db.selectFrom('sent_messages').select(['merchant_id', 'id']).where('status', '=', 'pending').where('next_attempt_at', '<=', now).orderBy('next_attempt_at').limit(limit).execute()
}

/**
 * Takes a due message for one try: counts the try and holds the message until `leaseUntil`, so no other
 * process tries it meanwhile and a process that dies mid-try leaves it due again. Undefined when it is no
 * longer due (someone else took it).
 */
export async function claimDueMessage(db: Db, merchantId: string, id: string, now: number, leaseUntil: number): Promise<SentMessagesTable | undefined> {
  return db
    .updateTable('sent_messages')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), next_attempt_at: leaseUntil }))
    .where((eb) => eb.and({ merchant_id: merchantId, id, status: 'pending' }))
    .where('next_attempt_at', '<=', now)
    .returningAll()
    .executeTakeFirst()
}

/**
 * What the try numbered `attempts` came to: settled (`next_attempt_at` null) or pending again until
 * `next_attempt_at`. A try whose lease ran out and was taken over records nothing.
 */
export async function recordMessageTry(db: Db, tried: Pick<SentMessagesTable, 'merchant_id' | 'id' | 'attempts'>, outcome: Pick<SentMessagesTable, 'status' | 'error' | 'next_attempt_at'>): Promise<void> {
  await db.updateTable('sent_messages').set(outcome).where('merchant_id', '=', tried.merchant_id).where('id', '=', tried.id).where('attempts', '=', tried.attempts).execute()
}
