import type { ResponseOf } from '../../shared/api-schema.ts'
/** A membership as the wallet API shows it to its member (GET /v1/wallet/members). */
export type WalletMember = ResponseOf<'/v1/wallet/members/{member_id}', 'get'>

export type ProfileField = 'name' | 'phone' | 'birthday'

/** What a customer sees of a member card before joining. */
export type MemberCardView = WalletMember['card']
