/**
 * The group coupon (拼团) page of the wallet in a real browser against a real `kabao serve` (SQLite): a
 * friend opens the link to a group someone opened, sees its progress and countdown on a phone-sized page,
 * joins it, and the group completes with their coupon. Screenshots in test-artifacts/e2e/.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { screenshot } from './support/browser.ts'
import { browserSuite, PHONE, setUpMerchant } from './support/suite.ts'

describe('the group page in a browser', () => {
  let call: (url: string, body: unknown, token?: string) => Promise<any>
  const suite = browserSuite({
    name: 'groups',
    setUp: async () => {
      const staff = await setUpMerchant(suite.server.base, '拼团小馆', { login: 'owner@groups.example', password: 'owner-password-1' })
      call = async (url, body, token) => {
        if (!token) return staff.call('POST', url, body)
        const res = await fetch(`${suite.server.base}${url}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
        assert.ok(res.status < 300, `${url}: ${res.status} ${await res.clone().text()}`)
        return res.json()
      }
    },
  })

  it('shows a group’s progress and countdown, and a friend joining completes it', async () => {
    const card = await call('/v1/cards', { type: 'cash', title: '双人套餐立减', notice: '到店出示', reduce_cost: 2000, least_cost: 10000, stock: 10, validity: { type: 'fixed_term', days: 30 }, group: { size: 2, hours: 24 } })
    const opener = (await call('/v1/wallet-tokens', { user_id: 'opener-0001' })).token
    const friend = (await call('/v1/wallet-tokens', { user_id: 'friend-0002' })).token
    const group = await call(`/v1/wallet/cards/${card.id}/groups`, {}, opener)

    const page = await suite.openPage(PHONE, { mobile: true })
    await page.goto(`${group.url}#token=${friend}`)
    await page.locator('[data-test=group-progress]', { hasText: '已有 1/2 人' }).waitFor()
    const countdown = page.locator('[data-test=group-countdown]')
    await countdown.waitFor()
    assert.match((await countdown.textContent()) ?? '', /还差 1 人成团.*剩余 2\d:\d{2}:\d{2}/s)
    await page.getByText('op***01').waitFor()
    await screenshot(page, 'groups-01-open-group')

    await page.locator('[data-test=group-join]').click()
    await page.locator('[data-test=group-state]', { hasText: '拼团成功' }).waitFor()
    await page.locator('[data-test=group-progress]', { hasText: '已有 2/2 人' }).waitFor()
    await screenshot(page, 'groups-02-completed')
    suite.assertNoConsoleErrors(page)
  })
})
