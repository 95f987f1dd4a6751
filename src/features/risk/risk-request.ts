import type { FastifyRequest } from 'fastify'
import type { RiskSubject } from '../../domain/risk.ts'
import { addressKey } from '../../rate-limit-rules.ts'

/**
 * Who a wallet request comes from, as the risk rules count: the `Kabao-Device` header (checked by the
 * route's `DeviceHeaders` schema) and the client address as the request-rate limits count it.
 */
export function requestRiskSubject(request: FastifyRequest): Pick<RiskSubject, 'deviceId' | 'address'> {
  const device = request.headers['kabao-device']
  return { deviceId: typeof device === 'string' ? device : null, address: addressKey(request.ip) }
}
