import { randomInt } from 'node:crypto'
import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { AppError } from '../../errors.ts'
import { newId } from '../../ports/ids.ts'
import { safeEqual } from '../../ports/secrets.ts'
import { channelOf, maskContact, type Contact } from './contact.ts'
import { OTP_MAX_ATTEMPTS, OTP_TTL_MS, OTP_WINDOW_MS, decideOtpIssue } from './otp-rules.ts'
import { currentWalletSecret, loadWalletSigning, type WalletSigning } from './wallet-secrets.ts'
import { MAX_TOKEN_LIFETIME_SECONDS, mintWalletToken } from './wallet-token.ts'
import type { RiskSubject } from '../../domain/risk.ts'
import { judgeRisk, refuseIfBlocked } from '../risk/risk.service.ts'
import {
  consumeOtpChallenge, countOtpAttempt, findCustomerByContact, findCustomerByUserId, insertCustomerUnlessExists, insertOtpChallenge, otpSentSince, type CustomerRow,
} from './customers.repository.ts'

/** A customer who signed in with a one-time code stays signed in this long. */
export const SESSION_TTL_SECONDS = MAX_TOKEN_LIFETIME_SECONDS

export interface IssuedWalletToken {
  token: string
  userId: string
  expiresAt: number
  merchantTz: string
}

/** The merchant a public wallet call names; 404 when there is none. */
/** How staff may see who holds a user id: the wallet contact masked, null for a user of the merchant's own system. */
export async function maskedContactOf(db: Db, merchantId: string, userId: string): Promise<string | null> {
  const customer = await findCustomerByUserId(db, merchantId, userId)
  const contact = customer?.phone ?? customer?.email
  return contact ? maskContact(contact) : null
}

export async function requireWalletMerchant(ctx: AppContext, merchantId: string): Promise<WalletSigning> {
  const signing = await loadWalletSigning(ctx, merchantId)
  if (!signing) throw new AppError('merchant_not_found', 'There is no merchant with this id.')
  return signing
}

/** A wallet token for one of the merchant's users, signed with its current secret. */
export async function issueWalletToken(ctx: AppContext, merchantId: string, userId: string, ttlSeconds: number): Promise<IssuedWalletToken> {
  const { secret, signing } = await currentWalletSecret(ctx, merchantId)
  const expiresAtSeconds = Math.floor(ctx.clock.now() / 1000) + ttlSeconds
  return { token: mintWalletToken(secret, merchantId, userId, expiresAtSeconds), userId, expiresAt: expiresAtSeconds * 1000, merchantTz: signing.timezone }
}

function codeHash(ctx: AppContext, challengeId: string, code: string): string {
  // Bound to the challenge, so equal codes of different challenges hash differently.
  return ctx.secrets.shortSecretHash(`${challengeId}.${code}`)
}

/** Too many codes went to one contact lately; the route tells the client when to retry. */
export class OtpRateLimited extends AppError {
  readonly retryAfterSeconds: number
  constructor(retryAfterSeconds: number) {
    super('otp_rate_limited', `Too many sign-in codes were sent to this contact; try again in ${retryAfterSeconds} s.`)
    this.retryAfterSeconds = retryAfterSeconds
  }
}

/**
 * Sends a 6-digit sign-in code to a phone or e-mail address. The answer is the same whether or not the
 * contact is already a customer. Throws `otp_rate_limited` (with `retryAfterSeconds`) when too many
 * codes went to this contact lately.
 */
