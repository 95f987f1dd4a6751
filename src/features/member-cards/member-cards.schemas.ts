import { Type } from 'typebox'
import { Nullable, Timestamp } from '../../http/schemas.ts'
import { MAX_LEVELS, type ReviewPeriod } from '../../domain/member-levels.ts'

const reviewPeriods = () => [Type.Literal('none'), Type.Literal('monthly'), Type.Literal('quarterly'), Type.Literal('half_yearly'), Type.Literal('yearly')] as const
const Text = (max: number) => Type.String({ maxLength: max })
const Count = (description: string) => Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description }))
const ProfileSetting = Type.Optional(Type.Union([Type.Literal('off'), Type.Literal('optional'), Type.Literal('required')]))

const EarningRules = (what: string, perYuanDefault: number) =>
  Type.Object(
    {
      per_yuan: Count(`${what} per ¥1 spent (${perYuanDefault} when absent); levels multiply points, not growth`),
      sign_in: Count(`${what} for the daily sign-in (0 when absent)`),
      profile_completed: Count(`${what} once, when the member has filled every profile field the card asks for`),
      referral: Count(`${what} for the referrer when a member they referred joins`),
    },
    { additionalProperties: false },
  )

const Level = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 20 }),
    min_growth: Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: 'Growth value that reaches this level; the first level has 0' }),
    percent_off: Type.Optional(Type.Integer({ minimum: 0, maximum: 99, description: 'Percent off at the till for this level (shown in the redemption check)' })),
    points_multiplier: Type.Optional(Type.Number({ minimum: 0, maximum: 10, description: 'Points for spending are multiplied by this, e.g. 1.5 (two decimals at most)' })),
    birthday_card_id: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 100, description: 'A card whose coupon members of this level get on their birthday' }))),
    perks: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 20, description: 'Other benefits, in words' })),
  },
  { additionalProperties: false },
)

