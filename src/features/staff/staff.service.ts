import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import type { FieldError } from '../../domain/types.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { madeByRequest } from '../idempotency/idempotency.repository.ts'
import { onceForRequest } from '../idempotency/request-refs.ts'
import { newId } from '../../ports/ids.ts'
import { insertMerchant, merchantInput } from '../merchants/merchants.service.ts'
import { anyMerchantExists } from '../merchants/merchants.repository.ts'
import { findStore } from '../stores/stores.repository.ts'
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, decoyHash, hashPassword, verifyPassword } from './passwords.ts'
import { revokeSessionsOf, startSession } from './sessions.ts'
import {
  LOGIN_WINDOW_MS,
  MAX_FAILURES_PER_ADDRESS,
  MAX_FAILURES_PER_LOGIN,
  decideLoginAttempt,
  loginErrors,
  normalizeLogin,
  storeBindingErrors,
} from './staff-rules.ts'
import type { StaffRole } from '../../principals.ts'
import {
  anyStaffExists,
  deleteLoginAttemptsBefore,
  deleteLoginAttemptsOf,
  failedLoginTimes,
  findStaffByLogin,
  findStaffRow,
  insertLoginAttempts,
  insertStaff,
  otherActiveOwnerExists,
  updateStaffRow,
  type StaffRow,
} from './staff.repository.ts'

export type { StaffRow }

export interface SignedIn {
  staff: StaffRow
  token: string
  expiresAt: number
}

function passwordErrors(password: string, field = 'password'): FieldError[] {
  return password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH
    ? [{ field, code: 'invalid', message: `must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters` }]
    : []
}

export async function findStaff(db: Db, merchantId: string, staffId: string): Promise<StaffRow> {
  const row = await findStaffRow(db, merchantId, staffId)
  if (!row) throw new AppError('staff_not_found', 'There is no staff member with this id.')
  return row
}

/** True until the first staff account exists: then the first-run page has done its job and closes. */
export async function setupRequired(db: Db): Promise<boolean> {
  return !(await anyStaffExists(db))
}

/**
 * What the first-run page shows: the form while the installation is empty; once a merchant exists
 * (say made by `kabao merchant create`) but nobody can sign in yet, how to make its owner with the CLI.
 */
export async function setupStatus(db: Db): Promise<{ setup_required: boolean; merchants_exist: boolean }> {
  return { setup_required: await setupRequired(db), merchants_exist: await anyMerchantExists(db) }
}

/**
 * The first run of a new installation: creates a merchant and its owner and signs the owner in. Only
 * while no staff account and no merchant exists at all (a second merchant would be made otherwise);
 * the owner's unique setup slot makes sure that of two first runs at the same moment exactly one succeeds.
 */
export async function runFirstSetup(
  ctx: AppContext,
  input: { merchantName: string; timezone?: string; login: string; name?: string; password: string },
): Promise<SignedIn> {
  const { db } = ctx.database
  const errors = [...loginErrors(input.login), ...passwordErrors(input.password)]
  let merchant: { name: string; timezone: string } | undefined
  try {
    merchant = merchantInput({ name: input.merchantName, timezone: input.timezone })
  } catch (error) {
    if (!(error instanceof AppError) || !error.errors) throw error
    errors.push(...error.errors.map((e) => (e.field === 'name' ? { ...e, field: 'merchant_name' } : e)))
  }
  if (errors.length > 0 || !merchant) throw validationFailed(errors)
  const closed = () => new AppError('setup_closed', 'This installation is already set up; sign in, or ask an owner for an account.')
  if (!(await setupRequired(db))) throw closed()
  if (await anyMerchantExists(db)) {
    throw new AppError('setup_done', 'This installation already has a merchant; make its owner with `kabao staff create --merchant ID --role owner --login NAME`.')
  }
  const passwordHash = await hashPassword(input.password)
  const now = ctx.clock.now()
  const login = normalizeLogin(input.login)
  try {
    const staff = await db.transaction().execute(async (tx) => {
      const merchantId = await insertMerchant(tx, ctx.secrets, merchant, now)
      const row: StaffRow = {
        id: newId('stf', now),
        merchant_id: merchantId,
        login,
        name: input.name?.trim() || login,
        password_hash: passwordHash,
        role: 'owner',
        store_id: null,
        setup_slot: 'first_owner',
        disabled_at: null,
        last_login_at: now,
        created_at: now,
        updated_at: now,
        request_ref: null,
      }
      await insertStaff(tx, row)
      return row
    })
    return { staff, ...(await startSession(db, { merchantId: staff.merchant_id, staffId: staff.id }, now)) }
  } catch (error) {
    if (ctx.database.isUniqueViolation(error)) throw closed()
    throw error
  }
}

