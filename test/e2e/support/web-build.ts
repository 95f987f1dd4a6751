import { buildWebApps } from '../../../scripts/build-web.ts'
import { withLock } from './lock.ts'

/** Builds the web apps whose sources changed since their last build; parallel test files build once. */
export async function ensureWebBuilt(): Promise<void> {
  await withLock('web-build', async () => {
    await buildWebApps({ onlyStale: true })
  })
}