export const CreateMemberCardBody = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 27 }),
    subtitle: Type.Optional(Nullable(Text(54))),
    color: Type.Optional(Nullable(Type.String({ pattern: '^#[0-9a-fA-F]{6}$' }))),
    logo_url: Type.Optional(Nullable(Text(2048))),
    notice: Type.Optional(Nullable(Text(300))),
    description: Type.Optional(Nullable(Text(4000))),
    privacy_notice: Type.Optional(Nullable(Text(4000))),
    member_number_prefix: Type.Optional(Type.String({ pattern: '^[A-Z0-9]{0,8}$', description: 'Put before the 8-digit member number' })),
    levels: Type.Array(Level, { minItems: 1, maxItems: MAX_LEVELS }),
    profile_fields: Type.Optional(
      Type.Object({ name: ProfileSetting, phone: ProfileSetting, birthday: ProfileSetting, gender: ProfileSetting }, { additionalProperties: false, description: 'What the card asks members for: off, optional (when absent; gender: off when absent) or required' }),
    ),
    points_rules: Type.Optional(EarningRules('Points', 1)),
    growth_rules: Type.Optional(EarningRules('Growth', 1)),
    points_expiry: Type.Optional(
      Type.Object(
        {
          type: Type.Union([Type.Literal('never'), Type.Literal('end_of_year'), Type.Literal('days')]),
          years_after: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, description: 'end_of_year: 0 = the end of the year earned, 1 = the end of the next year (1 when absent)' })),
          days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'days: expire at the end of day N, the day earned being day 1' })),
          notice_days: Type.Optional(Type.Integer({ minimum: 0, maximum: 365, description: 'Announce expiring points (points.expiring) this many days ahead (30 when absent, 0 = never)' })),
        },
        { additionalProperties: false },
      ),
    ),
    level_review: Type.Optional(
      Type.Union([...reviewPeriods()], {
        description: 'When levels are set afresh from the growth of the period just ended (downgrades included); none when absent',
      }),
    ),
    referral: Type.Optional(
      Nullable(
        Type.Object(
          {
            referrer_points: Count('Points for the member whose invite code a new member joins with (0 when absent)'),
            invitee_points: Count('Points for the new member who joins with an invite code (0 when absent)'),
            referrer_card_id: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 100, description: 'A card whose coupon the inviting member gets' }))),
            invitee_card_id: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 100, description: 'A card whose coupon the invited member gets' }))),
          },
          { additionalProperties: false, description: '邀请有礼: both sides rewarded once when a friend joins with a member’s invite code (GET /v1/wallet/members/{id}/invite); null = no invitation rewards' },
        ),
      ),
    ),
    stored_value: Type.Optional(
      Type.Object(
        {
          enabled: Type.Boolean({ description: 'Whether the card takes stored value (true when absent)' }),
          refund_rule: Type.Optional(
            Type.Object(
              {
                description: Type.String({ minLength: 1, maxLength: 2000, description: 'The published rule, shown to members with their balance' }),
                refundable: Type.Boolean(),
                fee_percent: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, description: 'Kept on a refund, rounded down to the fen (0 when absent)' })),
              },
              { additionalProperties: false, description: 'Published to members with their balance; unspent value refunded in full on request when absent' },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
)

type Setting = 'off' | 'optional' | 'required'
type Rules = Partial<Record<'per_yuan' | 'sign_in' | 'profile_completed' | 'referral', number>>

export interface MemberCardInput {
  title: string
  subtitle?: string | null
  color?: string | null
  logo_url?: string | null
  notice?: string | null
  description?: string | null
  privacy_notice?: string | null
  member_number_prefix?: string
  levels: { name: string; min_growth: number; percent_off?: number; points_multiplier?: number; birthday_card_id?: string | null; perks?: string[] }[]
  profile_fields?: Partial<Record<'name' | 'phone' | 'birthday' | 'gender', Setting>>
  points_rules?: Rules
  growth_rules?: Rules
  points_expiry?: { type: 'never' | 'end_of_year' | 'days'; years_after?: number; days?: number; notice_days?: number }
  level_review?: ReviewPeriod
  stored_value?: { enabled: boolean; refund_rule?: { description: string; refundable: boolean; fee_percent?: number } }
  referral?: { referrer_points?: number; invitee_points?: number; referrer_card_id?: string | null; invitee_card_id?: string | null } | null
}

/* What the API answers. */

const ProfileSettingValue = Type.Union([Type.Literal('off'), Type.Literal('optional'), Type.Literal('required')])
const ProfileFieldsSchema = Type.Object({ name: ProfileSettingValue, phone: ProfileSettingValue, birthday: ProfileSettingValue, gender: Type.Optional(ProfileSettingValue) })
const EarningRulesSchema = Type.Object({ per_yuan: Type.Integer(), sign_in: Type.Integer(), profile_completed: Type.Integer(), referral: Type.Integer() })
const PointsExpirySchema = Type.Union([
  Type.Object({ type: Type.Literal('never') }),
  Type.Object({ type: Type.Literal('end_of_year'), years_after: Type.Integer() }),
  Type.Object({ type: Type.Literal('days'), days: Type.Integer() }),
])
export const RefundRuleSchema = Type.Object({ description: Type.String(), refundable: Type.Boolean(), fee_percent: Type.Integer() }, { description: 'The published refund rule of stored value' })
export const ReferralTermsSchema = Nullable(
  Type.Object({ referrer_points: Type.Integer(), invitee_points: Type.Integer(), referrer_card_id: Nullable(Type.String()), invitee_card_id: Nullable(Type.String()) }, { description: 'Invitation rewards (邀请有礼); null = none' }),
)
const StoredValueTermsSchema = Type.Object({ enabled: Type.Boolean(), refund_rule: Nullable(RefundRuleSchema) })
const LevelFields = { name: Type.String(), min_growth: Type.Integer(), percent_off: Type.Integer(), points_multiplier: Type.Number(), perks: Type.Array(Type.String()) }

export const MemberCardStatusSchema = Type.Union([Type.Literal('active'), Type.Literal('paused')])

/** What a member card shows of itself, to staff and to customers alike. */
const FaceFields = {
  title: Type.String(),
  subtitle: Nullable(Type.String()),
  color: Nullable(Type.String()),
  logo_url: Nullable(Type.String()),
  notice: Nullable(Type.String()),
  description: Nullable(Type.String()),
  privacy_notice: Nullable(Type.String()),
}

export const MemberCardSchema = Type.Object({
  id: Type.String(),
  status: MemberCardStatusSchema,
  ...FaceFields,
  member_number_prefix: Type.String(),
  levels: Type.Array(Type.Object({ ...LevelFields, birthday_card_id: Nullable(Type.String()) })),
  profile_fields: ProfileFieldsSchema,
  points_rules: EarningRulesSchema,
  growth_rules: EarningRulesSchema,
  points_expiry: PointsExpirySchema,
  points_expiry_notice_days: Type.Integer(),
  level_review: Type.Union([...reviewPeriods()]),
  stored_value: StoredValueTermsSchema,
  referral: ReferralTermsSchema,
  join_url: Type.String({ description: 'The wallet page where customers join, to share as a link or a QR code' }),
  member_count: Type.Integer(),
  created_at: Timestamp,
  updated_at: Timestamp,
})

/** A member card as customers see it, before and after joining: its face, levels and published rules. */
export const CustomerMemberCardSchema = Type.Object({
  id: Type.String(),
  ...FaceFields,
  levels: Type.Array(Type.Object({ ...LevelFields, birthday_gift: Type.Boolean() })),
  profile_fields: ProfileFieldsSchema,
  points_rules: EarningRulesSchema,
  points_expiry: PointsExpirySchema,
  stored_value: StoredValueTermsSchema,
  referral: ReferralTermsSchema,
})
