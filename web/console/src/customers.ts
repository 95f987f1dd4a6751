import { maskContact, normalizePhone } from '../../../src/features/customers/contact.ts'

/**
 * What staff read for a member instead of a bare user id (`cus_…`): the name they gave, else their phone
 * masked as the API masks wallet contacts; null when neither is known, and the id is all there is.
 */
export function memberHolder(profile: { name?: string; phone?: string }): string | null {
  if (profile.name?.trim()) return profile.name.trim()
  if (!profile.phone) return null
  const phone = normalizePhone(profile.phone)
  return phone ? maskContact(phone) : `****${profile.phone.replace(/\D/g, '').slice(-4)}`
}
