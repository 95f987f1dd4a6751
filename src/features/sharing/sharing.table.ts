/** Rows of the sharing tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

/** One share of a card by a customer (what `shares`, `sharers` and `share_rate` count). */
export interface CardSharesTable {
  merchant_id: string
  id: string
  card_id: string
  user_id: string
  /** The sharer's share link (a claim link with `shared_by`). */
  claim_link_id: string
  shared_at: number
}

/** A friend brought in by a sharer on a card: the key makes each friend count once per sharer and card. */
export interface ShareFriendsTable {
  merchant_id: string
  card_id: string
  sharer_id: string
  friend_id: string
  /** The friend's first coupon of the card, claimed through the share link. */
  coupon_id: string
  claimed_at: number
}

/** A share reward tier granted to a sharer: the key makes each tier's reward issue once. */
export interface ShareRewardGrantsTable {
  merchant_id: string
  card_id: string
  sharer_id: string
  /** The tier, by the friends it is reached at. */
  friends: number
  reward_card_id: string
  coupon_id: string | null
  granted_at: number
}
