import { DeviceHeaders, Nullable, Timestamp, UserId, responses } from '../../http/schemas.ts'
import { requestRiskSubject } from '../risk/risk-request.ts'
import { Type } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import type { FeatureApp } from '../feature.ts'
import { merchantOf } from '../../http/auth.ts'
import { idempotencyRefOf } from '../../http/idempotency.ts'
import { validationFailed } from '../../errors.ts'
import { formatInstant, formatOptionalInstant } from '../../domain/time.ts'
import { contactFrom } from './contact.ts'
import { OtpRateLimited, issueWalletToken, requestOneTimeCode, startWalletSession, type IssuedWalletToken } from './customers.service.ts'
import { rotateWalletSecret } from './wallet-secrets.ts'

const MerchantId = Type.String({ minLength: 1, maxLength: 100, description: 'The merchant whose wallet this is' })

const WalletTokenSchema = Type.Object({
  token: Type.String({ description: 'Send as `Authorization: Bearer <token>` to the wallet API' }),
  user_id: Type.String(),
  expires_at: Timestamp,
})
const RotatedSecretSchema = Type.Object({
  secret: Type.String({ description: 'The new signing secret; shown only here' }),
  previous_secret_valid_until: Nullable(Timestamp),
})
const ChallengeSchema = Type.Object({
  challenge_id: Type.String({ description: 'Send back with the code to sign in' }),
  expires_at: Timestamp,
})

function presentToken(issued: IssuedWalletToken) {
  return { token: issued.token, user_id: issued.userId, expires_at: formatInstant(issued.expiresAt, issued.merchantTz) }
}

export async function customersRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  app.post(
    '/v1/wallet-tokens',
    {
      schema: {
        tags: ['wallet identity'],
        summary: 'Mint a wallet token for one of your users (the same token your backend can sign itself, see docs/wallet-tokens.md)',
        body: Type.Object(
          { user_id: UserId, ttl_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 86_400, default: 3600, description: 'Lifetime in seconds' })) },
          { additionalProperties: false },
        ),
        response: responses({ 201: WalletTokenSchema }),
      },
    },
    async (request, reply) => {
      const { merchantId } = merchantOf(request)
      const { body } = request
      const issued = await issueWalletToken(ctx, merchantId, body.user_id, body.ttl_seconds ?? 3600)
      return reply.code(201).send(presentToken(issued))
    },
  )

  app.post(
    '/v1/wallet-secret/rotate',
    {
      config: { ownerOnly: true },
      schema: {
        tags: ['wallet identity'],
        summary: 'Replace the wallet signing secret; shown only in this response. The previous one keeps verifying for 24 hours',
        response: responses({ 200: RotatedSecretSchema }),
      },
    },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const rotated = await rotateWalletSecret(ctx, merchantId, idempotencyRefOf(request))
      return {
        secret: rotated.secret,
        previous_secret_valid_until: formatOptionalInstant(rotated.previousValidUntil, merchantTz),
      }
    },
  )

  app.post(
    '/v1/wallet/otp',
    {
      config: { auth: 'none', rateLimit: 'otp' },
      schema: {
        tags: ['wallet identity'],
        summary: 'Send a one-time sign-in code to a phone or e-mail address (exactly one)',
        security: [],
        headers: DeviceHeaders,
        body: Type.Object(
          {
            merchant_id: MerchantId,
            phone: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'With or without +country code; mainland mobiles may omit +86' })),
            email: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
          },
          { additionalProperties: false },
        ),
        response: responses({ 202: ChallengeSchema }),
      },
    },
    async (request, reply) => {
      const { body } = request
      const contact = contactFrom(body)
      if (!contact.ok) throw validationFailed(contact.errors)
      try {
        const challenge = await requestOneTimeCode(ctx, body.merchant_id, contact.contact, requestRiskSubject(request))
        return reply.code(202).send({ challenge_id: challenge.challengeId, expires_at: formatInstant(challenge.expiresAt, challenge.merchantTz) })
      } catch (error) {
        if (error instanceof OtpRateLimited) reply.header('retry-after', String(error.retryAfterSeconds))
        throw error
      }
    },
  )

  app.post(
    '/v1/wallet/sessions',
    {
      config: { auth: 'none', rateLimit: 'otp' },
      schema: {
        tags: ['wallet identity'],
        summary: 'Sign in with the one-time code: returns a 24-hour wallet token',
        security: [],
        headers: DeviceHeaders,
        body: Type.Object(
          {
            merchant_id: MerchantId,
            challenge_id: Type.String({ minLength: 1, maxLength: 100 }),
            code: Type.String({ pattern: '^[0-9]{6}$', description: 'The 6 digits that were sent' }),
          },
          { additionalProperties: false },
        ),
        response: responses({ 201: WalletTokenSchema }),
      },
    },
    async (request, reply) => {
      const { body } = request
      const issued = await startWalletSession(ctx, { merchantId: body.merchant_id, challengeId: body.challenge_id, code: body.code }, requestRiskSubject(request))
      return reply.code(201).send(presentToken(issued))
    },
  )
}