export async function requestOneTimeCode(
  ctx: AppContext,
  merchantId: string,
  contact: Contact,
  risk: Pick<RiskSubject, 'deviceId' | 'address'> = {},
): Promise<{ challengeId: string; expiresAt: number; merchantTz: string }> {
  const merchant = await requireWalletMerchant(ctx, merchantId)
  // Judged before a code is sent: a blocked device, address or phone gets none, nor does a device asking for too many accounts.
  await judgeRisk(ctx, merchantId, contactRiskSubject(contact, risk), 'sign_in')
  const now = ctx.clock.now()
  const challengeId = newId('otp', now)
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0')
  const expiresAt = now + OTP_TTL_MS
  const decision = await ctx.database.db.transaction().execute(async (tx) => {
    const decided = decideOtpIssue(await otpSentSince(tx, merchantId, contact.destination, now - OTP_WINDOW_MS), now)
    if (!decided.ok) return decided
    await insertOtpChallenge(tx, {
      id: challengeId, merchant_id: merchantId, destination: contact.destination, code_hash: codeHash(ctx, challengeId, code), attempts: 0, expires_at: expiresAt, consumed_at: null, created_at: now,
    })
    return decided
  })
  if (!decision.ok) throw new OtpRateLimited(Math.ceil(decision.retryAfterMs / 1000))
  try {
    await ctx.notifier.sendOneTimeCode({ merchantId, channel: contact.channel, destination: contact.destination, code })
  } catch (error) {
    if (error instanceof AppError) throw error
    throw new AppError('delivery_unavailable', 'The sign-in code could not be sent; try again shortly.')
  }
  return { challengeId, expiresAt, merchantTz: merchant.timezone }
}

/** A sign-in as the risk rules see it: the contact is the account, and a phone is also a subject of its own. */
function contactRiskSubject(contact: Contact, risk: Pick<RiskSubject, 'deviceId' | 'address'>): RiskSubject {
  return { ...risk, contact: contact.destination, phone: contact.channel === 'phone' ? contact.destination : null }
}

/** The customer with this phone or e-mail at the merchant, created on first sign-in with a stable `cus_…` user id. */
async function findOrCreateCustomer(tx: Db, merchantId: string, destination: string, now: number): Promise<CustomerRow> {
  const column = channelOf(destination)
  const find = () => findCustomerByContact(tx, merchantId, column, destination)
  const existing = await find()
  if (existing) return existing
  const id = newId('cus', now)
  // A parallel first sign-in of the same contact may insert first; then we take theirs.
  await insertCustomerUnlessExists(tx, { id, merchant_id: merchantId, user_id: id, phone: column === 'phone' ? destination : null, email: column === 'email' ? destination : null, created_at: now })
  const customer = await find()
  if (!customer) throw new Error('customer vanished right after it was created')
  return customer
}

/**
 * Trades a correct one-time code for a 24-hour wallet token. Every try counts, right or wrong; a code
 * works once, within five minutes and five tries. Any failure reads the same: `otp_invalid`.
 */
export async function startWalletSession(
  ctx: AppContext,
  input: { merchantId: string; challengeId: string; code: string },
  risk: Pick<RiskSubject, 'deviceId' | 'address'> = {},
): Promise<IssuedWalletToken> {
  const { merchantId, challengeId, code } = input
  await requireWalletMerchant(ctx, merchantId)
  // A blocked device or address does not get to try codes.
  await refuseIfBlocked(ctx, merchantId, risk)
  const now = ctx.clock.now()
  const customer = await ctx.database.db.transaction().execute(async (tx) => {
    const challenge = await countOtpAttempt(tx, merchantId, challengeId, now, OTP_MAX_ATTEMPTS)
    // A wrong code returns (rather than throws) so that the counted attempt is committed.
    if (!challenge || !safeEqual(codeHash(ctx, challenge.id, code), challenge.code_hash)) return null
    if (!(await consumeOtpChallenge(tx, merchantId, challengeId, now))) return null
    return findOrCreateCustomer(tx, merchantId, challenge.destination, now)
  })
  if (!customer) throw new AppError('otp_invalid', 'The code is wrong, has expired or was already used; request a new one.')
  // The account is known now: a blocked user or phone gets no token (its code is used up all the same).
  const contact = customer.phone ?? customer.email
  await judgeRisk(ctx, merchantId, { ...risk, userId: customer.user_id, phone: customer.phone, contact }, 'sign_in')
  return issueWalletToken(ctx, merchantId, customer.user_id, SESSION_TTL_SECONDS)
}
