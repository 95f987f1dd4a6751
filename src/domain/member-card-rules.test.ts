import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isProfileComplete, validateMemberCardTerms, validateProfile, type MemberCardTerms, type ProfileSettings } from './member-card-rules.ts'

function terms(overrides: Partial<MemberCardTerms> = {}): MemberCardTerms {
  const rules = { per_yuan: 1, sign_in: 0, profile_completed: 0, referral: 0 }
  return {
    title: 'Bakery club', subtitle: null, color: null, logo_url: null, notice: null, description: null, privacy_notice: null, member_number_prefix: '',
    levels: [{ name: 'Member', min_growth: 0, percent_off: 0, points_multiplier: 1, birthday_card_id: null, perks: [] }],
    profile_fields: { name: 'off', phone: 'off', birthday: 'off' },
    points_rules: rules, growth_rules: rules, points_expiry: { type: 'never' }, points_expiry_notice_days: 30, level_review: 'none',
    stored_value: { enabled: false, refund_rule: null },
    ...overrides,
  }
}
const codes = (errors: { field: string; code: string }[]) => errors.map((e) => `${e.code}@${e.field}`).sort()

test('validateMemberCardTerms: levels, multiplier precision, a refund rule for stored value', () => {
  assert.deepEqual(codes(validateMemberCardTerms(terms())), [])
  const level = { name: 'Gold', min_growth: 0, percent_off: 5, points_multiplier: 1.255, birthday_card_id: null, perks: [] }
  assert.deepEqual(codes(validateMemberCardTerms(terms({ levels: [level] }))), ['precision@levels[0].points_multiplier'])
  assert.deepEqual(codes(validateMemberCardTerms(terms({ stored_value: { enabled: true, refund_rule: null } }))), ['required@stored_value.refund_rule'])
  const rule = { description: 'Refunded on request', refundable: true, fee_percent: 0 }
  assert.deepEqual(codes(validateMemberCardTerms(terms({ stored_value: { enabled: true, refund_rule: rule } }))), [])
})

const ASKS: ProfileSettings = { name: 'required', phone: 'optional', birthday: 'off' }

test('validateProfile: asked fields only, required ones when joining, consent whenever a field is given', () => {
  const cases: [string, Record<string, string>, boolean, boolean, string[]][] = [
    ['complete with consent', { name: 'Li', phone: '13800138000' }, true, true, []],
    ['required only', { name: 'Li' }, true, true, []],
    ['missing the required name', { phone: '13800138000' }, true, true, ['required@profile.name']],
    ['nothing at all when joining', {}, false, true, ['required@profile.name']],
    ['nothing at all when updating', {}, false, false, []],
    ['a field the card does not ask for', { name: 'Li', birthday: '1990-01-01' }, true, true, ['not_asked@profile.birthday']],
    ['no consent', { name: 'Li' }, false, true, ['required@consent']],
    ['updating without the required field', { phone: '13800138000' }, true, false, []],
  ]
  for (const [name, profile, consent, joining, expected] of cases) assert.deepEqual(codes(validateProfile(ASKS, profile, consent, joining)), expected, name)
  const birthday = { name: 'off', phone: 'off', birthday: 'optional' } as const
  assert.deepEqual(codes(validateProfile(birthday, { birthday: '1990-02-30' }, true, true)), ['invalid@profile.birthday'])
  assert.deepEqual(codes(validateProfile(birthday, { birthday: '1992-02-29' }, true, true)), [])
})

test('isProfileComplete: every asked field filled; nothing asked is never complete', () => {
  assert.equal(isProfileComplete(ASKS, { name: 'Li', phone: '1' }), true)
  assert.equal(isProfileComplete(ASKS, { name: 'Li' }), false, 'optional fields count too')
  assert.equal(isProfileComplete(ASKS, { name: '', phone: '1' }), false)
  assert.equal(isProfileComplete({ name: 'off', phone: 'off', birthday: 'off' }, {}), false)
})
