import type { FieldError } from '../../domain/types.ts'

/** Where a one-time code goes: a phone number in E.164 form (`+8613800138000`) or a lower-case e-mail address. */
export interface Contact {
  channel: 'phone' | 'email'
  destination: string
}

/** The channel of a stored destination: only e-mail addresses contain an @ (some even start with +). */
export function channelOf(destination: string): Contact['channel'] {
  return destination.includes('@') ? 'email' : 'phone'
}

/** A mainland China mobile number without its country code: 11 digits starting 13–19. */
const MAINLAND_MOBILE = /^1[3-9][0-9]{9}$/

/**
 * `+86 138-0013-8000`, `008613800138000` and `13800138000` all become `+8613800138000`. Other numbers
 * must carry their country code (a leading `+` is optional); E.164 allows at most 15 digits.
 */
export function normalizePhone(raw: string): string | null {
  let phone = raw.trim().replace(/[\s().-]/g, '')
  if (phone.startsWith('00')) phone = `+${phone.slice(2)}`
  if (!/^\+?[0-9]+$/.test(phone)) return null
  if (!phone.startsWith('+') && MAINLAND_MOBILE.test(phone)) return `+86${phone}`
  const digits = phone.replace(/^\+/, '')
  if (digits.startsWith('0') || digits.length < 8 || digits.length > 15) return null
  return `+${digits}`
}

export function normalizeEmail(raw: string): string | null {
  const email = raw.trim().toLowerCase()
  if (email.length > 254 || !/^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(email)) return null
  return email
}

/** The contact a customer gave: exactly one of a phone number or an e-mail address. */
export function contactFrom(input: { phone?: string; email?: string }): { ok: true; contact: Contact } | { ok: false; errors: FieldError[] } {
  const { phone, email } = input
  if ((phone === undefined) === (email === undefined)) {
    const message = 'send exactly one of phone or email'
    return { ok: false, errors: [{ field: 'phone', code: 'one_of', message }, { field: 'email', code: 'one_of', message }] }
  }
  if (phone !== undefined) {
    const destination = normalizePhone(phone)
    if (destination === null) return { ok: false, errors: [{ field: 'phone', code: 'invalid', message: 'is not a phone number (digits with an optional leading +)' }] }
    return { ok: true, contact: { channel: 'phone', destination } }
  }
  const destination = normalizeEmail(email as string)
  if (destination === null) return { ok: false, errors: [{ field: 'email', code: 'invalid', message: 'is not an e-mail address' }] }
  return { ok: true, contact: { channel: 'email', destination } }
}

/**
 * A contact as staff may read it: enough to recognise the customer, not to call or write to them.
 * `+8613800138000` → `138****8000`, other numbers keep their country code's first digits, e-mail
 * addresses their first character and domain.
 */
export function maskContact(destination: string): string {
  if (channelOf(destination) === 'email') {
    const at = destination.lastIndexOf('@')
    return `${destination.slice(0, 1)}***${destination.slice(at)}`
  }
  const digits = destination.replace(/^\+/, '')
  if (digits.startsWith('86') && MAINLAND_MOBILE.test(digits.slice(2))) return `${digits.slice(2, 5)}****${digits.slice(-4)}`
  return `+${digits.slice(0, 3)}****${digits.slice(-4)}`
}
