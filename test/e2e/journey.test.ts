/**
 * The three web apps in a real browser (Debian's Chromium, driven by playwright-core) against a real
 * `kabao serve` process on SQLite: an owner sets the installation up, an operator creates a card, a
 * customer claims it through the claim link in the wallet, a clerk redeems it at the store terminal
 * through a dropped connection, a second try is refused in words, the dashboard counts it all, and
 * customer service looks the code up, reverses the redemption and voids the coupon, and the owner changes
 * the merchant's time zone in the settings (and back).
 * Every page is screenshotted to test-artifacts/e2e/, checked for console errors and for basic
 * accessibility (named controls, keyboard reach, contrast).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { ARTIFACTS, screenshot } from './support/browser.ts'
import { browserSuite, imageLoads } from './support/suite.ts'
import { setTimeout as delay } from 'node:timers/promises'
import { tabOrder } from './support/a11y.ts'
import { assertAccessible, choose } from './support/ui.ts'
import { mailText, startSmtp, type SmtpServer } from '../helpers/smtp.ts'

const OWNER = { login: 'owner@tea.example', password: 'owner-password-1' }
const OPERATOR = { login: 'operator@tea.example', password: 'operator-password-1' }
const CLERK = { login: 'clerk-jingan', password: 'clerk-password-1' }
const PHONE = '13800138000'

describe('the web apps in a browser', () => {
  /** What the journey hands from one step to the next. */
  const journey = { claimUrl: '', code: '', apiKey: '', storeName: '静安寺店', cardTitle: '满100减20' }
  /** The owner's console, once signed in (it reads the record of sent messages). */
  let owner: Page | undefined
  /** The merchant's mail server, a real SMTP server. */
  let smtp: SmtpServer
  /** How long each app took to first show something, recorded (not asserted: this machine is shared). */
  const firstRender: Record<string, number | null> = {}

  async function recordFirstRender(page: Page, app: string): Promise<void> {
    firstRender[app] = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null)
  }

  const suite = browserSuite({
    name: 'journey',
    env: { LOG_LEVEL: 'info' },
    setUp: async () => { smtp = await startSmtp() },
    tearDown: async () => {
      mkdirSync(ARTIFACTS, { recursive: true })
      writeFileSync(path.join(ARTIFACTS, 'first-render-ms.json'), JSON.stringify(firstRender, null, 2) + '\n')
      await smtp?.close()
    },
  })
  const { openPage, assertNoConsoleErrors } = suite

  /** A new console page, signed in, on the dashboard. */
  async function signInToConsole(who: { login: string; password: string }): Promise<Page> {
    const page = await openPage()
    await suite.signIn(page, who, '/')
    await page.getByRole('heading', { name: '数据概览' }).waitFor()
    return page
  }

  /**
   * The one-time code the server would have sent to this phone: with no SMS provider set up it is only
   * recorded for the owner, who reads it in the console's 发送记录 page; it never reaches the log.
   */
  async function oneTimeCode(since: number): Promise<string> {
    const page = owner ?? (owner = await signInToConsole(OWNER))
    await page.goto(`${suite.server.base}/console/sent-messages`)
    await page.getByRole('heading', { name: '发送记录' }).waitFor()
    const row = page.locator('[data-test=sent-messages] .el-table__row', { hasText: '登录验证码' }).filter({ hasText: `+86 ${PHONE.slice(0, 3)}****${PHONE.slice(-4)}` })
    for (let i = 0; i < 50 && (await row.count()) === 0; i++) {
      await delay(100)
      await page.getByRole('button', { name: '刷新' }).click()
    }
    const text = await row.first().locator('[data-test=sent-text]').textContent()
    const code = /(\d{6})/.exec(text ?? '')?.[1]
    assert.ok(code, `no sign-in code in the record: ${text}`)
    assert.ok(!(await page.getByText(PHONE, { exact: false }).count()), 'the record shows the phone number masked')
    assert.doesNotMatch(suite.server.output().slice(since), new RegExp(`(?<!\\d)${code}(?!\\d)`), 'the sign-in code is not in the log')
    await assertAccessible(page, 'sent messages')
    await screenshot(page, 'console-10c-sent-messages')
    assertNoConsoleErrors(page)
    return code
  }

  it('sets up a new installation: the first-run page creates the owner, who adds a store and staff', async () => {
    const page = await openPage({ width: 1280, height: 860 })
    await page.goto(`${suite.server.base}/console/`)
    await page.waitForURL(/\/console\/setup$/)
    await page.getByRole('heading', { name: '欢迎使用卡包' }).waitFor()
    await recordFirstRender(page, 'console')
    await assertAccessible(page, 'setup')
    await screenshot(page, 'console-01-setup')
    const reached = await tabOrder(page, 12)
    for (const control of ['商户名称', '登录名', '密码', '确认密码']) assert.ok(reached.some((r) => r.includes(control)), `Tab reaches ${control}: ${reached.join(' / ')}`)

    // The form checks itself before sending.
    await page.getByRole('button', { name: '创建并登录' }).click()
    await page.locator('.el-form-item__error', { hasText: '必填' }).first().waitFor()
    await page.getByLabel('商户名称').fill('茶颜小馆')
    await page.getByLabel('姓名').fill('王老板')
    await page.getByLabel('登录名（邮箱或用户名）').fill(OWNER.login)
    await page.getByLabel('密码', { exact: true }).fill(OWNER.password)
    await page.getByLabel('确认密码').fill(OWNER.password)
    await page.getByRole('button', { name: '创建并登录' }).click()
    await page.getByRole('heading', { name: '数据概览' }).waitFor()
    await page.locator('[data-test=tile-today-claims]').waitFor()
    await screenshot(page, 'console-02-dashboard-empty')

    await page.getByRole('menuitem', { name: '门店管理' }).click()
    await page.getByRole('button', { name: '添加门店' }).click()
    await page.getByLabel('门店名称').fill(journey.storeName)
    await page.getByLabel('地址').fill('上海市静安区南京西路 1 号')
    await page.getByRole('dialog').getByRole('button', { name: '保存' }).click()
    await page.getByRole('cell', { name: journey.storeName }).waitFor()
    await assertAccessible(page, 'stores')
    await screenshot(page, 'console-03-stores')

    await page.getByRole('menuitem', { name: '员工管理' }).click()
    for (const [member, role, name] of [
      [OPERATOR, '运营', '李运营'],
      [CLERK, '店员', '张店员'],
    ] as const) {
      await page.getByRole('button', { name: '添加员工' }).click()
      const dialog = page.getByRole('dialog')
      await dialog.getByLabel('登录名（邮箱或用户名）').fill(member.login)
      await dialog.getByLabel('姓名').fill(name)
      await dialog.getByLabel('密码', { exact: true }).fill(member.password)
      await choose(page, '角色', role)
      if (role === '店员') await choose(page, '门店', journey.storeName)
      await dialog.getByRole('button', { name: '保存' }).click()
      await page.getByRole('cell', { name: member.login }).waitFor()
    }
    await assertAccessible(page, 'staff')
    await screenshot(page, 'console-04-staff')

    // An API key for the merchant's own backend: shown once, then only its last characters.
    await page.getByRole('menuitem', { name: 'API 密钥' }).click()
    await page.getByRole('button', { name: '创建密钥' }).click()
    await page.getByRole('dialog').getByLabel('名称').fill('会员系统')
    await choose(page, '权限', '全部权限')
    await page.getByRole('dialog').getByRole('button', { name: '创建', exact: true }).click()
    const secret = page.getByLabel('新密钥')
    await secret.waitFor()
    journey.apiKey = await secret.inputValue()
    assert.match(journey.apiKey, /^kb_[A-Za-z0-9_-]{32}$/)
    await screenshot(page, 'console-05-api-key-once')
    await page.getByRole('button', { name: '我已保存' }).click()
    await page.getByRole('cell', { name: `…${journey.apiKey.slice(-4)}` }).waitFor()
    assert.equal(await page.getByText(journey.apiKey).count(), 0, 'the key is not shown again')
    await assertAccessible(page, 'API keys')
    assertNoConsoleErrors(page)
  })

  it('lets the owner send customers e-mail through the merchant’s mail server, with a test message', async () => {
    owner = await signInToConsole(OWNER)
    const page = owner
    await page.getByRole('menuitem', { name: '消息渠道' }).click()
    await page.getByRole('heading', { name: '消息渠道' }).waitFor()
    const emailCard = page.locator('[data-test=channel-email]')
    await emailCard.getByText('未设置').waitFor()
    await assertAccessible(page, 'message channels')
    await emailCard.getByRole('button', { name: '设置' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByLabel('SMTP 地址').fill('ftp://wrong')
    await dialog.getByLabel('发件人').fill('shop@tea.example')
    await dialog.getByRole('button', { name: '保存' }).click()
    await dialog.locator('.el-form-item__error', { hasText: '请填写以 smtp:// 或 smtps:// 开头的地址' }).waitFor()
    await dialog.getByLabel('SMTP 地址').fill(smtp.url)
    await dialog.getByRole('button', { name: '保存' }).click()
    await emailCard.getByText('已设置').waitFor()
    await emailCard.getByText(new URL(smtp.url).host).waitFor()
    assert.equal(await page.getByText('s3cret').count(), 0, 'the mail server’s password is not shown')
    await screenshot(page, 'console-05b-message-channels')

    await emailCard.getByRole('button', { name: '测试发送' }).click()
    await page.getByRole('dialog').getByLabel('收件邮箱').fill('owner@tea.example')
    await page.getByRole('dialog').getByRole('button', { name: '发送测试消息' }).click()
    await page.locator('[data-test=test-result]', { hasText: '测试消息已发送到 owner@tea.example' }).waitFor()
    const mail = smtp.mails.at(-1)
    assert.deepEqual([mail?.from, mail?.to], ['shop@tea.example', ['owner@tea.example']])
    assert.match(mailText(mail!.raw), /Kabao 测试消息/)
    await screenshot(page, 'console-05c-test-sent')
    await page.getByRole('dialog').getByRole('button', { name: '取消' }).click()

    await page.getByRole('menuitem', { name: '发送记录' }).click()
    const row = page.locator('[data-test=sent-messages] .el-table__row').first()
    await row.getByText('测试消息', { exact: true }).waitFor()
    await row.getByText('已发送').waitFor()
    await row.getByText('o****@tea.example').waitFor()
    assertNoConsoleErrors(page)
  })

  it('lets an operator create a card with a live preview, shows compliance problems on their fields, and makes a claim link', async () => {
    const page = await openPage({ width: 1280, height: 900 })
    await page.goto(`${suite.server.base}/console/cards`)
    await page.waitForURL(/\/console\/login/)
    await assertAccessible(page, 'login')
    await screenshot(page, 'console-06-login')
    await page.getByLabel('登录名（邮箱或用户名）').fill(OPERATOR.login)
    await page.getByLabel('密码', { exact: true }).fill('wrong password')
    await page.getByRole('button', { name: '登录' }).click()
    await page.getByRole('alert').filter({ hasText: '账号或密码错误' }).waitFor()
    await page.getByLabel('密码', { exact: true }).fill(OPERATOR.password)
    await page.getByRole('button', { name: '登录' }).click()
    await page.getByRole('heading', { name: '卡券管理' }).waitFor()

    await page.getByRole('button', { name: '创建卡券' }).click()
    await page.getByRole('heading', { name: '创建卡券' }).waitFor()
    await page.getByLabel('卡券标题').fill(journey.cardTitle)
    await page.getByLabel('减免金额').fill('60')
    await page.getByLabel('最低消费').fill('100')
    // The merchant's compliance policy is checked as the operator types, on the field it concerns.
    const reduceItem = page.locator('.el-form-item', { has: page.getByLabel('减免金额') })
    await reduceItem.locator('.el-form-item__error', { hasText: '优惠金额不能超过最低消费的 50%' }).waitFor()
    await page.getByLabel('使用须知').fill('结账时向店员出示券码')
    await page.getByRole('button', { name: '创建卡券' }).click()
    await page.locator('.el-alert', { hasText: '有 1 处需要修改' }).waitFor()
    await screenshot(page, 'console-07-card-compliance')

    await page.getByLabel('减免金额').fill('20')
    await reduceItem.locator('.el-form-item__error').waitFor({ state: 'detached' })
    const preview = page.locator('.preview')
    await preview.getByText('满100减20').first().waitFor()
    assert.equal(await preview.locator('[data-test=face-value]').textContent(), '¥20')
    await assertAccessible(page, 'card editor')
    await screenshot(page, 'console-08-card-editor')
    await page.getByRole('button', { name: '创建卡券' }).click()
    await page.getByRole('heading', { name: journey.cardTitle }).waitFor()
    await screenshot(page, 'console-09-card-detail')

    // Pausing stops issuing until the card is started again; the stock can be topped up.
    await page.getByRole('button', { name: '暂停发放' }).click()
    await page.locator('h1', { hasText: '已暂停' }).waitFor()
    await page.getByRole('button', { name: '开始发放' }).click()
    await page.locator('h1', { hasText: '进行中' }).waitFor()
    await page.getByRole('button', { name: '修改库存' }).click()
    await page.getByRole('dialog').getByLabel('数量').fill('50')
    await page.getByRole('dialog').getByRole('button', { name: '确定' }).click()
    await page.locator('[data-test=stock]', { hasText: '1050' }).waitFor()

    await page.getByRole('button', { name: '生成领取链接' }).click()
    await page.getByRole('dialog').getByRole('button', { name: '生成' }).click()
    const link = page.locator('[data-test=claim-url]').first()
    await link.waitFor()
    journey.claimUrl = (await link.textContent())!.trim()
    assert.match(journey.claimUrl, new RegExp(`^${suite.server.base}/wallet/claim/[A-Za-z0-9_-]{32}$`))
    const qr = page.getByRole('img', { name: `领取“${journey.cardTitle}”的二维码` }).first()
    assert.ok(await imageLoads(qr), 'the QR code image loads')
    await assertAccessible(page, 'card detail')
    await screenshot(page, 'console-10-claim-link')

    await page.getByRole('menuitem', { name: '卡券管理' }).click()
    await page.getByRole('link', { name: journey.cardTitle }).waitFor()
    await assertAccessible(page, 'cards')
    await screenshot(page, 'console-10b-cards')
    assertNoConsoleErrors(page)
  })

  it('lets a customer open the claim link on a phone, sign in with a one-time code and get the coupon', async () => {
    const page = await openPage({ width: 375, height: 812 }, { mobile: true })
    await page.goto(journey.claimUrl)
    await page.getByRole('heading', { name: '茶颜小馆 送您一张券' }).waitFor()
    await recordFirstRender(page, 'wallet')
    await page.getByText('结账时向店员出示券码').waitFor()
    await assertAccessible(page, 'claim page')
    await screenshot(page, 'wallet-01-claim')
    assert.ok((await tabOrder(page, 6)).some((r) => r.includes('立即领取')), 'Tab reaches the claim button')

    await page.locator('[data-test=claim-button]').click()
    await page.waitForURL(/\/wallet\/login\?/)
    await assertAccessible(page, 'wallet sign-in')
    const logStart = suite.server.output().length
    await page.getByLabel('手机号', { exact: true }).fill(PHONE)
    await page.getByRole('button', { name: '获取验证码' }).click()
    await page.getByLabel('验证码').fill(await oneTimeCode(logStart))
    await screenshot(page, 'wallet-02-sign-in')
    await page.getByRole('button', { name: '登录', exact: true }).click()

    // Back on the claim page, the claim the customer started goes through.
    await page.getByRole('heading', { name: '领取成功，已放入卡包' }).waitFor()
    await screenshot(page, 'wallet-03-claimed')
    await page.getByRole('button', { name: '去使用' }).click()
    const code = page.locator('[data-test=coupon-code]')
    await code.waitFor()
    journey.code = (await code.textContent())!.replace(/\s/g, '')
    assert.match(journey.code, /^[0-9A-HJKMNP-TV-Z]{15}$/)
    const qr = page.locator('[data-test=coupon-qr]')
    assert.ok(await imageLoads(qr), 'the coupon QR code loads')
    await page.getByText('全天可用').waitFor()
    await assertAccessible(page, 'coupon page')
    await screenshot(page, 'wallet-04-coupon')

    await page.goto(`${suite.server.base}/wallet/`)
    const ticket = page.locator('[data-test=coupon-ticket]')
    await ticket.first().waitFor()
    assert.equal(await ticket.count(), 1)
    await page.getByText('有效期至').first().waitFor()
    await assertAccessible(page, 'wallet home')
    await screenshot(page, 'wallet-05-home')
    assertNoConsoleErrors(page)
  })

  it('signs a merchant’s own customer in to the wallet with a wallet token from its backend', async () => {
    const minted = await fetch(`${suite.server.base}/v1/wallet-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${journey.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: 'member-0042' }),
    })
    assert.equal(minted.status, 201)
    const { token } = (await minted.json()) as { token: string }
    const page = await openPage({ width: 375, height: 812 }, { mobile: true })
    await page.goto(`${suite.server.base}/wallet/auth#token=${token}`)
    await page.getByRole('tab', { name: '可使用' }).waitFor()
    await page.getByText('暂无可用的券').waitFor()
    assert.equal(new URL(page.url()).hash, '', 'the token does not stay in the address bar')
    await page.getByRole('tab', { name: '我的' }).click()
    await page.getByText('member-0042').waitFor()
    await assertAccessible(page, 'wallet me')
    await screenshot(page, 'wallet-06-token-sign-in')
    assertNoConsoleErrors(page)

    // Any wallet page takes the token in its fragment too.
    const linked = await openPage({ width: 375, height: 812 }, { mobile: true })
    await linked.goto(`${suite.server.base}/wallet/?from=app#token=${token}`)
    await linked.getByRole('tab', { name: '可使用' }).waitFor()
    await linked.getByText('暂无可用的券').waitFor()
    assert.equal(new URL(linked.url()).hash, '', 'the token does not stay in the address bar')
    assertNoConsoleErrors(linked)
  })

  it('lets a clerk redeem it at the terminal through a dropped connection, exactly once, and refuses it in words the second time', async () => {
    const page = await openPage({ width: 1024, height: 768 })
    await page.goto(`${suite.server.base}/pos/`)
    await page.waitForURL(/\/pos\/login$/)
    await recordFirstRender(page, 'pos')
    await assertAccessible(page, 'terminal sign-in')
    const reached = await tabOrder(page, 6)
    for (const control of ['登录名', '密码', '登录']) assert.ok(reached.some((r) => r.includes(control)), `Tab reaches ${control}: ${reached.join(' / ')}`)
    await screenshot(page, 'pos-01-login')
    await page.getByLabel('登录名').fill(CLERK.login)
    await page.getByLabel('密码').fill(CLERK.password)
    await page.getByRole('button', { name: '登录' }).click()
    await page.getByText(journey.storeName).waitFor()

    // The code field has the focus, so a keyboard-wedge scanner can type into it at once.
    const codeField = page.getByLabel('券码')
    await codeField.waitFor()
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'code')
    await assertAccessible(page, 'terminal')
    const order = await tabOrder(page, 8)
    for (const control of ['订单金额', '券码', '查询']) assert.ok(order.some((r) => r.includes(control)), `Tab reaches ${control}: ${order.join(' / ')}`)

    await page.getByLabel('订单金额（元）').fill('128')
    await codeField.fill(journey.code.toLowerCase())
    await codeField.press('Enter')
    await page.locator('[data-test=discount]').filter({ hasText: '¥20.00' }).waitFor()
    await page.getByText('¥108.00').waitFor()
    await screenshot(page, 'pos-02-preview')

    // The first attempt reaches the server, which redeems; its answer is lost on the way back.
    const keys: string[] = []
    let cut = false
    suite.watch(page).allow(/ERR_CONNECTION_RESET/)
    await page.route('**/v1/redemptions', async (route) => {
      if (route.request().method() !== 'POST') return route.continue()
      keys.push(route.request().headers()['idempotency-key'])
      if (!cut) {
        cut = true
        await route.fetch()
        return route.abort('connectionreset')
      }
      return route.continue()
    })
    await page.getByRole('button', { name: '确认核销' }).click()
    await page.getByText('核销成功').waitFor()
    await page.getByText('优惠 ¥20.00').waitFor()
    await screenshot(page, 'pos-03-redeemed')
    assert.equal(keys.length, 2, 'one retry after the dropped connection')
    assert.equal(keys[0], keys[1], 'the retry carries the same Idempotency-Key')
    assert.match(keys[0], /^pos-[0-9a-f]{32}$/)
    const redemptions = await page.evaluate(async () => (await fetch('/v1/redemptions?limit=50')).json())
    assert.equal(redemptions.data.filter((r: { code: string }) => r.code === journey.code).length, 1, 'redeemed exactly once')
    await page.unroute('**/v1/redemptions')

    // Scanning the same code again: a large plain-language refusal.
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'code')
    await codeField.fill(journey.code)
    await codeField.press('Enter')
    const refusal = page.getByRole('alert')
    await refusal.filter({ hasText: '这张券已经核销过了' }).waitFor()
    // When and where, in Chinese with the store's name: never the server's English or an id.
    const detail = (await refusal.locator('.result__detail').textContent()) ?? ''
    assert.match(detail, new RegExp(`^已于 \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} 在${journey.storeName}核销$`), detail)
    await page.getByLabel('语言').selectOption('en')
    await refusal.filter({ hasText: 'This coupon has already been used' }).waitFor()
    assert.equal(await page.title(), 'Kabao · Store terminal')
    await page.getByLabel('Language').selectOption('zh-CN')
    await refusal.filter({ hasText: '这张券已经核销过了' }).waitFor()
    assert.ok(Number.parseFloat(await refusal.locator('.result__big').evaluate((el) => getComputedStyle(el).fontSize)) >= 28, 'the refusal is large')
    await assertAccessible(page, 'terminal refusal')
    await screenshot(page, 'pos-04-refused')
    assertNoConsoleErrors(page)
  })

  it('counts the claim and the redemption on the dashboard, and switches to English', async () => {
    const page = await signInToConsole(OPERATOR)
    const tile = (key: string) => page.locator(`[data-test=tile-${key}] .tile__value`)
    await tile('today-claims').waitFor()
    assert.equal(await tile('today-claims').textContent(), '1')
    assert.equal(await tile('today-redemptions').textContent(), '1')
    assert.equal(await tile('today-rate').textContent(), '100.0%')
    assert.equal(await tile('stock').textContent(), '1049')
    await page.locator('canvas').first().waitFor()
    await assertAccessible(page, 'dashboard')
    await screenshot(page, 'console-11-dashboard')

    await choose(page, '语言', 'English')
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor()
    await page.reload()
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor()
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en')
    await screenshot(page, 'console-12-dashboard-en')
    assertNoConsoleErrors(page)
  })

  it('lets an operator look a coupon up by its code, reverse its redemption and void it', async () => {
    const page = await signInToConsole(OPERATOR)
    await page.getByRole('menuitem', { name: '券码查询' }).click()
    await page.getByRole('heading', { name: '券码查询' }).waitFor()

    const codeField = page.getByLabel('券码')
    await codeField.fill('NO-SUCH-CODE')
    await codeField.press('Enter')
    await page.getByRole('alert').filter({ hasText: '查无此券，请核对券码' }).waitFor()

    // Typed the way it is printed: in groups, with spaces and hyphens.
    await codeField.fill(`${journey.code.slice(0, 4)} ${journey.code.slice(4, 8)}-${journey.code.slice(8)}`)
    await page.getByRole('button', { name: '查询' }).click()
    const state = page.locator('[data-test=coupon-state]')
    await state.filter({ hasText: '已核销' }).waitFor()
    await page.getByText(journey.cardTitle).first().waitFor()
    const redemption = page.locator('[data-test=redemption]')
    await redemption.getByText(journey.storeName).waitFor()
    await redemption.getByText('¥20.00').waitFor()
    await redemption.getByText('¥128.00').waitFor()
    await assertAccessible(page, 'coupon lookup')
    await screenshot(page, 'console-13-coupon-redeemed')

    await page.getByRole('button', { name: '撤销核销' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByLabel('原因（选填）').fill('顾客退单')
    await assertAccessible(page, 'reverse dialog')
    await dialog.getByRole('button', { name: '撤销核销' }).click()
    await state.filter({ hasText: '可使用' }).waitFor()
    assert.equal(await page.locator('[data-test=redemption]').count(), 0, 'the reversed redemption is no longer shown as the coupon’s')

    await page.getByRole('button', { name: '作废此券' }).click()
    await dialog.getByLabel('原因（选填）').fill('客服作废')
    await dialog.getByRole('button', { name: '作废此券' }).click()
    await state.filter({ hasText: '已作废' }).waitFor()
    await dialog.waitFor({ state: 'hidden' })
    assert.equal(await page.getByRole('button', { name: '作废此券' }).count(), 0, 'a voided coupon offers no actions')
    await screenshot(page, 'console-14-coupon-voided')
    const coupon = await page.evaluate(async (code) => (await fetch(`/v1/coupons/${code}`)).json(), journey.code)
    assert.equal(coupon.state, 'voided')
    assertNoConsoleErrors(page)
  })

  it('lets the owner change the merchant’s time zone in the settings, and keeps it', async () => {
    const page = await signInToConsole(OWNER)
    await page.getByRole('menuitem', { name: '商户设置' }).click()
    await page.getByRole('heading', { name: '商户设置' }).waitFor()
    const zone = page.locator('.el-select__wrapper', { has: page.getByRole('combobox', { name: '时区', exact: true }) })
    await zone.filter({ hasText: 'Asia/Shanghai' }).waitFor()
    assert.equal(await page.getByLabel('商户名称').inputValue(), '茶颜小馆')
    await page.getByText('卡券的有效天数和可用时段都按此时区计算。').waitFor()
    await page.locator('[data-test=policy]', { hasText: '50%' }).waitFor()
    await assertAccessible(page, 'settings')

    const save = async () => {
      const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/merchant' && r.request().method() === 'PATCH')
      await page.getByRole('button', { name: '保存' }).click()
      assert.equal((await answered).status(), 200)
    }
    await choose(page, '时区', 'Asia/Tokyo')
    await save()
    await screenshot(page, 'console-15-settings')
    await page.reload()
    await page.getByRole('heading', { name: '商户设置' }).waitFor()
    await zone.filter({ hasText: 'Asia/Tokyo' }).waitFor()
    const merchant = await page.evaluate(async () => (await fetch('/v1/merchant')).json())
    assert.equal(merchant.timezone, 'Asia/Tokyo')

    // Back to the zone the rest of the journey was made in.
    await choose(page, '时区', 'Asia/Shanghai')
    await save()
    assertNoConsoleErrors(page)
  })
})
