import { Type } from 'typebox'
import { Money, Nullable, Timestamp } from '../../http/schemas.ts'
import { CustomerMemberCardSchema, RefundRuleSchema } from '../member-cards/member-cards.schemas.ts'

export const ProfileBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    phone: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    birthday: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' })),
    gender: Type.Optional(Type.String({ maxLength: 10, description: 'female, male or other; only when the card asks for it' })),
  },
  { additionalProperties: false, description: 'Only the fields the member card asks for' },
)

export const Consent = Type.Boolean({ description: 'The member agrees to the card keeping their profile. Through the API you confirm you collected it (true when absent); in the wallet the customer must send true with any profile field' })

export const JoinFields = {
  profile: Type.Optional(ProfileBody),
  consent: Type.Optional(Consent),
  referrer_member_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'The member who referred this one; they earn the referral points' })),
  invite_code: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: 'A member’s invite code (邀请有礼): both sides get the card’s referral rewards, once. Not one’s own, and a user is invited once (409 invite_not_allowed)' })),
}

export const UpdateProfileBody = Type.Object({ profile: ProfileBody, consent: Type.Optional(Consent) }, { additionalProperties: false })

/* What the API answers. */

const MemberFields = {
  id: Type.String(),
  member_card_id: Type.String(),
  user_id: Type.String(),
  member_number: Type.String(),
  level: Type.String({ description: 'The level’s name' }),
  level_index: Type.Integer({ minimum: 0 }),
  level_benefits: Type.Object({ percent_off: Type.Integer(), points_multiplier: Type.Number(), birthday_gift: Type.Boolean(), perks: Type.Array(Type.String()) }),
  next_level: Nullable(Type.Object({ name: Type.String(), min_growth: Type.Integer(), growth_needed: Type.Integer() })),
  growth: Type.Integer(),
  points_balance: Type.Integer(),
  stored_value_balance: Money,
  profile: Type.Object({ name: Type.Optional(Type.String()), phone: Type.Optional(Type.String()), birthday: Type.Optional(Type.String()), gender: Type.Optional(Type.String()) }),
  consented_at: Nullable(Timestamp),
  referrer_member_id: Nullable(Type.String()),
  next_review_at: Nullable(Timestamp),
  joined_at: Timestamp,
  level_changed_at: Timestamp,
  updated_at: Timestamp,
}

/** A member as presentMember shows it. */
export const MemberSchema = Type.Object(MemberFields)

export const SignInSchema = Type.Object({ entry_id: Type.String(), delta: Type.Integer(), points_balance: Type.Integer(), growth: Type.Integer() })

/** A points entry as the member's ledger lists it. */
export const PointsEntrySchema = Type.Object({
  id: Type.String(),
  type: Type.String(),
  delta: Type.Integer(),
  reason: Type.String(),
  balance_after: Type.Integer(),
  source_ref: Nullable(Type.String()),
  expires_at: Nullable(Timestamp),
  remaining: Nullable(Type.Integer()),
  created_at: Timestamp,
})

/** A stored-value movement as the member's ledger lists it. */
export const StoredValueEntrySchema = Type.Object({
  id: Type.String(),
  type: Type.String(),
  delta: Type.Integer({ description: 'Integer fen (分), + in, − out' }),
  reason: Type.String(),
  payment_ref: Nullable(Type.String()),
  balance_after: Money,
  created_at: Timestamp,
})

/** A membership as its member sees it in the wallet. */
export const WalletMemberSchema = Type.Object({
  ...MemberFields,
  card: CustomerMemberCardSchema,
  points_expiring: Nullable(Type.Object({ points: Type.Integer(), expires_at: Timestamp }, { description: 'The next points to expire' })),
  stored_value: Type.Object({
    enabled: Type.Boolean(),
    balance: Money,
    refund_rule: Nullable(RefundRuleSchema),
    entries: Type.Array(StoredValueEntrySchema, { description: 'The latest movements' }),
  }),
})
