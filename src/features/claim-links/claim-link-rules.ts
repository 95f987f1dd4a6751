import type { ClaimLinkSetting, ClaimLinksTable } from './claim-links.table.ts'

/**
 * What a claim link reads as: `active` while it hands out coupons; `disabled` by the merchant; `expired`
 * from its `expires_at` on; `exhausted` once `max_claims` coupons were claimed through it.
 */
export type ClaimLinkStatus = 'active' | 'disabled' | 'expired' | 'exhausted'

export interface ClaimLinkState {
  status: ClaimLinkSetting
  claimed_count: number
  max_claims: number | null
  expires_at: number | null
}

export function claimLinkStatus(link: ClaimLinkState, now: number): ClaimLinkStatus {
  if (link.status === 'disabled') return 'disabled'
  if (link.expires_at !== null && link.expires_at <= now) return 'expired'
  if (link.max_claims !== null && link.claimed_count >= link.max_claims) return 'exhausted'
  return 'active'
}

/** Why a link no longer hands out coupons, in words for the `claim_link_inactive` answer. */
export function inactiveReason(status: Exclude<ClaimLinkStatus, 'active'>): string {
  switch (status) {
    case 'disabled':
      return 'The merchant has switched this link off.'
    case 'expired':
      return 'This link has expired.'
    case 'exhausted':
      return 'Every coupon of this link has been claimed.'
  }
}

/** A new link's row, a merchant's or a customer's share link alike: active, nothing claimed, and no limit, tag or sharer unless given. */
export function newClaimLinkRow(
  row: Pick<ClaimLinksTable, 'id' | 'merchant_id' | 'card_id' | 'token_hash' | 'token_sealed' | 'created_at'> & Partial<ClaimLinksTable>,
): ClaimLinksTable {
  return {
    legacy_token: null,
    status: 'active',
    claimed_count: 0,
    max_claims: null,
    expires_at: null,
    request_ref: null,
    channel_tag: null,
    campaign: null,
    shared_by: null,
    friend_count: 0,
    ...row,
  }
}
