/**
 * What a merchant meets in the first week, in a real browser against a real `kabao serve` (SQLite): the
 * dashboard before anything happened, the card form's checks (every bad field marked with its words,
 * nothing red on an untouched form, a last day before the first kept and flagged), the member card's
 * join link with its copy button and QR code, and the till naming a member who earns the points.
 * Console errors and basic accessibility are checked as in journey.test.ts.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Locator, Page } from 'playwright-core'
import { screenshot } from './support/browser.ts'
import { browserSuite, setUpMerchant, type StaffApi } from './support/suite.ts'
import { assertAccessible, choose } from './support/ui.ts'

const OWNER = { login: 'owner@noodles.example', password: 'owner-password-1' }
const CLERK = { login: 'clerk-xuhui', password: 'clerk-password-1' }

describe('a merchant’s first week in a browser', () => {
  /** The owner's session for setting things up through the API. */
  let owner: StaffApi
  const suite = browserSuite({
    name: 'first-week',
    setUp: async () => { owner = await setUpMerchant(suite.server.base, '徐汇面馆', OWNER) },
  })
  const { assertNoConsoleErrors } = suite
  const openPage = (options: { permissions?: string[] } = {}) => suite.openPage(undefined, { ...options, timeout: 30_000 })
  const call = (url: string, body: unknown) => owner.call('POST', url, body)

  async function signInToConsole(to: string): Promise<Page> {
    const page = await openPage({ permissions: ['clipboard-read', 'clipboard-write'] })
    await suite.signIn(page, OWNER, to)
    return page
  }

  /** The form item with this label, and the message it shows. */
  const item = (page: Page, label: string): Locator => page.locator('.el-form-item', { has: page.locator('.el-form-item__label', { hasText: new RegExp(`^${label.replace(/[()（）%]/g, '\\$&')}$`) }) })
  const errorOf = (page: Page, label: string): Locator => item(page, label).locator('.el-form-item__error')
  /** Flips an Element Plus switch by its name (its input is hidden; the switch itself takes the click). */
  const flip = (scope: Page | Locator, name: string) => {
    const page = 'page' in scope && typeof scope.page === 'function' ? (scope as Locator).page() : (scope as Page)
    return scope.locator('.el-switch', { has: page.getByRole('switch', { name, exact: true }) }).click()
  }

  it('shows an empty state instead of bare axes on a dashboard with nothing to count yet', async () => {
    const page = await signInToConsole('/')
    await page.getByRole('heading', { name: '数据概览' }).waitFor()
    for (const chart of ['trend-empty', 'stock-empty']) {
      const empty = page.locator(`[data-test=${chart}]`)
      await empty.waitFor()
      assert.match((await empty.textContent()) ?? '', /暂无数据/)
    }
    assert.equal(await page.locator('.chart__canvas').count(), 0, 'no chart is drawn')
    await assertAccessible(page, 'empty dashboard')
    await screenshot(page, 'first-week-01-dashboard-empty')
    assertNoConsoleErrors(page)
  })

  it('marks every bad field of the card form with its words, and nothing on a form nobody touched', async () => {
    const page = await signInToConsole('/cards/new')
    await page.getByRole('heading', { name: '创建卡券' }).waitFor()
    // The pristine form breaks the compliance policy (no notice yet) but says nothing before it is touched.
    await page.getByLabel('使用须知').waitFor()
    assert.equal(await page.locator('.el-form-item__error').count(), 0, 'no red error on a pristine form')
    await assertAccessible(page, 'pristine card form')

    await page.getByLabel('卡券标题').fill('满50减5')
    await page.getByLabel('使用须知').fill('结账时出示券码')
    await page.getByLabel('最低消费').fill('50')
    for (const [typed, words] of [['-5', '不能是负数'], ['0', '必须大于 0'], ['abc', '请输入金额（元），最多两位小数']]) {
      await page.getByLabel('减免金额').fill(typed)
      await page.getByRole('button', { name: '创建卡券' }).click()
      await page.locator('.el-alert', { hasText: '有 1 处需要修改' }).waitFor()
      // Marked after the send, and still marked once the field is left again.
      await errorOf(page, '减免金额').filter({ hasText: words }).waitFor()
      await page.getByLabel('减免金额').focus()
      await page.getByLabel('最低消费').focus()
      await errorOf(page, '减免金额').filter({ hasText: words }).waitFor()
      assert.equal(await page.locator('.el-form-item__error').count(), 1, `only the amount off is marked for ${typed}`)
    }
    await screenshot(page, 'first-week-02-card-form-amount')
    await page.getByLabel('减免金额').fill('5')
    await errorOf(page, '减免金额').waitFor({ state: 'detached' })

    // A discount card with no percent off.
    await page.getByRole('radio', { name: '折扣券' }).click({ force: true })
    await page.getByRole('button', { name: '创建卡券' }).click()
    await errorOf(page, '优惠比例（%）').filter({ hasText: '必填' }).waitFor()
    await page.getByLabel('优惠比例（%）').fill('15')
    await page.getByLabel('优惠比例（%）').blur()
    await errorOf(page, '优惠比例（%）').waitFor({ state: 'detached' })

    // Fixed dates, the last before the first: both kept, the last day flagged.
    await page.getByRole('radio', { name: '固定日期' }).click({ force: true })
    await page.getByLabel('开始日期').fill('2035-03-20')
    await page.getByLabel('开始日期').press('Enter')
    await page.getByLabel('结束日期').fill('2035-03-10')
    await page.getByLabel('结束日期').press('Enter')
    await page.getByRole('button', { name: '创建卡券' }).click()
    await errorOf(page, '结束日期').filter({ hasText: '结束日期不能早于开始日期' }).waitFor()
    assert.equal(await page.getByLabel('开始日期').inputValue(), '2035-03-20')
    assert.equal(await page.getByLabel('结束日期').inputValue(), '2035-03-10')
    // The first day is not the one to change: a mark it had while being typed (checked on blur) goes.
    await errorOf(page, '开始日期').waitFor({ state: 'detached' })
    await screenshot(page, 'first-week-03-card-form-dates')

    await page.getByLabel('结束日期').fill('2035-04-30')
    await page.getByLabel('结束日期').press('Enter')
    await errorOf(page, '结束日期').waitFor({ state: 'detached' })
    await page.getByRole('button', { name: '创建卡券' }).click()
    await page.getByRole('heading', { name: '满50减5' }).waitFor()
    assertNoConsoleErrors(page)
  })

  it('makes a card a group coupon: size and hours within the API’s bounds, a preview, and the API keeps them', async () => {
    const card = await call('/v1/cards', { type: 'cash', title: '三人拼团券', notice: '结账时出示券码', reduce_cost: 1000, least_cost: 5000, stock: 90, validity: { type: 'fixed_term', days: 30 } })
    assert.equal(card.group, null)
    const page = await signInToConsole(`/cards/${card.id}/edit`)
    await page.getByRole('heading', { name: '编辑卡券' }).waitFor()
    await flip(page, '拼团')
    const preview = page.locator('[data-test=group-preview]')
    await preview.filter({ hasText: '3 人成团，24 小时内拼满，每人得一张券' }).waitFor()

    // A size left empty is marked on its field with the bounds, and nothing is sent.
    await page.getByLabel('成团人数').fill('')
    await page.getByLabel('拼团时限（小时）').focus()
    await errorOf(page, '成团人数').filter({ hasText: '请填写 2–100 之间的整数（含开团人）' }).waitFor()
    await page.getByRole('button', { name: '保存' }).click()
    await page.locator('.el-alert', { hasText: '有 1 处需要修改' }).waitFor()
    assert.equal(await page.locator('.el-form-item__error').count(), 1, 'only the size is marked')
    await page.getByLabel('拼团时限（小时）').fill('')
    await page.getByLabel('成团人数').focus()
    await errorOf(page, '拼团时限（小时）').filter({ hasText: '请填写 1–720 之间的整数（小时）' }).waitFor()
    assert.equal((await fetch(`${suite.server.base}/v1/cards/${card.id}`, { headers: { cookie: owner.cookie } }).then((r) => r.json()) as any).group, null, 'nothing was saved')
    await screenshot(page, 'first-week-06-group-errors')

    await page.getByLabel('成团人数').fill('4')
    await page.getByLabel('拼团时限（小时）').fill('48')
    await page.getByLabel('拼团时限（小时）').blur()
    await errorOf(page, '成团人数').waitFor({ state: 'detached' })
    await errorOf(page, '拼团时限（小时）').waitFor({ state: 'detached' })
    await preview.filter({ hasText: '4 人成团，48 小时内拼满，每人得一张券' }).waitFor()
    await assertAccessible(page, 'card form with a group')
    await screenshot(page, 'first-week-07-group')
    await page.getByRole('button', { name: '保存' }).click()
    await page.waitForURL((url) => url.pathname === `/console/cards/${card.id}`)
    const saved = (await fetch(`${suite.server.base}/v1/cards/${card.id}`, { headers: { cookie: owner.cookie } }).then((r) => r.json())) as any
    assert.deepEqual(saved.group, { size: 4, hours: 48 })

    // Editing again shows it as saved; switching it off makes an ordinary card again.
    await page.goto(`${suite.server.base}/console/cards/${card.id}/edit`)
    await page.getByLabel('成团人数').waitFor()
    assert.equal(await page.getByLabel('成团人数').inputValue(), '4')
    assert.equal(await page.getByLabel('拼团时限（小时）').inputValue(), '48')
    await flip(page, '拼团')
    await page.getByLabel('成团人数').waitFor({ state: 'detached' })
    await page.getByRole('button', { name: '保存' }).click()
    await page.waitForURL((url) => url.pathname === `/console/cards/${card.id}`)
    const plain = (await fetch(`${suite.server.base}/v1/cards/${card.id}`, { headers: { cookie: owner.cookie } }).then((r) => r.json())) as any
    assert.equal(plain.group, null)
    assertNoConsoleErrors(page)
  })

  it('sets the invitation rewards of a new member card: points and a coupon of the merchant’s cards for each side', async () => {
    const forInviter = await call('/v1/cards', { type: 'cash', title: '邀请人咖啡券', notice: '结账时出示券码', reduce_cost: 800, least_cost: 3000, stock: 100, validity: { type: 'fixed_term', days: 30 } })
    const forInvitee = await call('/v1/cards', { type: 'cash', title: '新人立减券', notice: '结账时出示券码', reduce_cost: 500, least_cost: 3000, stock: 100, validity: { type: 'fixed_term', days: 30 } })
    const page = await signInToConsole('/members')
    await page.getByRole('button', { name: '创建会员卡' }).click()
    const dialog = page.getByRole('dialog', { name: '创建会员卡' })
    await dialog.waitFor()
    await dialog.getByLabel('会员卡名称').fill('邀请会员卡')
    await dialog.getByLabel('等级名称').fill('普通会员')
    await flip(dialog, '开通储值')
    await flip(dialog, '邀请有礼')
    await dialog.getByLabel('邀请人得积分').fill('200')
    await dialog.getByLabel('新会员得积分').fill('50')
    await choose(page, '邀请人得券', '邀请人咖啡券')
    // The first list closes before the second opens, so that its options are not picked instead.
    await page.locator('.el-select__popper:visible').waitFor({ state: 'hidden' })
    await choose(page, '新会员得券', '新人立减券')
    await assertAccessible(page, 'new member card with invitation rewards')
    await screenshot(page, 'first-week-08-referral')
    await dialog.getByRole('button', { name: '创建', exact: true }).click()
    await dialog.waitFor({ state: 'hidden' })
    const cards = (await fetch(`${suite.server.base}/v1/member-cards?limit=100`, { headers: { cookie: owner.cookie } }).then((r) => r.json())) as any
    const created = cards.data.find((c: any) => c.title === '邀请会员卡')
    assert.ok(created, 'the member card was created')
    assert.deepEqual(created.referral, { referrer_points: 200, invitee_points: 50, referrer_card_id: forInviter.id, invitee_card_id: forInvitee.id })

    // The card's page says what each side gets.
    await page.getByRole('button', { name: '邀请会员卡', exact: true }).click()
    await page.locator('[data-test=referral-summary]', { hasText: '邀请有礼：邀请人得 200 积分 + “邀请人咖啡券”，新会员得 50 积分 + “新人立减券”' }).waitFor()
    assertNoConsoleErrors(page)
  })

  it('names member cards as such and gives each join link a copy button and a QR code', async () => {
    const card = await call('/v1/member-cards', { title: '面馆会员', levels: [{ name: '普通会员', min_growth: 0 }], points_rules: { per_yuan: 1 }, stored_value: { enabled: false } })
    const page = await signInToConsole('/members')
    await page.getByRole('columnheader', { name: '会员卡名称' }).waitFor()
    const qr = page.getByRole('img', { name: '开通“面馆会员”的二维码' })
    await qr.waitFor()
    assert.ok(await qr.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth > 0 : new Promise<boolean>((resolve) => img.addEventListener('load', () => resolve(img.naturalWidth > 0))))), 'the QR code image loads')
    await page.getByRole('button', { name: '复制“面馆会员”的开卡链接' }).click()
    await page.getByText('已复制').waitFor()
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), card.join_url)
    await assertAccessible(page, 'member cards')
    await screenshot(page, 'first-week-04-join-link')
    assertNoConsoleErrors(page)
  })

  it('lets the clerk name a member at the till, who earns the points on what they pay', async () => {
    const store = await call('/v1/stores', { name: '徐汇店' })
    await call('/v1/staff', { ...CLERK, role: 'clerk', name: '陈店员', store_id: store.id })
    const memberCard = await call('/v1/member-cards', { title: '积分卡', levels: [{ name: '普通会员', min_growth: 0 }], points_rules: { per_yuan: 1 }, stored_value: { enabled: false } })
    const member = await call(`/v1/member-cards/${memberCard.id}/members`, { user_id: 'diner-0001' })
    const card = await call('/v1/cards', { type: 'cash', title: '满100减20', notice: '结账时出示券码', reduce_cost: 2000, least_cost: 10000, stock: 10, validity: { type: 'fixed_term', days: 30 } })
    const coupon = await call(`/v1/cards/${card.id}/issue`, { user_id: 'diner-0001' })

    const page = await openPage()
    await suite.signInToTill(page, CLERK)
    await page.getByLabel('会员号（选填）').waitFor()

    // A number nobody has is said on the member field, and nothing is redeemed.
    await page.getByLabel('订单金额（元）').fill('128')
    await page.getByLabel('会员号（选填）').fill('99999999')
    await page.getByLabel('券码').fill(coupon.code)
    await page.getByRole('button', { name: '查询' }).click()
    await page.locator('[data-test=member-error]', { hasText: '找不到这个会员号' }).waitFor()

    await page.getByLabel('会员号（选填）').fill(member.member_number.toLowerCase())
    await page.getByRole('button', { name: '查询' }).click()
    await page.locator('[data-test=member]', { hasText: `会员 ${member.member_number}` }).waitFor()
    await assertAccessible(page, 'till with a member')
    await screenshot(page, 'first-week-05-till-member')
    await page.getByRole('button', { name: '确认核销' }).click()
    // 128 less 20 off is 108 paid: 108 points at one a yuan.
    await page.locator('[data-test=points-earned]', { hasText: `会员 ${member.member_number} 获得 108 积分，现有 108 积分` }).waitFor()
    const after = await fetch(`${suite.server.base}/v1/members/${member.id}`, { headers: { cookie: owner.cookie } })
    assert.equal(((await after.json()) as { points_balance: number }).points_balance, 108)
    assertNoConsoleErrors(page)
  })
})
