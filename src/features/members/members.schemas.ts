import { Type } from 'typebox'

export const ProfileBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    phone: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    birthday: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' })),
  },
  { additionalProperties: false, description: 'Only the fields the member card asks for' },
)

export const Consent = Type.Boolean({ description: 'The member agrees to the card keeping their profile. Through the API you confirm you collected it (true when absent); in the wallet the customer must send true with any profile field' })

export const JoinFields = {
  profile: Type.Optional(ProfileBody),
  consent: Type.Optional(Consent),
  referrer_member_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'The member who referred this one; they earn the referral points' })),
}

export interface JoinBody {
  profile?: Record<string, string>
  consent?: boolean
  referrer_member_id?: string
}

export const UpdateProfileBody = Type.Object({ profile: ProfileBody, consent: Type.Optional(Consent) }, { additionalProperties: false })
