import assert from 'node:assert/strict'
import type { Page } from 'playwright-core'
import { auditPage } from './a11y.ts'

/** Every control named, text at WCAG AA contrast, and some text actually checked. */
export async function assertAccessible(page: Page, name: string): Promise<void> {
  const report = await auditPage(page)
  assert.deepEqual(report.unnamed, [], `${name}: controls without an accessible name`)
  assert.deepEqual(report.lowContrast, [], `${name}: text below WCAG AA contrast`)
  assert.ok(report.checkedText > 3, `${name}: some text was checked`)
}

/** Picks an option of an Element Plus select by the select's label and the option's text. */
export async function choose(page: Page, label: string, option: string): Promise<void> {
  await page.locator('.el-select__wrapper', { has: page.getByRole('combobox', { name: label, exact: true }) }).click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: option }).first().click()
  // The dropdown fades out and intercepts clicks until it has (a multiple select stays open: close it),
  // so the next click does not land on it on a loaded machine.
  const dropdown = page.locator('.el-select-dropdown:visible')
  try {
    await dropdown.first().waitFor({ state: 'hidden', timeout: 2000 })
  } catch {
    await page.keyboard.press('Escape')
    await dropdown.first().waitFor({ state: 'hidden' })
  }
}
