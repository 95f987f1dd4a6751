/// <reference lib="dom" />
import type { Page } from 'playwright-core'

/**
 * Basic accessibility checks run in the page: every control a person can operate has a name a screen
 * reader can say, and visible text stands out from its background (WCAG AA: 4.5:1, 3:1 for large text).
 * Disabled controls and placeholders are exempt, as WCAG says.
 */
export interface A11yReport {
  unnamed: string[]
  lowContrast: string[]
  checkedText: number
}

export async function auditPage(page: Page): Promise<A11yReport> {
  return page.evaluate(() => {
    const visible = (el: Element): boolean => {
      const rect = el.getBoundingClientRect()
      if (rect.width === 0 || rect.height === 0) return false
      for (let node: Element | null = el; node; node = node.parentElement) {
        const style = getComputedStyle(node)
        if (style.display === 'none' || style.visibility === 'hidden' || Number(style.opacity) === 0) return false
        if (node.getAttribute('aria-hidden') === 'true') return false
      }
      return true
    }
    const describe = (el: Element): string => {
      const id = el.id ? `#${el.id}` : ''
      const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).slice(0, 2).join('.')}` : ''
      return `<${el.tagName.toLowerCase()}${id}${cls}> "${(el.textContent ?? '').trim().slice(0, 40)}"`
    }
    const textOf = (ids: string): string =>
      ids
        .split(/\s+/)
        .map((id) => document.getElementById(id)?.textContent ?? '')
        .join(' ')
        .trim()
    const accessibleName = (el: Element): string => {
      const aria = el.getAttribute('aria-label')?.trim()
      if (aria) return aria
      const labelledBy = el.getAttribute('aria-labelledby')
      if (labelledBy && textOf(labelledBy)) return textOf(labelledBy)
      if ((el as HTMLInputElement).labels?.length) {
        const text = Array.from((el as HTMLInputElement).labels!).map((l) => l.textContent ?? '').join(' ').trim()
        if (text) return text
      }
      const title = el.getAttribute('title')?.trim()
      if (title) return title
      const tag = el.tagName.toLowerCase()
      if (tag === 'button' || tag === 'a' || el.getAttribute('role')) {
        const text = (el.textContent ?? '').trim()
        if (text) return text
        const img = el.querySelector('img[alt]')
        if (img?.getAttribute('alt')?.trim()) return img.getAttribute('alt')!.trim()
      }
      if (tag === 'input' && ['submit', 'button', 'reset'].includes((el as HTMLInputElement).type)) return (el as HTMLInputElement).value
      return ''
    }

    const controls = document.querySelectorAll(
      'input:not([type=hidden]), select, textarea, button, a[href], [role=button], [role=checkbox], [role=radio], [role=switch], [role=combobox], [role=tab], [role=menuitem], [role=slider]',
    )
    const unnamed: string[] = []
    for (const el of Array.from(controls)) {
      if (!visible(el)) continue
      if ((el as HTMLInputElement).disabled) continue
      // A visually hidden native input inside a labelled wrapper (checkbox, radio, switch) is named by its label.
      if (!accessibleName(el)) unnamed.push(describe(el))
    }

    const parse = (color: string): [number, number, number, number] | null => {
      const match = /rgba?\(([^)]+)\)/.exec(color)
      if (!match) return null
      const parts = match[1].split(/[\s,/]+/).filter(Boolean).map(Number)
      return [parts[0], parts[1], parts[2], parts[3] ?? 1]
    }
    const luminance = ([r, g, b]: number[]): number => {
      const [R, G, B] = [r, g, b].map((c) => {
        const s = c / 255
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
      })
      return 0.2126 * R + 0.7152 * G + 0.0722 * B
    }
    /** The colour behind an element: the first opaque background up the tree, blending translucent ones. */
    const backgroundOf = (el: Element): [number, number, number] | null => {
      const layers: [number, number, number, number][] = []
      for (let node: Element | null = el; node; node = node.parentElement) {
        const style = getComputedStyle(node)
        if (style.backgroundImage !== 'none' && !style.backgroundImage.startsWith('radial-gradient')) return null
        const bg = parse(style.backgroundColor)
        if (bg && bg[3] > 0) {
          layers.push(bg)
          if (bg[3] >= 1) break
        }
      }
      let color: [number, number, number] = [255, 255, 255]
      for (const [r, g, b, a] of layers.reverse()) color = [r * a + color[0] * (1 - a), g * a + color[1] * (1 - a), b * a + color[2] * (1 - a)]
      return color
    }

    const lowContrast: string[] = []
    let checkedText = 0
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
    const seen = new Set<Element>()
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement
      if (!el || seen.has(el) || !(node.textContent ?? '').trim() || !visible(el)) continue
      seen.add(el)
      if (el.closest('[disabled], .is-disabled, [aria-disabled=true], .van-button--disabled, option, script, style, noscript')) continue
      const style = getComputedStyle(el)
      const fg = parse(style.color)
      const bg = backgroundOf(el)
      if (!fg || !bg) continue
      const blended = [fg[0] * fg[3] + bg[0] * (1 - fg[3]), fg[1] * fg[3] + bg[1] * (1 - fg[3]), fg[2] * fg[3] + bg[2] * (1 - fg[3])]
      const [hi, lo] = [luminance(blended), luminance(bg)].sort((a, b) => b - a)
      const ratio = (hi + 0.05) / (lo + 0.05)
      const size = Number.parseFloat(style.fontSize)
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700)
      checkedText++
      if (ratio < (large ? 3 : 4.5)) lowContrast.push(`${describe(el)} ${ratio.toFixed(2)}:1 (${style.color} on rgb(${bg.map(Math.round).join(',')}))`)
    }
    return { unnamed, lowContrast, checkedText }
  })
}

/**
 * Presses Tab up to `presses` times from the top of the page and returns what took the focus, each as
 * its accessible name or id, so a test can check that the main controls are reachable by keyboard.
 */
export async function tabOrder(page: Page, presses = 25): Promise<string[]> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
  await page.locator('body').focus().catch(() => undefined)
  const reached: string[] = []
  for (let i = 0; i < presses; i++) {
    await page.keyboard.press('Tab')
    reached.push(
      await page.evaluate(() => {
        const el = document.activeElement
        if (!el || el === document.body) return ''
        const labels = (el as HTMLInputElement).labels
        const label = labels && labels.length > 0 ? labels[0].textContent?.trim() : ''
        return [el.getAttribute('aria-label'), label, el.id, (el.textContent ?? '').trim().slice(0, 30)].filter(Boolean).join(' | ')
      }),
    )
  }
  return reached
}
