/** Rows of the tracking tables: timestamps are epoch ms (UTC), JSON read through fromJson. */

import type { Json } from '../../db/json.ts'

/** Views of a card are `view`; the rest are events a merchant sends through POST /v1/track. */
export interface TrackedEventsTable {
  id: string
  merchant_id: string
  event: string
  card_id: string | null
  user_id: string | null
  /** The `Kabao-Device` header when nobody was signed in. */
  device: string | null
  props: Json | null
  occurred_at: number
}

/** Views per card and local day (merchant zone), counted as they happen. */
export interface CardViewDaysTable {
  merchant_id: string
  card_id: string
  day: string
  views: number
  /** Distinct viewers that day: one per row of card_day_viewers. */
  viewers: number
}

/** Who viewed a card on a local day, once: `u:<user id>` or `d:<device>`. */
export interface CardDayViewersTable {
  merchant_id: string
  card_id: string
  day: string
  viewer: string
}
