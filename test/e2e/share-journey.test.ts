/**
 * Sharing in a real browser (Chromium, phone-sized pages) against a real `kabao serve` on SQLite: a
 * customer opens their coupon, shares its card and sees the share link with its QR code; a friend opens
 * the link, sees who shared it, claims the coupon, and the sharer's fission coupon unlocks. Pages are
 * screenshotted to test-artifacts/e2e/ and checked for console errors.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { screenshot } from './support/browser.ts'
import { browserSuite, PHONE, setUpMerchant, type StaffApi } from './support/suite.ts'

const OWNER = { login: 'owner@share.example', password: 'owner-password-1' }
const SHARER = 'sharer-0042'
const FRIEND = 'friend-0007'

describe('sharing in a browser', () => {
  const journey = { cardId: '', rewardCardId: '', couponId: '', sharerToken: '', friendToken: '', shareUrl: '' }
  let call: StaffApi['call']
  const suite = browserSuite({
    name: 'share',
    setUp: async () => {
      ;({ call } = await setUpMerchant(suite.server.base, '分享茶馆', OWNER))
      const card = await call('POST', '/v1/cards', {
        type: 'cash', title: '邀友立减券', notice: '到店出示券码', reduce_cost: 2000, least_cost: 10000, stock: 100,
        validity: { type: 'fixed_term', days: 30 }, can_share: true, unlock_after_friends: 1,
      })
      journey.cardId = card.id
      journey.rewardCardId = (await call('POST', '/v1/cards', { type: 'cash', title: '奖励咖啡券', notice: '到店出示券码', reduce_cost: 1000, least_cost: 5000, stock: 100, validity: { type: 'fixed_term', days: 30 } })).id
      journey.couponId = (await call('POST', `/v1/cards/${card.id}/issue`, { user_id: SHARER })).id
      journey.sharerToken = (await call('POST', '/v1/wallet-tokens', { user_id: SHARER })).token
      journey.friendToken = (await call('POST', '/v1/wallet-tokens', { user_id: FRIEND })).token
    },
  })
  const openPhone = () => suite.openPage(PHONE, { mobile: true })

  it('lets a customer share their coupon’s card and shows the link with its QR code', async () => {
    const page = await openPhone()
    await page.goto(`${suite.server.base}/wallet/coupons/${journey.couponId}#token=${journey.sharerToken}`)
    await page.getByText('这张券待解锁').waitFor()
    await page.locator('[data-test=share-button]').click()
    const qr = page.locator('[data-test=share-qr]')
    await qr.waitFor()
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('[data-test=share-qr]')
      return img !== null && img.complete && img.naturalWidth > 0
    })
    journey.shareUrl = (await page.locator('[data-test=share-url]').textContent())!.trim()
    assert.match(journey.shareUrl, new RegExp(`^${suite.server.base}/wallet/claim/[A-Za-z0-9_-]{32}$`))
    await screenshot(page, 'share-01-share-sheet')
    suite.assertNoConsoleErrors(page)
  })

  it('lets the owner set share reward tiers and a fission goal on the card editor, with a preview', async () => {
    const page = await suite.openPage()
    await suite.signIn(page, OWNER, `/cards/${journey.cardId}/edit`)
    await page.locator('[data-test=add-share-reward]').click()
    await page.locator('[data-test=share-reward-card]').first().click()
    await page.getByRole('option', { name: '奖励咖啡券' }).click()
    const preview = page.locator('[data-test=share-preview]')
    await preview.getByText('分享 3 位好友领取：送“奖励咖啡券”').waitFor()
    await preview.getByText('领取后邀请 1 位好友领取即可使用').waitFor()
    await screenshot(page, 'share-00-card-editor')
    await page.getByRole('button', { name: '保存' }).click()
    await page.waitForURL((url) => url.pathname === `/console/cards/${journey.cardId}`)
    const card = await call('GET', `/v1/cards/${journey.cardId}`)
    assert.deepEqual(card.share_rewards, [{ friends: 3, card_id: journey.rewardCardId }])
    suite.assertNoConsoleErrors(page)
  })

  it('lets a friend on a phone see who shared it and claim it, which unlocks the sharer’s coupon', async () => {
    assert.ok(journey.shareUrl, 'the share step ran')
    const page = await openPhone()
    await page.goto(`${journey.shareUrl}#token=${journey.friendToken}`)
    const sharer = page.locator('[data-test=claim-sharer]')
    await sharer.waitFor()
    assert.equal((await sharer.textContent())!.trim(), 'sh***42 分享给您')
    await screenshot(page, 'share-02-claim-page')
    await page.locator('[data-test=claim-button]').click()
    await page.getByText('领取成功，已放入卡包').waitFor()
    await screenshot(page, 'share-03-claimed')
    suite.assertNoConsoleErrors(page)

    const friendCoupons = await call('GET', `/v1/users/${FRIEND}/coupons`)
    assert.deepEqual(friendCoupons.data.map((c: any) => [c.source, c.shared_by]), [['share', SHARER]])
    const sharerCoupons = await call('GET', `/v1/users/${SHARER}/coupons`)
    assert.equal(sharerCoupons.data[0].state, 'available')
  })
})
