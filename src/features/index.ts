import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../app-context.ts'
import { merchantsRoutes } from './merchants/merchants.routes.ts'
import { storesRoutes } from './stores/stores.routes.ts'
import { cardsRoutes } from './cards/cards.routes.ts'
import { couponsRoutes } from './coupons/coupons.routes.ts'
import { redemptionsRoutes } from './redemptions/redemptions.routes.ts'
import { eventsRoutes } from './events/events.routes.ts'
import { customersRoutes } from './customers/customers.routes.ts'
import { claimLinksRoutes } from './claim-links/claim-links.routes.ts'
import { walletRoutes } from './wallet/wallet.routes.ts'
import { bulkIssueRoutes } from './bulk-issue/bulk-issue.routes.ts'
import { staffRoutes } from './staff/staff.routes.ts'
import { statsRoutes } from './stats/stats.routes.ts'

/** A capability's HTTP routes. */
export type Feature = (app: FastifyInstance, ctx: AppContext) => Promise<void> | void

/** Every feature's routes, registered in this order. */
export const FEATURES: Feature[] = [merchantsRoutes, storesRoutes, cardsRoutes, couponsRoutes, redemptionsRoutes, eventsRoutes, customersRoutes, claimLinksRoutes, walletRoutes, bulkIssueRoutes, staffRoutes, statsRoutes]
