/** Rows of the WeChat facade's tables: timestamps are epoch ms (UTC), flags 0/1, JSON read through fromJson. */
import type { Scope } from '../../principals.ts'

export type WechatAppStatus = 'active' | 'disabled'

/** A WeChat app credential: appid/secret acting as one merchant. */
export interface WechatAppsTable {
  merchant_id: string
  appid: string
  /** SHA-256 of the secret (128 random bits): never stored in clear. */
  secret_hash: string
  original_id: string
  scope: Scope
  /** A till-bound credential consumes at this store. */
  store_id: string | null
  create_as_draft: 0 | 1
  status: WechatAppStatus
  /** Raised by a secret rotation: tokens of an older generation stop working at once. */
  generation: number
  created_at: number
  updated_at: number
  /** Where event pushes go (§4.1), checked by the echo; null = no pushes. Absent on insert (null). */
  push_url?: string | null
  /** The webhook endpoint (kind `wechat`) delivering the pushes; its sealed secret is the push Token. */
  push_endpoint_id?: string | null
  /** Whether card_pass_check is pushed (default on). */
  push_card_pass_check?: 0 | 1
}

export interface WechatTokensTable {
  /** SHA-256 of the token (256 random bits). */
  token_hash: string
  merchant_id: string
  appid: string
  generation: number
  /** Sealed (Secrets.seal) so that stable_token can hand the live token out again. */
  token_sealed: string
  issued_at: number
  expires_at: number
  /** When a newer token was fetched: this one works 300 s more. */
  superseded_at: number | null
}

/** The WeChat definition a card was made or last changed with, for what Kabao keeps without effect. */
export interface WechatCardsTable {
  merchant_id: string
  card_id: string
  definition: unknown
  created_at: number
  updated_at: number
  /** The definition's `need_push_on_view` (1: a wallet detail view pushes `user_view_card`); kept by upsertWechatCard. Absent on insert (0). */
  push_on_view?: 0 | 1
}

export interface WechatQrcodesTable {
  /** SHA-256 of the public ticket. */
  ticket_hash: string
  merchant_id: string
  /** The claim link (of a QR_MULTIPLE_CARD: the first card's; the page names them all). */
  claim_link_id: string
  card_id: string
  openid: string | null
  outer_str: string | null
  expires_at: number | null
  created_at: number
  /** Of a QR_MULTIPLE_CARD: the token of the page offering its cards, sealed (Secrets.seal); null for QR_CARD. */
  page_token_sealed?: string | null
}

export interface WechatLandingPagesTable {
  merchant_id: string
  page_id: number
  token_hash: string
  page_title: string
  banner: string | null
  can_share: 0 | 1
  scene: string | null
  /** [{card_id, thumb_url, claim_link_id}] */
  cards: unknown
  created_at: number
  /** The page of an expiring QR_MULTIPLE_CARD ends with it; null = for good. */
  expires_at?: number | null
}

/** The generation of a merchant's `encrypt_code` key (§2.4), raised by a rotation; no row = 1, never rotated. */
export interface WechatCodeKeysTable {
  merchant_id: string
  generation: number
  rotated_at: number
}

/** The code of a member of a member card (WeChat's `UserCardCode`), with its activation (§2.6). */
export interface WechatMemberCodesTable {
  merchant_id: string
  member_id: string
  member_card_id: string
  user_id: string
  /** Keyed lookup hash of the code (Secrets.codeLookupHash), as coupons keep theirs. */
  code_hash: string
  code_enc: string
  /** When `membercard/activate` (or a claim of an `auto_activate` card) activated the member; null = not yet. */
  activated_at: number | null
  /** `{background_pic_url, custom_field_values: [v1, v2, v3], activate_begin_time, activate_end_time}`, kept for display. */
  fields: unknown
  created_at: number
  updated_at: number
}

export interface WechatPoisTable {
  merchant_id: string
  store_id: string
  poi_id: number
}
