/**
 * The API reference under /docs in a real browser, with the security headers the server sends: Swagger UI
 * renders the OpenAPI document and the browser reports no blocked script, style or request.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { Browser } from 'playwright-core'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { launchBrowser, screenshot, watchConsole } from './support/browser.ts'

describe('the API reference in a browser', () => {
  let t: TestApp
  let browser: Browser
  let base: string
  before(async () => {
    t = await startTestApp('sqlite')
    base = await t.listen()
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await t?.close()
  })

  it('renders the document under its content security policy', async () => {
    const page = await browser.newPage()
    const console = watchConsole(page)
    await page.goto(`${base}/docs/`, { timeout: 180_000 })
    // Swagger UI renders the document's operations as the page scrolls: the first ones show it read it.
    await page.locator('.swagger-ui .info h1.title', { hasText: 'Kabao API' }).waitFor({ timeout: 180_000 })
    await page.locator('.swagger-ui .opblock').first().waitFor({ timeout: 180_000 })
    await screenshot(page, 'api-docs')
    assert.deepEqual(console.errors, [])
  })
})
