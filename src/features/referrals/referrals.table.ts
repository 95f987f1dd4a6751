/** Rows of the referral tables (邀请有礼): timestamps are epoch ms (UTC). */
import type { Json } from '../../db/json.ts'

/** A member's invite code: looked up by its hash, sealed so the wallet can show it again. */
export interface MemberInvitesTable {
  merchant_id: string
  member_id: string
  member_card_id: string
  code_hash: string
  code_sealed: string
  created_at: number
}

/** One invited user joining one member card: unique per invitee and card, so its rewards are given once. */
export interface ReferralsTable {
  id: string
  merchant_id: string
  member_card_id: string
  referrer_member_id: string
  invitee_member_id: string
  invitee_user_id: string
  /** What each side got: `{referrer: {points, coupon_id}, invitee: {…}, failures: […]}`. */
  rewards: Json
  created_at: number
}
