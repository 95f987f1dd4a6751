/**
 * Debian's Chromium for the browser tests. Browsers that tools download for themselves are not
 * available here, so the suite installs the distribution's package once when it is missing, with a
 * Chinese font so that the screenshots show the pages as merchants read them.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { withLock } from './lock.ts'

export const CHROMIUM_PATH = '/usr/bin/chromium'

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

const CJK_FONT_PACKAGE = 'fonts-wqy-zenhei'

function apt(args: string[]): void {
  execFileSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
}

function hasChineseFont(): boolean {
  try {
    return execFileSync('fc-list', [':lang=zh'], { encoding: 'utf8' }).trim() !== ''
  } catch {
    return false
  }
}

function missingPackages(): string[] {
  return [...(existsSync(CHROMIUM_PATH) ? [] : ['chromium']), ...(hasChineseFont() ? [] : [CJK_FONT_PACKAGE])]
}

/** Installs Chromium with apt-get (as root) unless it is there; parallel test files install it once. */
export async function ensureChromium(): Promise<string> {
  if (missingPackages().length === 0) return CHROMIUM_PATH
  await withLock('chromium-install', async () => {
    const missing = missingPackages()
    if (missing.length === 0) return
    if (process.getuid?.() !== 0) {
      if (!missing.includes('chromium')) return
      throw new Error(`The browser tests need Chromium at ${CHROMIUM_PATH}. Install it with: sudo apt-get install -y chromium`)
    }
    console.error(`[e2e] installing Debian's ${missing.join(' and ')} for the browser tests (apt-get install -y ${missing.join(' ')}), once…`)
    const install = ['install', '-y', '--no-install-recommends', ...missing]
    try {
      apt(install)
    } catch {
      // A fresh machine may not have package lists yet.
      apt(['update'])
      apt(install)
    }
    if (!existsSync(CHROMIUM_PATH)) throw new Error(`apt-get installed chromium but ${CHROMIUM_PATH} is missing`)
    console.error(`[e2e] Chromium is installed at ${CHROMIUM_PATH}.`)
  })
  return CHROMIUM_PATH
}
