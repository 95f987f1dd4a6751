/**
 * What every browser test sets up the same way: a real `kabao serve` on a fresh SQLite file, Debian's
 * Chromium, pages whose console is watched, the last page of each step screenshotted (what to look at
 * when a step fails), and everything closed afterwards. `browserSuite` registers those hooks in the
 * calling `describe`; `setUpMerchant` is the first-run sign-up through the API, returning a staff
 * session to set the rest up with.
 */
import { before, after, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { kabaoEnv, startServer, type ServerProcess } from '../../helpers/server-process.ts'
import { ensureWebBuilt } from './web-build.ts'
import { launchBrowser, screenshot, watchConsole, type ConsoleWatch } from './browser.ts'

export const DESKTOP = { width: 1280, height: 900 }
export const PHONE = { width: 390, height: 844 }

export interface PageOptions {
  /** A phone: touch and a mobile viewport. */
  mobile?: boolean
  permissions?: string[]
  acceptDownloads?: boolean
  /** How long a step may wait for the page (20 s unless told). */
  timeout?: number
}

export interface BrowserSuite {
  readonly server: ServerProcess
  readonly browser: Browser
  readonly dataDir: string
  /** A new page in a context of its own (zh-CN), its console watched. */
  openPage(viewport?: { width: number; height: number }, options?: PageOptions): Promise<Page>
  watch(page: Page): ConsoleWatch
  assertNoConsoleErrors(page: Page): void
  /** Signs in on the console's login page and waits to be at `target` (a console path). */
  signIn(page: Page, who: { login: string; password: string }, target: string): Promise<void>
  /** Opens the store terminal, which asks to sign in first, and signs in there. */
  signInToTill(page: Page, who: { login: string; password: string }): Promise<void>
}

export interface BrowserSuiteOptions {
  /** Names the temporary folder and the last-page screenshots. */
  name: string
  env?: Record<string, string>
  /** Runs once the server and the browser are up. */
  setUp?: () => Promise<void>
  /** Runs after the pages, the browser and the server are closed. */
  tearDown?: () => Promise<void>
}

export function browserSuite(options: BrowserSuiteOptions): BrowserSuite {
  let server: ServerProcess | undefined
  let browser: Browser | undefined
  let dataDir = ''
  const contexts: BrowserContext[] = []
  const watches = new Map<Page, ConsoleWatch>()
  const up = <T>(value: T | undefined, what: string): T => value ?? assert.fail(`the ${what} is not started yet`)

  before(async () => {
    await ensureWebBuilt()
    dataDir = mkdtempSync(path.join(os.tmpdir(), `kabao-e2e-${options.name}-`))
    server = await startServer(kabaoEnv(`sqlite:${path.join(dataDir, 'kabao.db')}`, options.env))
    browser = await launchBrowser()
    await options.setUp?.()
  })

  afterEach(async (t) => {
    const page = [...watches.keys()].at(-1)
    if (page && !page.isClosed()) await screenshot(page, `last-${options.name}-${t.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined)
  })

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined)
    await browser?.close()
    await server?.stop()
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
    await options.tearDown?.()
  })

  const suite: BrowserSuite = {
    get server() { return up(server, 'server') },
    get browser() { return up(browser, 'browser') },
    get dataDir() { return dataDir },
    async openPage(viewport = DESKTOP, pageOptions = {}) {
      const context = await suite.browser.newContext({
        viewport, isMobile: pageOptions.mobile, hasTouch: pageOptions.mobile, deviceScaleFactor: 1, locale: 'zh-CN', acceptDownloads: pageOptions.acceptDownloads,
      })
      if (pageOptions.permissions) await context.grantPermissions(pageOptions.permissions, { origin: suite.server.base })
      contexts.push(context)
      const page = await context.newPage()
      page.setDefaultTimeout(pageOptions.timeout ?? 20_000)
      watches.set(page, watchConsole(page))
      return page
    },
    watch: (page) => watches.get(page) ?? assert.fail('a page the suite did not open'),
    assertNoConsoleErrors: (page) => assert.deepEqual(watches.get(page)?.errors ?? [], [], 'console errors'),
    async signIn(page, who, target) {
      await page.goto(`${suite.server.base}/console/login?redirect=${encodeURIComponent(target)}`)
      await page.getByLabel('登录名（邮箱或用户名）').fill(who.login)
      await page.getByLabel('密码', { exact: true }).fill(who.password)
      await page.getByRole('button', { name: '登录' }).click()
      await page.waitForURL((url) => url.pathname === `/console${target.split('?')[0]}`)
    },
    async signInToTill(page, who) {
      await page.goto(`${suite.server.base}/pos/`)
      await page.waitForURL(/\/pos\/login$/)
      await page.getByLabel('登录名').fill(who.login)
      await page.getByLabel('密码').fill(who.password)
      await page.getByRole('button', { name: '登录' }).click()
    },
  }
  return suite
}

/** A staff session set up through the API, and calls made with it (each must succeed). */
export interface StaffApi {
  readonly cookie: string
  readonly csrf: string
  call(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<any>
}

/** The first-run sign-up (`POST /v1/setup`): the merchant and its owner, signed in. */
export async function setUpMerchant(base: string, merchantName: string, owner: { login: string; password: string }): Promise<StaffApi> {
  const first = await fetch(`${base}/v1/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ merchant_name: merchantName, login: owner.login, password: owner.password }),
  })
  assert.equal(first.status, 201, await first.clone().text())
  const cookie = first.headers.getSetCookie().find((c) => c.startsWith('kabao_session='))!.split(';')[0]
  const { csrf_token: csrf } = (await first.json()) as { csrf_token: string }
  return {
    cookie,
    csrf,
    async call(method, url, body, headers = {}) {
      const res = await fetch(`${base}${url}`, {
        method,
        headers: { cookie, 'x-kabao-csrf': csrf, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      assert.ok(res.status < 300, `${method} ${url}: ${res.status} ${await res.clone().text()}`)
      return res.status === 204 ? null : res.json()
    },
  }
}

/** Waits for an image to finish loading and tells whether it has a picture. */
export async function imageLoads(image: Locator): Promise<boolean> {
  await image.waitFor()
  return image.evaluate((img: HTMLImageElement) =>
    img.complete ? img.naturalWidth > 0 : new Promise<boolean>((resolve) => {
      img.addEventListener('load', () => resolve(img.naturalWidth > 0))
      img.addEventListener('error', () => resolve(false))
    }),
  )
}
