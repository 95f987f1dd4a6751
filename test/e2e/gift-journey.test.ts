/**
 * Gifting (转赠) in a real browser against a real `kabao serve` (SQLite): a customer gives a coupon from
 * their wallet on a phone (the link and its QR code), a friend accepts it on their phone, and a clerk
 * redeems the friend's new code at the store terminal, while the giver's old code is refused in words; the
 * giver removes another, unused coupon from the wallet (confirmed in a dialog).
 * Screenshots in test-artifacts/e2e/, console errors and accessibility checked as in journey.test.ts.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { screenshot } from './support/browser.ts'
import { browserSuite, imageLoads, PHONE, setUpMerchant } from './support/suite.ts'
import { assertAccessible } from './support/ui.ts'

const OWNER = { login: 'owner@gift.example', password: 'owner-password-1' }
const CLERK = { login: 'clerk-gift', password: 'clerk-password-1' }

describe('a gift in a browser: sent, accepted on a phone, redeemed at the till', () => {
  const journey = { couponId: '', removedId: '', giverCode: '', giverToken: '', friendToken: '', giftUrl: '', receivedId: '', receivedCode: '', storeName: '礼品店' }
  /** The merchant, a store, a giftable card, a clerk, a coupon for the giver and wallet tokens, through the API. */
  const suite = browserSuite({
    name: 'gifts',
    setUp: async () => {
      const { call } = await setUpMerchant(suite.server.base, '好礼茶社', OWNER)
      const store = await call('POST', '/v1/stores', { name: journey.storeName })
      const card = await call('POST', '/v1/cards', {
        type: 'cash', title: '满100减20', notice: '结账时出示券码', reduce_cost: 2000, least_cost: 10000, stock: 100, get_limit: 2, can_gift: true, validity: { type: 'fixed_term', days: 30 },
      })
      await call('POST', '/v1/staff', { ...CLERK, role: 'clerk', name: '王店员', store_id: store.id })
      const coupon = await call('POST', `/v1/cards/${card.id}/issue`, { user_id: 'giver-0001' })
      journey.couponId = coupon.id
      journey.giverCode = coupon.code
      journey.removedId = (await call('POST', `/v1/cards/${card.id}/issue`, { user_id: 'giver-0001' })).id
      journey.giverToken = (await call('POST', '/v1/wallet-tokens', { user_id: 'giver-0001' })).token
      journey.friendToken = (await call('POST', '/v1/wallet-tokens', { user_id: 'friend-0002' })).token
    },
  })
  const { openPage, assertNoConsoleErrors } = suite

  it('lets the giver give a coupon from their wallet: a link and its QR code, the coupon then being given', async () => {
    const page = await openPage(PHONE, { mobile: true })
    await page.goto(`${suite.server.base}/wallet/coupons/${journey.couponId}#token=${journey.giverToken}`)
    const give = page.locator('[data-test=gift-button]')
    await give.waitFor()
    await screenshot(page, 'gifts-01-coupon-with-gift-button')
    await give.click()
    const link = page.locator('[data-test=gift-link]')
    await link.waitFor()
    assert.ok(await imageLoads(link.getByRole('img', { name: '转赠链接二维码' })), 'the QR code of the link shows')
    journey.giftUrl = ((await page.locator('[data-test=gift-url]').textContent()) ?? '').trim()
    assert.match(journey.giftUrl, new RegExp(`^${suite.server.base}/wallet/gift/[A-Za-z0-9_-]{32}$`))
    await page.getByText('这张券正在转赠中，好友领取前不能使用').waitFor()
    await assertAccessible(page, 'coupon being given')
    await screenshot(page, 'gifts-02-gift-link')
    assertNoConsoleErrors(page)
  })

  it('lets the holder remove an unused coupon from the wallet after confirming: gone for good', async () => {
    const page = await openPage(PHONE, { mobile: true })
    await page.goto(`${suite.server.base}/wallet/coupons/${journey.removedId}#token=${journey.giverToken}`)
    const remove = page.locator('[data-test=coupon-remove]')
    await remove.click()
    const dialog = page.getByRole('dialog')
    await dialog.getByText('删除这张券？').waitFor()
    await screenshot(page, 'gifts-02b-remove-confirm')
    // Cancelled: nothing happens.
    await dialog.getByRole('button', { name: '取消' }).click()
    await dialog.waitFor({ state: 'hidden' })
    await remove.click()
    await dialog.getByRole('button', { name: '删除', exact: true }).click()
    await page.waitForURL((url) => url.pathname.replace(/\/$/, '') === '/wallet')
    const [removed, list] = await page.evaluate(async ([id, token]) => {
      const headers = { authorization: `Bearer ${token}` }
      return [await (await fetch(`/v1/wallet/coupons/${id}`, { headers })).json(), await (await fetch('/v1/wallet/coupons', { headers })).json()]
    }, [journey.removedId, journey.giverToken])
    assert.deepEqual([removed.state, removed.voided_by], ['voided', 'holder'])
    assert.equal(list.data.some((c: { id: string }) => c.id === journey.removedId), false, 'no longer in the wallet')
    await screenshot(page, 'gifts-02c-removed')
    assertNoConsoleErrors(page)
  })

  it('lets the friend accept it on their phone: a new coupon in their wallet', async () => {
    const page = await openPage(PHONE, { mobile: true })
    await page.goto(`${journey.giftUrl}#token=${journey.friendToken}`)
    await page.getByRole('heading', { name: /送您一张券/ }).waitFor()
    await assertAccessible(page, 'gift page')
    await screenshot(page, 'gifts-03-gift-page')
    await page.locator('[data-test=gift-accept]').click()
    await page.getByRole('heading', { name: '领取成功，已放入卡包' }).waitFor()
    await screenshot(page, 'gifts-04-accepted')
    await page.locator('[data-test=gift-use]').click()
    await page.waitForURL(/\/wallet\/coupons\/cpn_/)
    journey.receivedId = decodeURIComponent(new URL(page.url()).pathname.split('/').at(-1)!)
    await page.getByText('好友转赠').waitFor()
    const received = await page.evaluate(async ([id, token]) => (await fetch(`/v1/wallet/coupons/${id}`, { headers: { authorization: `Bearer ${token}` } })).json(), [journey.receivedId, journey.friendToken])
    assert.deepEqual([received.source, received.gifted_by, received.state], ['gift', 'giver-0001', 'available'])
    assert.notEqual(received.code, journey.giverCode)
    journey.receivedCode = received.code
    await screenshot(page, 'gifts-05-received-coupon')
    assertNoConsoleErrors(page)

    // The giver's wallet now shows the coupon given away, and the link is closed for anyone else.
    const giver = await openPage(PHONE, { mobile: true })
    await giver.goto(`${suite.server.base}/wallet/coupons/${journey.couponId}#token=${journey.giverToken}`)
    await giver.getByText('这张券已转赠给好友，券码已失效').waitFor()
    await screenshot(giver, 'gifts-06-giver-after')
    await giver.goto(journey.giftUrl)
    await giver.getByText('这份转赠已被领取、取消或已过期').waitFor()
    assertNoConsoleErrors(giver)
  })

  it('lets the clerk redeem the friend’s code at the terminal, and refuses the giver’s old code in words', async () => {
    const page = await openPage({ width: 1024, height: 768 })
    await suite.signInToTill(page, CLERK)
    await page.getByText(journey.storeName).waitFor()
    const codeField = page.getByLabel('券码')
    await page.getByLabel('订单金额（元）').fill('128')

    await codeField.fill(journey.giverCode)
    await codeField.press('Enter')
    await page.getByRole('alert').filter({ hasText: '这张券已转赠给他人，券码已失效' }).waitFor()
    await screenshot(page, 'gifts-07-pos-old-code-refused')

    await codeField.fill(journey.receivedCode)
    await codeField.press('Enter')
    await page.locator('[data-test=discount]').filter({ hasText: '¥20.00' }).waitFor()
    await page.getByRole('button', { name: '确认核销' }).click()
    await page.getByText('核销成功').waitFor()
    await screenshot(page, 'gifts-08-pos-redeemed')
    assertNoConsoleErrors(page)
  })
})
