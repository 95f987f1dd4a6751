/**
 * The group coupon (拼团) page of the wallet in a real browser against a real `kabao serve` (SQLite): a
 * friend opens the link to a group someone opened, sees its progress and countdown on a phone-sized page,
 * joins it, and the group completes with their coupon. Screenshots in test-artifacts/e2e/.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { kabaoEnv, startServer, type ServerProcess } from '../helpers/server-process.ts'
import { ensureWebBuilt } from './support/web-build.ts'
import { launchBrowser, screenshot, watchConsole } from './support/browser.ts'

describe('the group page in a browser', () => {
  let server: ServerProcess
  let browser: Browser
  let dataDir: string
  let call: (url: string, body: unknown, token?: string) => Promise<any>

  before(async () => {
    await ensureWebBuilt()
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'kabao-e2e-groups-'))
    server = await startServer(kabaoEnv(`sqlite:${path.join(dataDir, 'kabao.db')}`))
    browser = await launchBrowser()
    const setup = await fetch(`${server.base}/v1/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ merchant_name: '拼团小馆', login: 'owner@groups.example', password: 'owner-password-1' }),
    })
    assert.equal(setup.status, 201, await setup.clone().text())
    const cookie = setup.headers.getSetCookie().find((c) => c.startsWith('kabao_session='))!.split(';')[0]
    const { csrf_token } = (await setup.json()) as { csrf_token: string }
    call = async (url, body, token) => {
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : { cookie, 'x-kabao-csrf': csrf_token }
      const res = await fetch(`${server.base}${url}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) })
      assert.ok(res.status < 300, `${url}: ${res.status} ${await res.clone().text()}`)
      return res.json()
    }
  })

  after(async () => {
    await browser?.close()
    await server?.stop()
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })

  it('shows a group’s progress and countdown, and a friend joining completes it', async () => {
    const card = await call('/v1/cards', { type: 'cash', title: '双人套餐立减', notice: '到店出示', reduce_cost: 2000, least_cost: 10000, stock: 10, validity: { type: 'fixed_term', days: 30 }, group: { size: 2, hours: 24 } })
    const opener = (await call('/v1/wallet-tokens', { user_id: 'opener-0001' })).token
    const friend = (await call('/v1/wallet-tokens', { user_id: 'friend-0002' })).token
    const group = await call(`/v1/wallet/cards/${card.id}/groups`, {}, opener)

    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1, locale: 'zh-CN' })
    const page = await context.newPage()
    page.setDefaultTimeout(20_000)
    const watch = watchConsole(page)
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
    assert.deepEqual(watch.errors, [], 'console errors')
    await context.close()
  })
})
