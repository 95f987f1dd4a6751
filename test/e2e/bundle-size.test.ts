/**
 * What a first visit downloads: each app's JavaScript must stay under 500 KB gzipped, counting the entry
 * of index.html with everything it imports statically, and also the chunks of the page a visit usually
 * lands on (pages are split per route and load on demand).
 */
import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { APPS, distOf, type WebApp } from '../../scripts/build-web.ts'
import { ensureWebBuilt } from './support/web-build.ts'
import { ARTIFACTS } from './support/browser.ts'

const LIMIT = 500 * 1024

interface Chunk {
  file: string
  isEntry?: boolean
  isDynamicEntry?: boolean
  imports?: string[]
  dynamicImports?: string[]
}

/** Where a visit usually lands first in each app. */
const LANDING: Record<WebApp, string[]> = {
  console: ['src/layouts/ConsoleLayout.vue', 'src/pages/DashboardPage.vue'],
  wallet: ['src/pages/ClaimPage.vue', 'src/pages/CouponsPage.vue'],
  pos: ['src/pages/TerminalPage.vue'],
}

function manifestOf(app: WebApp): Record<string, Chunk> {
  return JSON.parse(readFileSync(path.join(distOf(app), '.vite', 'manifest.json'), 'utf8'))
}

/** The chunks loaded with `keys`: the keys themselves and their static imports, transitively. */
function closure(manifest: Record<string, Chunk>, keys: string[]): Set<string> {
  const seen = new Set<string>()
  const visit = (key: string) => {
    if (seen.has(key)) return
    assert.ok(manifest[key], `${key} is in the manifest`)
    seen.add(key)
    for (const imported of manifest[key].imports ?? []) visit(imported)
  }
  keys.forEach(visit)
  return seen
}

function gzippedJs(app: WebApp, manifest: Record<string, Chunk>, keys: Set<string>): number {
  let total = 0
  for (const key of keys) {
    const file = manifest[key].file
    if (file.endsWith('.js')) total += gzipSync(readFileSync(path.join(distOf(app), file)), { level: 9 }).length
  }
  return total
}

describe('the size of the web apps', () => {
  const sizes: Record<string, { entry: number; landing: number; chunks: number }> = {}
  before(() => ensureWebBuilt())

  for (const app of APPS) {
    it(`keeps the ${app} under 500 KB of gzipped JavaScript on a first visit, split per route`, () => {
      const manifest = manifestOf(app)
      const entries = Object.keys(manifest).filter((key) => manifest[key].isEntry)
      assert.deepEqual(entries, ['index.html'])
      // The script index.html loads is the manifest's entry.
      const html = readFileSync(path.join(distOf(app), 'index.html'), 'utf8')
      assert.ok(html.includes(`/${app}/${manifest['index.html'].file}`), 'index.html loads the entry chunk')

      const entry = closure(manifest, ['index.html'])
      const landing = closure(manifest, ['index.html', ...LANDING[app]])
      const routes = Object.keys(manifest).filter((key) => manifest[key].isDynamicEntry)
      assert.ok(routes.length >= 3, `pages are split into their own chunks: ${routes.join(', ')}`)
      for (const page of LANDING[app]) assert.ok(!entry.has(page), `${page} is not in the entry`)
      sizes[app] = { entry: gzippedJs(app, manifest, entry), landing: gzippedJs(app, manifest, landing), chunks: routes.length }
      assert.ok(sizes[app].entry < LIMIT, `${app} entry: ${sizes[app].entry} bytes gzipped`)
      assert.ok(sizes[app].landing < LIMIT, `${app} entry and landing page: ${sizes[app].landing} bytes gzipped`)
    })
  }

  it('records the sizes as an artefact', () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    writeFileSync(path.join(ARTIFACTS, 'bundle-sizes.json'), JSON.stringify(sizes, null, 2) + '\n')
    assert.equal(Object.keys(sizes).length, APPS.length)
  })
})
