import type { Database } from './db/database.ts'
import type { Clock } from './ports/clock.ts'
import type { Secrets } from './ports/secrets.ts'
import type { Notifier } from './ports/notifier.ts'
import type { SharedRiskCounters } from './ports/risk-counters.ts'

/** What every feature is handed: the database and the ports. Built once in `main.ts` (or by a test). */
export interface AppContext {
  readonly database: Database
  readonly clock: Clock
  readonly secrets: Secrets
  readonly notifier: Notifier
  /** Base URL that claim links and QR codes point at, e.g. `http://127.0.0.1:8080`. */
  readonly publicUrl: string
  /**
   * Whether webhook endpoints may be at private or internal addresses (loopback, private networks, cloud
   * metadata, …): WEBHOOK_ALLOW_PRIVATE_DESTINATIONS, true unless set to false.
   */
  readonly allowPrivateWebhookDestinations: boolean
  /** NODE_ENV=production: stricter defaults (a sign-in code with no provider to send it is refused). */
  readonly production?: boolean
  /** Risk counters shared by every process (Redis, with REDIS_URL); without them they count in the database. */
  readonly riskCounters?: SharedRiskCounters
  /** The WeChat-compatible facade: its prefix (WECHAT_FACADE_PREFIX, default the root), or false when off (WECHAT_FACADE=off). */
  readonly wechatFacade?: { prefix: string } | false
}
