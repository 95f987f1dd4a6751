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
