/**
 * The console's WeChat app credentials page in a real browser against a real `kabao serve` (SQLite,
 * WeChat-compatible API under /wx): the owner sees the API address and the stores' location ids, makes a
 * credential whose appid and secret (shown once) fetch an access_token from that address, resets the
 * secret (the old token stops at once, the new secret works) and disables it; a wallet user opens a card's
 * link cell with its encrypt_code and joins a member card through its QR code. Screenshots in
 * test-artifacts/e2e/wechat-apps-*.png.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Page } from 'playwright-core'
import { screenshot } from './support/browser.ts'
import { browserSuite, setUpMerchant, type StaffApi } from './support/suite.ts'
import { assertAccessible } from './support/ui.ts'

const OWNER = { login: 'owner@wechat.example', password: 'owner-password-1' }

describe('WeChat app credentials in the console', () => {
  let page: Page
  let storeId = ''
  let call: StaffApi['call']
  const suite = browserSuite({
    name: 'wechat-apps',
    env: { WECHAT_FACADE_PREFIX: '/wx' },
    setUp: async () => {
      ;({ call } = await setUpMerchant(suite.server.base, '微信茶馆', OWNER))
      storeId = (await call('POST', '/v1/stores', { name: '静安店' })).id
      page = await suite.openPage({ width: 1440, height: 900 })
    },
  })

  const tokenCall = async (appid: string, secret: string) =>
    (await (await fetch(`${suite.server.base}/wx/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${secret}`)).json()) as { access_token?: string; errcode?: number }
  const cardGet = async (token: string) =>
    (await (await fetch(`${suite.server.base}/wx/card/get?access_token=${token}`, { method: 'POST', body: '{"card_id":"crd_nothing"}' })).json()) as { errcode: number }

  /** What the once-only dialog shows: the appid and the secret; then it is closed. */
  async function readSecretDialog(title: string): Promise<{ appid: string; secret: string }> {
    const dialog = page.getByRole('dialog', { name: title })
    await dialog.waitFor()
    const appid = await dialog.locator('input[data-test=new-wechat-appid]').inputValue()
    const secret = await dialog.locator('input[data-test=new-wechat-secret]').inputValue()
    assert.match(appid, /^wx[0-9a-f]{16}$/)
    assert.match(secret, /^[0-9a-f]{32}$/)
    return { appid, secret }
  }

  it('shows the API address and location ids, makes a credential that works, resets its secret and disables it', async () => {
    await page.goto(`${suite.server.base}/console/login`)
    await page.getByLabel('登录名（邮箱或用户名）').fill(OWNER.login)
    await page.getByLabel('密码', { exact: true }).fill(OWNER.password)
    await page.getByRole('button', { name: '登录' }).click()
    await page.getByRole('menuitem', { name: '微信接口' }).click()
    await page.waitForURL((url) => url.pathname === '/console/wechat-apps')

    const baseUrl = page.locator('input[data-test=wechat-base-url]')
    await baseUrl.waitFor()
    assert.equal(await baseUrl.inputValue(), `${suite.server.base}/wx`)
    await page.getByText(`${suite.server.base}/wx/cgi-bin/token`).waitFor()
    const locations = page.locator('[data-test=wechat-locations]')
    const storeRow = locations.locator('tr', { hasText: '静安店' })
    await storeRow.waitFor()
    assert.deepEqual((await storeRow.locator('td').allTextContents()).map((s) => s.trim()), ['1', '静安店', storeId])
    await page.getByText('还没有应用凭据').waitFor()
    await assertAccessible(page, 'WeChat apps page')
    await screenshot(page, 'wechat-apps-01-empty')

    await page.getByRole('button', { name: '创建应用凭据' }).click()
    const form = page.getByRole('dialog', { name: '创建应用凭据' })
    await form.getByLabel('原始 ID').fill('gh_e2e000000001')
    await form.getByRole('button', { name: '创建', exact: true }).click()
    const created = await readSecretDialog('应用凭据已创建')
    await assertAccessible(page, 'secret dialog')
    await screenshot(page, 'wechat-apps-02-secret')
    await page.getByRole('button', { name: '我已保存' }).click()

    const apps = page.locator('[data-test=wechat-apps]')
    const row = apps.locator('tr', { hasText: created.appid })
    await row.waitFor()
    await row.getByText('gh_e2e000000001').waitFor()
    await row.getByText('有效').waitFor()
    assert.equal(await page.getByText(created.secret).count(), 0, 'the secret is not shown again')

    // The address and credential shown work as a WeChat SDK would use them.
    const first = await tokenCall(created.appid, created.secret)
    assert.ok(first.access_token, JSON.stringify(first))
    assert.equal((await cardGet(first.access_token)).errcode, 40073, 'the token is accepted by a card call')

    await row.getByRole('button', { name: '重置密钥' }).click()
    await page.getByRole('dialog', { name: '重置密钥' }).getByRole('button', { name: '重置密钥' }).click()
    const rotated = await readSecretDialog('已生成新的 AppSecret')
    assert.equal(rotated.appid, created.appid)
    assert.notEqual(rotated.secret, created.secret)
    await page.getByRole('button', { name: '我已保存' }).click()
    assert.equal((await cardGet(first.access_token)).errcode, 40001, 'tokens of the old secret stop at once')
    assert.equal((await tokenCall(created.appid, created.secret)).errcode, 40001, 'the old secret no longer works')
    const second = await tokenCall(rotated.appid, rotated.secret)
    assert.ok(second.access_token, JSON.stringify(second))

    await row.getByRole('button', { name: '停用' }).click()
    await page.getByRole('dialog', { name: '停用' }).getByRole('button', { name: '停用' }).click()
    await row.getByText('已停用').waitFor()
    await page.getByText('应用凭据已停用').waitFor()
    assert.equal(await row.getByRole('button', { name: '重置密钥' }).count(), 0, 'a disabled credential offers no actions')
    assert.equal((await cardGet(second.access_token!)).errcode, 40001)
    assert.equal((await tokenCall(rotated.appid, rotated.secret)).errcode, 40001)
    await screenshot(page, 'wechat-apps-03-disabled')
    suite.assertNoConsoleErrors(page)
  })

  it('the wallet’s coupon page opens the card’s link with an encrypt_code that card/code/decrypt turns into the code', async () => {
    const app = await call('POST', '/v1/wechat-apps', {})
    const { access_token: token } = await tokenCall(app.appid, app.secret)
    const wx = async (path: string, body: unknown) => (await (await fetch(`${suite.server.base}/wx${path}?access_token=${token}`, { method: 'POST', body: JSON.stringify(body) })).json()) as Record<string, any>
    const card = await wx('/card/create', {
      card: { card_type: 'CASH', cash: { base_info: { title: '满100减20', notice: '结账时出示', date_info: { type: 2, fixed_term: 30 }, sku: { quantity: 10 }, custom_url_name: '立即使用', custom_url: 'https://shop.example.com/use?from=card', custom_url_sub_title: '到店出示' }, reduce_cost: 2000, least_cost: 10000 } },
    })
    assert.equal(card.errcode, 0, JSON.stringify(card))
    const issued = await wx('/kabao/card/issue', { card_id: card.card_id, openid: 'wx-guest' })
    assert.equal(issued.errcode, 0, JSON.stringify(issued))
    const couponId = (await call('GET', `/v1/coupons/${issued.code}`)).id
    const { token: walletToken } = await call('POST', '/v1/wallet-tokens', { user_id: 'wx-guest' })

    const phone = await suite.openPage({ width: 375, height: 812 }, { mobile: true })
    try {
      // The merchant's page, answered here: the test sees the URL the wallet opens.
      await phone.context().route('https://shop.example.com/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>shop</title><p>shop</p>' }))
      await phone.goto(`${suite.server.base}/wallet/auth#token=${walletToken}`)
      await phone.getByRole('tab', { name: '可使用' }).waitFor()
      await phone.goto(`${suite.server.base}/wallet/coupons/${couponId}`)
      await phone.getByText('商家服务').waitFor()
      const cell = phone.getByText('立即使用')
      await cell.waitFor()
      await phone.getByText('到店出示').waitFor()
      await assertAccessible(phone, 'wallet coupon with link cells')
      await screenshot(phone, 'wechat-apps-04-wallet-link')
      suite.assertNoConsoleErrors(phone)
      await cell.click()
      await phone.waitForURL((url) => url.hostname === 'shop.example.com')
      const opened = new URL(phone.url())
      assert.equal(opened.pathname, '/use')
      assert.equal(opened.searchParams.get('from'), 'card')
      assert.equal(opened.searchParams.get('card_id'), card.card_id)
      const encrypted = opened.searchParams.get('encrypt_code') ?? ''
      assert.ok(encrypted.length > 20 && !encrypted.includes(issued.code))
      assert.deepEqual(await wx('/card/code/decrypt', { encrypt_code: encrypted }), { errcode: 0, errmsg: 'ok', code: issued.code })
    } finally {
      await phone.context().close()
    }
  })

  it('the wallet joins a member card through its WeChat QR code once, and the facade knows the member by its code', async () => {
    const app = await call('POST', '/v1/wechat-apps', {})
    const { access_token: token } = await tokenCall(app.appid, app.secret)
    const wx = async (path: string, body: unknown) => (await (await fetch(`${suite.server.base}/wx${path}?access_token=${token}`, { method: 'POST', body: JSON.stringify(body) })).json()) as Record<string, any>
    const card = await wx('/card/create', {
      card: { card_type: 'MEMBER_CARD', member_card: { base_info: { title: '茶馆会员卡', notice: '结账时出示', date_info: { type: 'DATE_TYPE_PERMANENT' }, sku: { quantity: 100 } }, supply_bonus: true, prerogative: '每杯九折' } },
    })
    assert.equal(card.errcode, 0, JSON.stringify(card))
    const qr = await wx('/card/qrcode/create', { action_name: 'QR_CARD', action_info: { card: { card_id: card.card_id, outer_str: 'table-7' } } })
    assert.equal(qr.errcode, 0, JSON.stringify(qr))
    assert.ok(qr.url.startsWith(`${suite.server.base}/wallet/member-cards/${card.card_id}?link=`), qr.url)
    const { token: walletToken } = await call('POST', '/v1/wallet-tokens', { user_id: 'wx-member' })

    const phone = await suite.openPage({ width: 375, height: 812 }, { mobile: true })
    try {
      await phone.goto(`${qr.url}#token=${walletToken}`)
      await phone.getByRole('heading', { name: '茶馆会员卡' }).waitFor()
      await phone.locator('[data-test=join-button]').click()
      await phone.getByRole('heading', { name: /您已是会员/ }).waitFor()
      await screenshot(phone, 'wechat-apps-05-member-qr-joined')
      suite.assertNoConsoleErrors(phone)
      // Opened again: already a member, nothing more to join.
      await phone.goto(`${qr.url}#token=${walletToken}`)
      await phone.getByRole('heading', { name: /您已是会员/ }).waitFor()
    } finally {
      await phone.context().close()
    }
    const members = await call('GET', `/v1/members?member_card_id=${card.card_id}`)
    assert.deepEqual(members.data.map((m: { user_id: string }) => m.user_id), ['wx-member'])
    const list = await wx('/card/user/getcardlist', { openid: 'wx-member' })
    assert.equal(list.card_list.length, 1)
    assert.equal((await wx('/card/membercard/userinfo/get', { card_id: card.card_id, code: list.card_list[0].code })).openid, 'wx-member')
    const link = (await call('GET', `/v1/claim-links?card_id=${card.card_id}`)).data[0]
    assert.deepEqual([link.claimed_count, link.channel], [1, 'table-7'])
  })
})
