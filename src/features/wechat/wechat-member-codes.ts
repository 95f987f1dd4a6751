// The code identifying a member of a member card at tills (WeChat's `UserCardCode`, WECHAT-API.md §2.6),
// kept in wechat_member_codes. Drawn in the transaction that makes the member when it joins through a
// claim link (a QR code or landing page of the WeChat-compatible API), else on its first use there.
import type { AppContext } from '../../app-context.ts'
import type { Db, Tx } from '../../db/database.ts'
import { drawCode } from '../coupons/coupons.service.ts'
import type { MemberRow } from '../members/members.repository.ts'
import { findMemberCodeOfMember, findWechatCard, insertMemberCode, type WechatMemberCodeRow } from './wechat.repository.ts'

/** Whether the WeChat definition of a member card says `auto_activate`: its members are active on claim. */
export const autoActivates = (definition: Record<string, unknown> | null): boolean => {
  const member = definition?.[Object.keys(definition).find((k) => k.toLowerCase() === 'member_card') ?? 'member_card'] as Record<string, unknown> | undefined
  return member?.auto_activate === true || member?.auto_activate === 'true' || member?.auto_activate === 1
}

/**
 * The member's code, drawn unless it has one: numeric, as WeChat's, with a check digit. A member of an
 * `auto_activate` card is active at once. Within `db` (a transaction, or the database itself).
 */
export async function memberCodeIn(ctx: AppContext, db: Db | Tx, member: MemberRow): Promise<{ row: WechatMemberCodeRow; code: string }> {
  const existing = await findMemberCodeOfMember(db, member.merchant_id, member.id)
  if (existing) return { row: existing, code: ctx.secrets.decryptCode(existing.code_enc) }
  const now = ctx.clock.now()
  const activated = autoActivates(await findWechatCard(db, member.merchant_id, member.member_card_id)) ? now : null
  for (let attempt = 0; attempt < 3; attempt++) {
    const code = drawCode('numeric')
    const row: WechatMemberCodeRow = {
      merchant_id: member.merchant_id, member_id: member.id, member_card_id: member.member_card_id, user_id: member.user_id,
      code_hash: ctx.secrets.codeLookupHash(code), code_enc: ctx.secrets.encryptCode(code), activated_at: activated, fields: {}, created_at: now, updated_at: now,
    }
    if (await insertMemberCode(db, row)) return { row, code }
    // Another request drew the member's code at the same moment: that one is the member's.
    const raced = await findMemberCodeOfMember(db, member.merchant_id, member.id)
    if (raced) return { row: raced, code: ctx.secrets.decryptCode(raced.code_enc) }
  }
  throw new Error('could not draw a unique member code')
}