/** Too many failed sign-ins lately; the route tells the client when to try again. */
export class LoginRateLimited extends AppError {
  readonly retryAfterSeconds: number
  constructor(retryAfterSeconds: number) {
    super('rate_limited', `Too many failed sign-ins; try again in ${retryAfterSeconds} s.`)
    this.retryAfterSeconds = retryAfterSeconds
  }
}

function failuresOf(db: Db, subject: string, now: number): Promise<number[]> {
  return failedLoginTimes(db, subject, now - LOGIN_WINDOW_MS)
}

/**
 * Signs a staff member in by name and password. Failures are counted per name and per address, and
 * after too many the sign-in is refused for a while, so passwords cannot be guessed at speed. Every
 * failure reads the same, whether the name exists, the password is wrong or the account is disabled.
 */
export async function signIn(ctx: AppContext, input: { login: string; password: string; address: string }): Promise<SignedIn> {
  const staff = await checkCredentials(ctx, input)
  return { staff, ...(await startSession(ctx.database.db, { merchantId: staff.merchant_id, staffId: staff.id }, ctx.clock.now())) }
}

/**
 * The staff member whose name and password these are, counted and limited as sign-ins are: a manager
 * confirming a challenged redemption at a clerk's terminal (二次确认) proves who they are this way
 * without taking over the clerk's session.
 */
export async function checkCredentials(ctx: AppContext, input: { login: string; password: string; address: string }): Promise<StaffRow> {
  const { db } = ctx.database
  const now = ctx.clock.now()
  const login = normalizeLogin(input.login)
  const subjects = [`login:${login}`, `ip:${input.address}`]
  const limits = [
    decideLoginAttempt(await failuresOf(db, subjects[0], now), MAX_FAILURES_PER_LOGIN, now),
    decideLoginAttempt(await failuresOf(db, subjects[1], now), MAX_FAILURES_PER_ADDRESS, now),
  ]
  const wait = Math.max(...limits.map((l) => (l.ok ? 0 : l.retryAfterMs)))
  if (wait > 0) throw new LoginRateLimited(Math.ceil(wait / 1000))

  const staff = await findStaffByLogin(db, login)
  const matches = await verifyPassword(input.password, staff?.password_hash ?? (await decoyHash()))
  if (!staff || !matches || staff.disabled_at !== null) {
    await db.transaction().execute(async (tx) => {
      // Old attempts no longer count; clear them while we are here.
      await deleteLoginAttemptsBefore(tx, now - LOGIN_WINDOW_MS)
      await insertLoginAttempts(tx, subjects.map((subject) => ({ id: newId('lga', now), subject, created_at: now })))
    })
    throw new AppError('invalid_credentials', 'The name or the password is wrong, or the account is disabled.')
  }
  await deleteLoginAttemptsOf(db, subjects[0])
  await updateStaffRow(db, staff.merchant_id, staff.id, { last_login_at: now })
  return staff
}

async function storeErrors(db: Db, merchantId: string, role: StaffRole, storeId: string | null): Promise<FieldError[]> {
  const binding = storeBindingErrors(role, storeId)
  if (binding.length > 0 || storeId === null) return binding
  return (await findStore(db, merchantId, storeId)) ? [] : [{ field: 'store_id', code: 'not_found', message: 'is not a store of this merchant' }]
}

export interface NewStaff {
  login: string
  name?: string
  password: string
  role: StaffRole
  store_id?: string | null
}

/** Makes a staff account; a retry of the Idempotency-Key request making it (`requestRef`) after a crash finds it rather than answering login_taken. */
export async function createStaff(ctx: Pick<AppContext, 'database' | 'clock'>, merchantId: string, input: NewStaff, requestRef: string | null = null): Promise<StaffRow> {
  const { db } = ctx.database
  return onceForRequest(requestRef, madeByRequest(db, 'staff', merchantId, (id) => findStaff(db, merchantId, id)), () => makeStaff(ctx, merchantId, input, requestRef))
}

