import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { MESSAGES as CONSOLE } from '../../web/console/src/i18n.ts'
import { MESSAGES as WALLET } from '../../web/wallet/src/i18n.ts'
import { MESSAGES as POS } from '../../web/pos/src/i18n.ts'

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web')

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'dist' ? [] : sources(full)
    return /\.(vue|ts)$/.test(entry.name) ? [full] : []
  })
}

/** Keys written as t('a.b') and prefixes of keys built as t(`a.${x}`). */
function keysUsed(app: string): { keys: Set<string>; prefixes: Set<string> } {
  const keys = new Set<string>()
  const prefixes = new Set<string>()
  for (const file of sources(path.join(WEB, app, 'src'))) {
    const text = readFileSync(file, 'utf8')
    for (const match of text.matchAll(/\bt\('([a-zA-Z]+\.[a-zA-Z0-9.]+)'/g)) keys.add(match[1])
    for (const match of text.matchAll(/\bt\(`([a-zA-Z]+\.)\$\{/g)) prefixes.add(match[1])
  }
  return { keys, prefixes }
}

describe('the web apps speak Chinese and English', () => {
  for (const [app, messages] of [['console', CONSOLE], ['wallet', WALLET], ['pos', POS]] as const) {
    it(`has every ${app} message in both languages`, () => {
      const zh = Object.keys(messages['zh-CN']).sort()
      const en = Object.keys(messages.en).sort()
      assert.deepEqual(en, zh, 'the same keys in both dictionaries')
      const { keys, prefixes } = keysUsed(app)
      assert.ok(keys.size > 10)
      const missing = [...keys].filter((key) => !(key in messages['zh-CN']))
      assert.deepEqual(missing, [], 'keys used by the pages but missing from the dictionaries')
      for (const prefix of prefixes) assert.ok(zh.some((key) => key.startsWith(prefix)), `some ${prefix}* key exists`)
      for (const [key, text] of Object.entries(messages['zh-CN'])) {
        const params = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()
        assert.deepEqual(params(messages.en[key]), params(text), `${key} has the same placeholders in both languages`)
      }
    })
  }
})
