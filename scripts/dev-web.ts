/**
 * Develops one web app with Vite's dev server (instant reload), calling the API of a running Kabao:
 *
 *   npm start &                                  # the API on http://127.0.0.1:8080
 *   npm run dev:web -- console                   # the console on http://127.0.0.1:5173/console/
 *
 * KABAO_API names another API address. The cookie of the console and terminal and the wallet's token
 * work as in production, since the dev server forwards /v1 and /openapi.json to the API.
 */
import { APPS, viteConfig, type WebApp } from './build-web.ts'

const app = process.argv[2] as WebApp
if (!APPS.includes(app)) {
  console.error(`usage: npm run dev:web -- <${APPS.join('|')}>`)
  process.exit(2)
}
const api = process.env.KABAO_API ?? 'http://127.0.0.1:8080'
const { createServer } = await import('vite')
const server = await createServer({
  ...(await viteConfig(app)),
  logLevel: 'info',
  server: { port: Number(process.env.PORT ?? 5173), strictPort: false, proxy: { '/v1': api, '/openapi.json': api } },
})
await server.listen()
server.printUrls()
