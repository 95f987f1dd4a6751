/**
 * Who makes a request, as the services see it: authentication (http/) produces these, services and jobs
 * take them as plain data.
 */

export const STAFF_ROLES = ['owner', 'operator', 'clerk', 'analyst'] as const
export type StaffRole = (typeof STAFF_ROLES)[number]

export type Scope = 'full' | 'redeem' | 'read'
/** What a route needs: `read` (look), `redeem` (till work), `write` (change anything). */
export type Permission = 'read' | 'redeem' | 'write'

export interface MerchantPrincipal {
  kind: 'merchant'
  merchantId: string
  merchantTz: string
  /** The API key, or null when a staff member signed in to the web apps makes the call. */
  keyId: string | null
  scope: Scope
  /** A till key (or a clerk) bound to one store redeems there. */
  storeId: string | null
  /** The staff member signed in to the web apps, when the call comes with a session cookie. */
  staffId: string | null
}

export interface StaffPrincipal {
  kind: 'staff'
  merchantId: string
  merchantTz: string
  staffId: string
  role: StaffRole
  storeId: string | null
  sessionId: string
  expiresAt: number
  /** What writes must send in the X-Kabao-Csrf header. */
  csrfToken: string
}

export interface CustomerPrincipal {
  kind: 'customer'
  merchantId: string
  merchantTz: string
  userId: string
}

/** What a credential's store binding is: a till key or a clerk works in one store, everyone else in all. */
export type StoreBinding = Pick<MerchantPrincipal, 'storeId'>

/**
 * Whether a credential reaches a record of this store (a redemption, a member order, a payment). A
 * store-bound credential reaches its own store's records only: one of another store, or of none, is
 * answered as if it did not exist. Unbound credentials reach every store's.
 */
export function reachesStore(principal: StoreBinding, recordStoreId: string | null): boolean {
  return principal.storeId === null || principal.storeId === recordStoreId
}

/** The store a list of store-scoped records is narrowed to: a bound credential's own, whatever was asked; else the one asked for (null: all). */
export function listedStore(principal: StoreBinding, asked: string | null): string | null {
  return principal.storeId ?? asked
}
