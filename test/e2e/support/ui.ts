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
  const combobox = page.getByRole('combobox', { name: label, exact: true })
  const wrapper = page.locator('.el-select__wrapper', { has: combobox })
  // The select's own list (its combobox names it), so a fading list of another select is never clicked.
  const list = page.locator(`[id="${await combobox.getAttribute('aria-controls')}"]`)
  const item = list.locator('.el-select-dropdown__item', { hasText: option }).first()
  // On a loaded machine a click can land while the list is still opening or its options are still
  // arriving: confirm the option took, and pick it again if it did not.
  for (let attempt = 1; ; attempt++) {
    if (!(await item.isVisible())) await wrapper.click()
    await item.click()
    try {
      await list.locator('.el-select-dropdown__item[aria-selected=true]', { hasText: option }).first().waitFor({ state: 'attached', timeout: 2000 })
      break
    } catch (error) {
      if (attempt === 3) throw error
    }
  }
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
