/**
 * The member-card and webhook sections in a real browser against a real `kabao serve` (SQLite, with its
 * webhook worker): an operator registers a webhook endpoint (a receiver this test runs) and creates a
 * member card; a customer joins it in the wallet and sees level and points; the operator adjusts the
 * points; the customer sees the new balance and an inbox notification; the operator sees the deliveries
 * in the endpoint's log and redelivers one. Screenshots, console errors and accessibility as in
 * journey.test.ts.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Page } from 'playwright-core'
import { screenshot } from './support/browser.ts'
import { browserSuite, setUpMerchant } from './support/suite.ts'
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.ts'
import { tabOrder } from './support/a11y.ts'
import { assertAccessible } from './support/ui.ts'

const OWNER = { login: 'owner@bakery.example', password: 'owner-password-1' }
const OPERATOR = { login: 'operator@bakery.example', password: 'operator-password-1' }
const CUSTOMER = 'member-0007'
const CARD_TITLE = '麦香会员卡'

describe('member cards and webhooks in a browser', () => {
  let receiver: Receiver
  const journey = { joinUrl: '', walletToken: '', memberNumber: '' }
  const suite = browserSuite({
    name: 'members',
    // With its jobs, so the webhook worker delivers.
    env: { KABAO_JOBS: 'true' },
    /** A receiver for the webhooks; the owner and an operator through the API, and a wallet token for the customer. */
    setUp: async () => {
      receiver = await startReceiver()
      const { call } = await setUpMerchant(suite.server.base, '麦香烘焙', OWNER)
      await call('POST', '/v1/staff', { ...OPERATOR, role: 'operator', name: '赵运营' })
      journey.walletToken = (await call('POST', '/v1/wallet-tokens', { user_id: CUSTOMER })).token
    },
    tearDown: async () => { await receiver?.close() },
  })
  const { openPage, assertNoConsoleErrors } = suite
  const signInOperator = (page: Page, path: string) => suite.signIn(page, OPERATOR, path)

  it('lets an operator register a webhook endpoint, its secret shown once, and create a member card with levels', async () => {
    const page = await openPage({ width: 1280, height: 900 })
    await signInOperator(page, '/webhooks')
    await page.getByRole('heading', { name: '事件推送' }).waitFor()
    await page.getByRole('button', { name: '添加推送地址' }).click()
    const dialog = page.getByRole('dialog')
    // The form checks itself before sending.
    await dialog.getByLabel('推送地址').fill('not a url')
    await dialog.getByRole('button', { name: '添加', exact: true }).click()
    await dialog.locator('.el-form-item__error', { hasText: '请输入 http(s):// 开头的地址' }).waitFor()
    await dialog.getByLabel('推送地址').fill(receiver.url)
    await dialog.getByRole('button', { name: '添加', exact: true }).click()
    const secret = page.getByLabel('签名密钥')
    await secret.waitFor()
    assert.match(await secret.inputValue(), /^whsec_/)
    await screenshot(page, 'members-01-webhook-secret')
    await page.getByRole('button', { name: '我已保存' }).click()
    await page.getByRole('cell', { name: receiver.url }).waitFor()
    await page.locator('[data-test=endpoint-status]', { hasText: '启用中' }).waitFor()
    await assertAccessible(page, 'webhooks')

    await page.getByRole('menuitem', { name: '会员与积分' }).click()
    await page.getByRole('button', { name: '创建会员卡' }).click()
    const form = page.getByRole('dialog')
    await form.getByRole('button', { name: '创建', exact: true }).click()
    await form.locator('.el-form-item__error', { hasText: '请填写名称' }).waitFor()
    await form.getByLabel('会员卡名称').fill(CARD_TITLE)
    await form.getByLabel('等级名称').first().fill('普通会员')
    await form.getByRole('button', { name: /添加等级/ }).click()
    await form.getByLabel('等级名称').nth(1).fill('金卡会员')
    await form.getByLabel('储值退款规则（向会员公布）').fill('未消费余额可随时申请全额退款。')
    await assertAccessible(page, 'member card form')
    await screenshot(page, 'members-02-member-card-form')
    await form.getByRole('button', { name: '创建', exact: true }).click()
    const joinUrl = page.locator('[data-test=join-url]').first()
    await joinUrl.waitFor()
    journey.joinUrl = (await joinUrl.textContent())!.trim()
    assert.match(journey.joinUrl, new RegExp(`^${suite.server.base}/wallet/member-cards/\\S+$`))
    await page.getByRole('cell', { name: '普通会员 / 金卡会员' }).waitFor()
    await assertAccessible(page, 'member cards')
    await screenshot(page, 'members-03-member-cards')
    assertNoConsoleErrors(page)
  })

  it('lets a customer join the member card in the wallet, with consent for the details they share, and see level and points', async () => {
    const page = await openPage({ width: 375, height: 812 }, { mobile: true })
    await page.goto(`${journey.joinUrl}#token=${journey.walletToken}`)
    await page.getByRole('heading', { name: CARD_TITLE }).waitFor()
    await page.getByText('金卡会员').waitFor()
    await assertAccessible(page, 'join page')
    assert.ok((await tabOrder(page, 10)).some((r) => r.includes('立即开卡')), 'Tab reaches the join button')
    await page.getByLabel('姓名').fill('小王')
    await page.locator('[data-test=join-button]').click()
    await page.getByRole('alert').filter({ hasText: '提交资料需要您的同意' }).waitFor()
    await page.getByRole('checkbox', { name: /我同意/ }).click()
    await page.locator('[data-test=join-button]').click()
    await page.getByRole('heading', { name: '您已是会员，当前等级：普通会员' }).waitFor()
    await screenshot(page, 'members-04-joined')

    await page.getByRole('button', { name: '查看会员卡' }).click()
    await page.locator('[data-test=member-level]', { hasText: '普通会员' }).waitFor()
    assert.equal((await page.locator('[data-test=member-points] .van-cell__value').textContent())?.trim(), '0')
    await page.getByText('未消费余额可随时申请全额退款。').waitFor()
    const number = await page.locator('.member__number').textContent()
    journey.memberNumber = number!.replace('No.', '').trim()
    await assertAccessible(page, 'member page')
    await screenshot(page, 'members-05-member-card')
    assertNoConsoleErrors(page)
  })

  it('lets the operator adjust the member’s points with a reason, and shows the ledger', async () => {
    const page = await openPage({ width: 1280, height: 900 })
    await signInOperator(page, '/members')
    await page.getByRole('button', { name: CARD_TITLE, exact: true }).click()
    await page.locator('[data-test=members]').getByRole('cell', { name: journey.memberNumber, exact: true }).waitFor()
    await page.getByRole('button', { name: `查看会员 ${journey.memberNumber}` }).click()
    const drawer = page.getByRole('dialog')
    await drawer.getByRole('button', { name: '调整积分' }).click()
    await drawer.locator('.el-form-item__error', { hasText: '请输入不为 0 的整数' }).waitFor()
    await drawer.getByLabel('积分增减').fill('200')
    await drawer.getByLabel('原因').fill('开业活动赠送')
    await drawer.getByRole('button', { name: '调整积分' }).click()
    await drawer.locator('[data-test=member-points]', { hasText: '200' }).waitFor()
    await drawer.locator('[data-test=points-ledger]').getByRole('cell', { name: '开业活动赠送' }).waitFor()
    await assertAccessible(page, 'member drawer')
    await screenshot(page, 'members-06-points-adjusted')
    assertNoConsoleErrors(page)
  })

  it('shows the customer the new points and an unread notification in the inbox', async () => {
    const page = await openPage({ width: 375, height: 812 }, { mobile: true })
    await page.goto(`${suite.server.base}/wallet/member#token=${journey.walletToken}`)
    await page.locator('[data-test=member-points] .van-cell__value', { hasText: '200' }).waitFor()
    await page.getByText('开业活动赠送').waitFor()
    await page.locator('[data-test=inbox-tab] .van-badge', { hasText: /^\d+$/ }).waitFor()
    await screenshot(page, 'members-07-points-seen')

    await page.getByRole('tab', { name: /消息/ }).click()
    const notice = page.locator('[data-test=notification]', { hasText: '积分到账' })
    await notice.waitFor()
    await assertAccessible(page, 'inbox')
    await screenshot(page, 'members-08-inbox')
    await page.getByRole('button', { name: '全部已读' }).click()
    await page.locator('[data-test=inbox-tab] .van-badge').waitFor({ state: 'detached' })
    assert.equal(await page.locator('.inbox__unread').count(), 0, 'every message reads as read')
    assertNoConsoleErrors(page)
  })

  it('shows the operator the deliveries in the endpoint’s log and redelivers one', async () => {
    await receiver.until((received) => received.some((r) => r.body?.type === 'points.changed'), 'the points.changed delivery')
    const page = await openPage({ width: 1280, height: 900 })
    await signInOperator(page, '/webhooks')
    await page.getByRole('button', { name: '推送记录' }).click()
    const log = page.locator('[data-test=deliveries]')
    const row = log.getByRole('row').filter({ hasText: 'points.changed' })
    await row.filter({ hasText: '已送达' }).waitFor()
    assert.ok((await log.getByRole('row').filter({ hasText: 'member.joined' }).count()) >= 1, 'the join was delivered too')
    await assertAccessible(page, 'delivery log')
    await screenshot(page, 'members-09-deliveries')

    const before = receiver.received.filter((r) => r.body?.type === 'points.changed').length
    await row.getByRole('button', { name: '重新推送 points.changed' }).click()
    await page.getByText('已重新推送').waitFor()
    await receiver.until((received) => received.filter((r) => r.body?.type === 'points.changed').length > before, 'the redelivery')
    await page.getByRole('tab', { name: '推送日志' }).click()
    await page.getByRole('cell', { name: '200' }).first().waitFor()
    await screenshot(page, 'members-10-attempt-log')
    assertNoConsoleErrors(page)
  })
})
