import { Type } from 'typebox'
import { Nullable, Timestamp } from '../../http/schemas.ts'
import { CardFaceSchema } from '../wallet/wallet.schemas.ts'

export const GroupStateSchema = Type.Union([Type.Literal('open'), Type.Literal('completed'), Type.Literal('failed')], {
  description: 'open until it fills (completed) or its time is up (failed: it reads as failed from expires_at on)',
})

const GroupFields = {
  id: Type.String(),
  card_id: Type.String(),
  size: Type.Integer({ description: 'Members the group needs, its opener included' }),
  members: Type.Integer({ description: 'Members so far (never more than size)' }),
  members_needed: Type.Integer({ description: 'Members still missing' }),
  state: GroupStateSchema,
  expires_at: Timestamp,
  created_at: Timestamp,
  closed_at: Nullable(Timestamp),
  url: Type.String({ description: 'The wallet’s group page, to send to friends' }),
}

/** A group as a customer sees it: the other members masked, theirs and their coupon when they are in it. */
export const WalletGroupSchema = Type.Object({
  ...GroupFields,
  joined: Type.Boolean({ description: 'The signed-in customer is a member' }),
  my_coupon_id: Nullable(Type.String({ description: 'The coupon the customer got when the group completed' })),
  member_list: Type.Array(Type.Object({ user: Type.String({ description: 'The member’s id, masked' }), joined_at: Timestamp, opener: Type.Boolean(), me: Type.Boolean() })),
  card: CardFaceSchema,
})

/** A group as the merchant sees it: with its members' user ids and coupons. */
export const GroupSchema = Type.Object({
  ...GroupFields,
  opened_by: Type.String(),
  member_list: Type.Array(Type.Object({ user_id: Type.String(), joined_at: Timestamp, coupon_id: Nullable(Type.String()) })),
})
