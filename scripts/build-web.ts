/**
 * Builds the web apps (web/console, web/wallet, web/pos) with Vite into web/<app>/dist, where the
 * server serves them. `--if-stale` builds only the apps whose sources changed since their last build
 * (what `npm start` runs first, so the README's set-up command needs nothing else).
 *
 *   node scripts/build-web.ts [--if-stale] [console|wallet|pos …]
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, gzipSync } from 'node:zlib'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const WEB = path.join(ROOT, 'web')
export const APPS = ['console', 'wallet', 'pos'] as const
export type WebApp = (typeof APPS)[number]

/** Where an app's build is kept, and the fingerprint of the sources it was built from. */
export function distOf(app: WebApp): string {
  return path.join(WEB, app, 'dist')
}
const STAMP = '.source-hash'

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'dist' || entry.name === 'node_modules' || entry.name.startsWith('.')) return []
    const full = path.join(dir, entry.name)
    return entry.isDirectory() ? filesUnder(full) : [full]
  })
}

/** Everything a build depends on: the app, the shared code, the pure domain rules, the tool versions and this script. */
function sourceHash(app: WebApp): string {
  const inputs = [
    ...filesUnder(path.join(WEB, app)),
    ...filesUnder(path.join(WEB, 'shared')),
    ...filesUnder(path.join(ROOT, 'src/domain')).filter((f) => !f.endsWith('.test.ts')),
    path.join(ROOT, 'package-lock.json'),
    fileURLToPath(import.meta.url),
  ].sort()
  const hash = createHash('sha256')
  for (const file of inputs) {
    if (!existsSync(file)) continue
    hash.update(path.relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0')
  }
  return hash.digest('hex')
}

export function isStale(app: WebApp): boolean {
  const stamp = path.join(distOf(app), STAMP)
  return !existsSync(path.join(distOf(app), 'index.html')) || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== sourceHash(app)
}

/** Compressed twins of the text assets, served as they are by @fastify/static (preCompressed). */
function precompress(dir: string): void {
  for (const file of filesUnder(dir)) {
    if (!/\.(js|css|html|svg|json)$/.test(file) || statSync(file).size < 1024) continue
    const content = readFileSync(file)
    writeFileSync(`${file}.gz`, gzipSync(content, { level: 9 }))
    writeFileSync(`${file}.br`, brotliCompressSync(content))
  }
}

/**
 * A self-hosted install must work without the internet: component libraries that name a CDN copy of
 * their icon font next to the embedded one (Vant) keep only the embedded one.
 */
function noRemoteFonts() {
  return {
    name: 'kabao-no-remote-fonts',
    enforce: 'pre' as const,
    transform(code: string, id: string) {
      if (!id.includes('node_modules') || !/\.css($|\?)/.test(id)) return null
      return code.replace(/,\s*url\((?:https?:)?\/\/[^)]*\)\s*format\([^)]*\)/g, '')
    },
  }
}

/**
 * The head every app's page shares, so an app's index.html names only its title and what differs: a
 * meta tag the page names itself (the wallet's viewport) stands instead of the shared one. Injected before
 * Vite reads the page, so the icon's address gets the app's base like any other.
 */
const SHARED_HEAD: { tag: string; attrs: Record<string, string> }[] = [
  { tag: 'meta', attrs: { charset: 'UTF-8' } },
  { tag: 'meta', attrs: { name: 'viewport', content: 'width=device-width, initial-scale=1' } },
  { tag: 'meta', attrs: { name: 'color-scheme', content: 'light' } },
  { tag: 'link', attrs: { rel: 'icon', type: 'image/svg+xml', href: '/favicon.svg' } },
]

function sharedHead() {
  return {
    name: 'kabao-shared-head',
    transformIndexHtml: {
      order: 'pre' as const,
      handler: (html: string) =>
        SHARED_HEAD.filter(({ attrs }) => !(attrs.name && html.includes(`name="${attrs.name}"`))).map((tag) => ({ ...tag, injectTo: 'head-prepend' as const })),
    },
  }
}

/** The Vite configuration of an app, shared by the build and the development server. */
export async function viteConfig(app: WebApp) {
  const { default: vue } = await import('@vitejs/plugin-vue')
  return {
    configFile: false as const,
    root: path.join(WEB, app),
    base: `/${app}/`,
    logLevel: 'warn' as const,
    // The icon and other files every app serves as they are.
    publicDir: path.join(WEB, 'shared', 'public'),
    plugins: [vue(), noRemoteFonts(), sharedHead()],
    resolve: { alias: { '@shared': path.join(WEB, 'shared') } },
    define: {
      __VUE_OPTIONS_API__: 'true',
      __VUE_PROD_DEVTOOLS__: 'false',
      __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    },
    build: {
      outDir: distOf(app),
      emptyOutDir: true,
      // The manifest tells the size check which chunks a first visit loads.
      manifest: true,
      target: 'es2022',
      reportCompressedSize: false,
      chunkSizeWarningLimit: 2000,
    },
  }
}

export async function buildApp(app: WebApp): Promise<void> {
  const { build } = await import('vite')
  const hash = sourceHash(app)
  await build(await viteConfig(app))
  precompress(distOf(app))
  writeFileSync(path.join(distOf(app), STAMP), hash)
}

/** Builds the given apps (all by default); with `onlyStale`, those whose sources changed. Returns what it built. */
export async function buildWebApps(options: { onlyStale?: boolean; apps?: readonly WebApp[] } = {}): Promise<WebApp[]> {
  const built: WebApp[] = []
  for (const app of options.apps ?? APPS) {
    if (options.onlyStale && !isStale(app)) continue
    const started = Date.now()
    process.stderr.write(`building the ${app} web app… `)
    await buildApp(app)
    process.stderr.write(`done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
    built.push(app)
  }
  return built
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const apps = args.filter((a): a is WebApp => (APPS as readonly string[]).includes(a))
  const unknown = args.filter((a) => a !== '--if-stale' && !apps.includes(a as WebApp))
  if (unknown.length > 0) {
    console.error(`usage: node scripts/build-web.ts [--if-stale] [${APPS.join('|')} …]`)
    process.exit(2)
  }
  const onlyStale = args.includes('--if-stale')
  try {
    const built = await buildWebApps({ onlyStale, apps: apps.length > 0 ? apps : APPS })
    if (built.length === 0) process.stderr.write('web apps are up to date\n')
  } catch (error) {
    // Installed without development dependencies (npm ci --omit=dev): the server still starts, serving the API.
    if (onlyStale && (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      console.error('the web apps cannot be built here (the build tools are not installed); the server will serve the API without them')
      process.exit(0)
    }
    console.error(error)
    process.exit(1)
  }
}
