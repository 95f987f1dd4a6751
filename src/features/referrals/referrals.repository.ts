import type { Db } from '../../db/database.ts'
import type { MemberInvitesTable, ReferralsTable } from './referrals.table.ts'

export type MemberInviteRow = MemberInvitesTable
export type ReferralRow = ReferralsTable

export async function findInviteOfMember(db: Db, merchantId: string, memberId: string): Promise<MemberInviteRow | undefined> {
  return db.selectFrom('member_invites').selectAll().where('merchant_id', '=', merchantId).where('member_id', '=', memberId).executeTakeFirst()
}

export async function findInviteByCodeHash(db: Db, merchantId: string, codeHash: string): Promise<MemberInviteRow | undefined> {
  return db.selectFrom('member_invites').selectAll().where('merchant_id', '=', merchantId).where('code_hash', '=', codeHash).executeTakeFirst()
}

/** Stores a member's invite code unless they have one already (a parallel request made it); true when stored. */
export async function insertInviteOnce(db: Db, row: MemberInviteRow): Promise<boolean> {
  const result = await db.insertInto('member_invites').values(row).onConflict((oc) => oc.columns(['merchant_id', 'member_id']).doNothing()).executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1
}

export async function referralOfInvitee(db: Db, merchantId: string, memberCardId: string, userId: string): Promise<ReferralRow | undefined> {
  return db.selectFrom('referrals').selectAll().where((eb) => eb.and({ merchant_id: merchantId, member_card_id: memberCardId, invitee_user_id: userId })).executeTakeFirst()
}

/** Records a referral once per invited user and member card; false, with nothing written, when they were invited already. */
export async function insertReferralOnce(tx: Db, row: ReferralRow): Promise<boolean> {
  const result = await tx
    .insertInto('referrals')
    .values(row)
    .onConflict((oc) => oc.columns(['merchant_id', 'member_card_id', 'invitee_user_id']).doNothing())
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1
}

export async function setReferralRewards(tx: Db, merchantId: string, referralId: string, rewards: string): Promise<void> {
  await tx.updateTable('referrals').set({ rewards }).where('merchant_id', '=', merchantId).where('id', '=', referralId).execute()
}

export async function listReferralsBy(db: Db, merchantId: string, referrerMemberId: string): Promise<ReferralRow[]> {
  return db.selectFrom('referrals').selectAll().where('merchant_id', '=', merchantId).where('referrer_member_id', '=', referrerMemberId).orderBy('id').execute()
}
