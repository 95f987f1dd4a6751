import { query, type Page } from '../../shared/api.ts'

/** What the till needs of the member a clerk names. */
export interface TillMember {
  id: string
  member_number: string
  level: string
}

export interface MemberTransport {
  get<T>(url: string): Promise<T>
}

export type MemberLookup = { ok: true; member: TillMember } | { ok: false; reason: 'not_found' | 'ambiguous' }

/**
 * The member behind a member number (as the wallet's member page shows it): the redemption names a
 * member by id, and the till may list members by number. A number is unique within one member card, so
 * two cards may share one: the clerk is then asked for a number that names one member.
 */
export async function findMemberByNumber(api: MemberTransport, memberNumber: string): Promise<MemberLookup> {
  const page = await api.get<Page<TillMember>>(`/v1/members${query({ member_number: normalizeMemberNumber(memberNumber), limit: 2 })}`)
  if (page.data.length === 0) return { ok: false, reason: 'not_found' }
  if (page.data.length > 1) return { ok: false, reason: 'ambiguous' }
  return { ok: true, member: page.data[0] }
}

/** Member numbers are printed in capitals and may be read out with spaces. */
export function normalizeMemberNumber(text: string): string {
  return text.replace(/\s+/g, '').toUpperCase()
}
