import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { findMemberByNumber, normalizeMemberNumber, type MemberTransport } from '../../web/pos/src/member-lookup.ts'

/** The members list as the till sees it, recording what was asked. */
function members(data: { id: string; member_number: string; level: string }[]) {
  const asked: string[] = []
  const api: MemberTransport = {
    async get<T>(url: string): Promise<T> {
      asked.push(url)
      const number = new URL(url, 'http://till').searchParams.get('member_number')
      return { data: data.filter((m) => m.member_number === number), next_cursor: null } as T
    },
  }
  return { api, asked }
}

describe('naming a member at the till', () => {
  it('finds the member by the number the clerk reads out, in capitals and without spaces', async () => {
    const { api, asked } = members([{ id: 'mem_1', member_number: 'BK00000007', level: 'Silver' }])
    assert.deepEqual(await findMemberByNumber(api, ' bk0000 0007 '), { ok: true, member: { id: 'mem_1', member_number: 'BK00000007', level: 'Silver' } })
    assert.deepEqual(asked, ['/v1/members?member_number=BK00000007&limit=2'])
    assert.equal(normalizeMemberNumber('bk 0001'), 'BK0001')
  })

  it('says so when nobody, or more than one member, has the number', async () => {
    const { api } = members([
      { id: 'mem_1', member_number: '00000001', level: 'Member' },
      { id: 'mem_2', member_number: '00000001', level: 'Gold' },
    ])
    assert.deepEqual(await findMemberByNumber(api, '00000009'), { ok: false, reason: 'not_found' })
    assert.deepEqual(await findMemberByNumber(api, '00000001'), { ok: false, reason: 'ambiguous' })
  })
})
