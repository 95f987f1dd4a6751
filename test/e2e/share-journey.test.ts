/**
 * Sharing in a real browser (Chromium, phone-sized pages) against a real `kabao serve` on SQLite: a
 * customer opens their coupon, shares its card and sees the share link with its QR code; a friend opens
 * the link, sees who shared it, claims the coupon, and the sharer's fission coupon unlocks. Pages are
 * screenshotted to test-artifacts/e2e/ and checked for console errors.
 */
import { describe, it, before, after, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { kabaoEnv, startServer, type ServerProcess } from '../helpers/server-process.ts'
import { ensureWebBuilt } from './support/web-build.ts'
import { launchBrowser, screenshot, watchConsole, type ConsoleWatch } from './support/browser.ts'

const OWNER = { login: 'owner@share.example', password: 'owner-password-1' }
const SHARER = 'sharer-0042'
const FRIEND = 'friend-0007'
const PHONE = { width: 390, height: 844 }

describe('sharing in a browser', () => {
  let server: ServerProcess
  let browser: Browser
  let dataDir: string
  const contexts: BrowserContext[] = []
  const watches = new Map<Page, ConsoleWatch>()
  const journey = { cardId: '', rewardCardId: '', couponId: '', sharerToken: '', friendToken: '', shareUrl: '' }
  let call: (method: string, url: string, body?: unknown) => Promise<any>

  async function openPhone(): Promise<Page> {
    const context = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 1, locale: 'zh-CN' })
    contexts.push(context)
    const page = await context.newPage()
    page.setDefaultTimeout(20_000)
    watches.set(page, watchConsole(page))
    return page
  }

  before(async () => {
    await ensureWebBuilt()
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'kabao-e2e-share-'))
    server = await startServer(kabaoEnv(`sqlite:${path.join(dataDir, 'kabao.db')}`))
    browser = await launchBrowser()
    const setup = await fetch(`${server.base}/v1/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ merchant_name: '分享茶馆', login: OWNER.login, password: OWNER.password }),
    })
    assert.equal(setup.status, 201, await setup.clone().text())
    const cookie = setup.headers.getSetCookie().find((c) => c.startsWith('kabao_session='))!.split(';')[0]
    const { csrf_token } = (await setup.json()) as { csrf_token: string }
    call = async (method, url, body) => {
      const res = await fetch(`${server.base}${url}`, { method, headers: { cookie, 'x-kabao-csrf': csrf_token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) })
      assert.ok(res.status < 300, `${method} ${url}: ${res.status} ${await res.clone().text()}`)
      return res.json()
    }
    const card = await call('POST', '/v1/cards', {
      type: 'cash', title: '邀友立减券', notice: '到店出示券码', reduce_cost: 2000, least_cost: 10000, stock: 100,
      validity: { type: 'fixed_term', days: 30 }, can_share: true, unlock_after_friends: 1,
    })
    journey.cardId = card.id
    journey.rewardCardId = (await call('POST', '/v1/cards', { type: 'cash', title: '奖励咖啡券', notice: '到店出示券码', reduce_cost: 1000, least_cost: 5000, stock: 100, validity: { type: 'fixed_term', days: 30 } })).id
    journey.couponId = (await call('POST', `/v1/cards/${card.id}/issue`, { user_id: SHARER })).id
    journey.sharerToken = (await call('POST', '/v1/wallet-tokens', { user_id: SHARER })).token
    journey.friendToken = (await call('POST', '/v1/wallet-tokens', { user_id: FRIEND })).token
  })

  afterEach(async (t) => {
    const page = [...watches.keys()].at(-1)
    if (page && !page.isClosed()) await screenshot(page, `last-share-${t.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined)
  })

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined)
    await browser?.close()
    await server?.stop()
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })

  it('lets a customer share their coupon’s card and shows the link with its QR code', async () => {
    const page = await openPhone()
    await page.goto(`${server.base}/wallet/coupons/${journey.couponId}#token=${journey.sharerToken}`)
    await page.getByText('这张券待解锁').waitFor()
    await page.locator('[data-test=share-button]').click()
    const qr = page.locator('[data-test=share-qr]')
    await qr.waitFor()
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('[data-test=share-qr]')
      return img !== null && img.complete && img.naturalWidth > 0
    })
    journey.shareUrl = (await page.locator('[data-test=share-url]').textContent())!.trim()
    assert.match(journey.shareUrl, new RegExp(`^${server.base}/wallet/claim/[A-Za-z0-9_-]{32}$`))
    await screenshot(page, 'share-01-share-sheet')
    assert.deepEqual(watches.get(page)?.errors ?? [], [], 'console errors')
  })

  it('lets the owner set share reward tiers and a fission goal on the card editor, with a preview', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, locale: 'zh-CN' })
    contexts.push(context)
    const page = await context.newPage()
    page.setDefaultTimeout(20_000)
    watches.set(page, watchConsole(page))
    await page.goto(`${server.base}/console/login?redirect=${encodeURIComponent(`/cards/${journey.cardId}/edit`)}`)
    await page.getByLabel('登录名（邮箱或用户名）').fill(OWNER.login)
    await page.getByLabel('密码', { exact: true }).fill(OWNER.password)
    await page.getByRole('button', { name: '登录' }).click()
    await page.waitForURL((url) => url.pathname === `/console/cards/${journey.cardId}/edit`)
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
    assert.deepEqual(watches.get(page)?.errors ?? [], [], 'console errors')
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
    assert.deepEqual(watches.get(page)?.errors ?? [], [], 'console errors')

    const friendCoupons = await call('GET', `/v1/users/${FRIEND}/coupons`)
    assert.deepEqual(friendCoupons.data.map((c: any) => [c.source, c.shared_by]), [['share', SHARER]])
    const sharerCoupons = await call('GET', `/v1/users/${SHARER}/coupons`)
    assert.equal(sharerCoupons.data[0].state, 'available')
  })
})