async function makeStaff(ctx: Pick<AppContext, 'database' | 'clock'>, merchantId: string, input: NewStaff, requestRef: string | null): Promise<StaffRow> {
  const { db } = ctx.database
  const storeId = input.store_id ?? null
  const errors = [...loginErrors(input.login), ...passwordErrors(input.password), ...(await storeErrors(db, merchantId, input.role, storeId))]
  if (errors.length > 0) throw validationFailed(errors)
  const now = ctx.clock.now()
  const login = normalizeLogin(input.login)
  const row: StaffRow = {
    id: newId('stf', now),
    merchant_id: merchantId,
    login,
    name: input.name?.trim() || login,
    password_hash: await hashPassword(input.password),
    role: input.role,
    store_id: storeId,
    setup_slot: null,
    disabled_at: null,
    last_login_at: null,
    created_at: now,
    updated_at: now,
    request_ref: requestRef,
  }
  try {
    await insertStaff(db, row)
  } catch (error) {
    if (ctx.database.isUniqueViolation(error)) throw new AppError('login_taken', `The sign-in name ${login} is already taken; choose another.`)
    throw error
  }
  return row
}

export interface StaffChange {
  name?: string
  role?: StaffRole
  store_id?: string | null
  password?: string
  disabled?: boolean
}

/** Whether another active owner than `staffId` exists: a merchant must keep one who can manage it. */
function hasOtherOwner(db: Db, merchantId: string, staffId: string): Promise<boolean> {
  return otherActiveOwnerExists(db, merchantId, staffId)
}

/**
 * Changes an account. A new password, a new role or store, or disabling signs the account out
 * everywhere (but in the caller's own session when they change themselves).
 */
export async function updateStaff(ctx: AppContext, merchantId: string, staffId: string, change: StaffChange, callerSessionId?: string): Promise<StaffRow> {
  const { db } = ctx.database
  const current = await findStaff(db, merchantId, staffId)
  const role = change.role ?? current.role
  // A clerk made operator leaves their store; a new clerk must be given one.
  const storeId = change.store_id !== undefined ? change.store_id : role === 'clerk' ? current.store_id : null
  const errors = [...(change.password !== undefined ? passwordErrors(change.password) : []), ...(await storeErrors(db, merchantId, role, storeId))]
  if (errors.length > 0) throw validationFailed(errors)
  const losesOwner = current.role === 'owner' && current.disabled_at === null && (role !== 'owner' || change.disabled === true)
  if (losesOwner && !(await hasOtherOwner(db, merchantId, staffId))) {
    throw new AppError('invalid_state', 'This is the only owner; make someone else owner first.')
  }
  const now = ctx.clock.now()
  const updates: Partial<StaffRow> = { role, store_id: storeId, updated_at: now }
  if (change.name !== undefined) updates.name = change.name.trim() || current.login
  if (change.password !== undefined) updates.password_hash = await hashPassword(change.password)
  if (change.disabled !== undefined) updates.disabled_at = change.disabled ? (current.disabled_at ?? now) : null
  const signOut = change.password !== undefined || role !== current.role || storeId !== current.store_id || change.disabled === true
  await db.transaction().execute(async (tx) => {
    await updateStaffRow(tx, merchantId, staffId, updates)
    if (signOut) await revokeSessionsOf(tx, merchantId, staffId, now, callerSessionId)
  })
  return { ...current, ...updates }
}

/** A signed-in staff member changes their own password, proving they know the current one. */
export async function changeOwnPassword(ctx: AppContext, merchantId: string, staffId: string, sessionId: string, input: { current_password: string; new_password: string }): Promise<void> {
  const staff = await findStaff(ctx.database.db, merchantId, staffId)
  if (!(await verifyPassword(input.current_password, staff.password_hash))) {
    throw validationFailed([{ field: 'current_password', code: 'invalid', message: 'is not your current password' }], 'The current password is wrong.')
  }
  const errors = passwordErrors(input.new_password, 'new_password')
  if (errors.length > 0) throw validationFailed(errors)
  await updateStaff(ctx, merchantId, staffId, { password: input.new_password }, sessionId)
}
