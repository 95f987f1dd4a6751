import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core'
import { CHROMIUM_ARGS, ensureChromium } from './chromium.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'e2e')

export async function launchBrowser(): Promise<Browser> {
  const executablePath = await ensureChromium()
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS })
}

/** Saves a full-page screenshot as test-artifacts/e2e/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true })
  const file = path.join(ARTIFACTS, `${name}.png`)
  await page.screenshot({ path: file, fullPage: true })
  return file
}

/**
 * Chromium reports every HTTP error answer as "Failed to load resource". An API call answered with a
 * 4xx problem is part of how the pages work (a refused redemption, a wrong password, the session
 * check before signing in): the page shows it in words. Everything else on the console counts:
 * script errors, failed assets, server errors, Vue warnings, CSP violations.
 */
function expectedApiProblem(message: ConsoleMessage): boolean {
  return /^Failed to load resource: the server responded with a status of 4\d\d/.test(message.text()) && new URL(message.location().url || 'http://x/').pathname.startsWith('/v1/')
}

export interface ConsoleWatch {
  /** Console errors and uncaught exceptions so far. */
  readonly errors: string[]
  /** Also accept messages matching this (a connection the test cut on purpose). */
  allow(pattern: RegExp): void
}

export function watchConsole(page: Page): ConsoleWatch {
  const errors: string[] = []
  const allowed: RegExp[] = []
  page.on('console', (message) => {
    if (message.type() !== 'error' && message.type() !== 'warning') return
    if (message.type() === 'warning' && !/vue|Vue/.test(message.text())) return
    if (expectedApiProblem(message) || allowed.some((pattern) => pattern.test(message.text()))) return
    errors.push(`${message.type()}: ${message.text()} (${message.location().url})`)
  })
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`))
  return { errors, allow: (pattern) => allowed.push(pattern) }
}
