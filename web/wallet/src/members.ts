/** A membership as the wallet API shows it to its member (GET /v1/wallet/members). */
// until the route declares its response
export interface WalletMember {
  id: string
  member_card_id: string
  member_number: string
  level: string
  level_benefits: { percent_off: number; points_multiplier: number; birthday_gift: boolean; perks: string[] }
  next_level: { name: string; min_growth: number; growth_needed: number } | null
  growth: number
  points_balance: number
  card: MemberCardView
  points_expiring: { points: number; expires_at: string } | null
  stored_value: {
    enabled: boolean
    balance: number
    refund_rule: { description: string; refundable: boolean; fee_percent?: number } | null
    entries: { id: string; type: string; delta: number; reason: string | null; created_at: string }[]
  }
}

export type ProfileField = 'name' | 'phone' | 'birthday'

/** What a customer sees of a member card before joining. */
// until the route declares its response
export interface MemberCardView {
  id: string
  title: string
  subtitle: string | null
  color: string | null
  notice: string | null
  description: string | null
  privacy_notice: string | null
  levels: { name: string; min_growth: number; percent_off: number; points_multiplier: number; birthday_gift: boolean; perks: string[] }[]
  profile_fields: Record<ProfileField, 'off' | 'optional' | 'required'>
}
