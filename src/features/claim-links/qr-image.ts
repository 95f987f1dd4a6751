import QRCode from 'qrcode'
import { Type } from 'typebox'
import type { FastifyReply } from 'fastify'

export type QrFormat = 'png' | 'svg'
export const QR_FORMATS: readonly QrFormat[] = ['png', 'svg']

/** `?size=` in pixels: large enough to scan, small enough that nobody can make us render posters. */
export const QrQuery = Type.Object(
  { size: Type.Optional(Type.Integer({ minimum: 64, maximum: 2048, default: 512, description: 'Width and height in pixels (64–2048)' })) },
  { additionalProperties: false },
)

const CONTENT_TYPES: Record<QrFormat, string> = { png: 'image/png', svg: 'image/svg+xml; charset=utf-8' }

/** Sends `text` as a QR code image. `cacheControl` says who may keep the image and for how long. */
export async function sendQr(reply: FastifyReply, text: string, format: QrFormat, size: number, cacheControl: string): Promise<FastifyReply> {
  const options = { width: size, margin: 2, errorCorrectionLevel: 'M' as const }
  const image = format === 'png' ? await QRCode.toBuffer(text, { ...options, type: 'png' }) : await QRCode.toString(text, { ...options, type: 'svg' })
  return reply.type(CONTENT_TYPES[format]).header('cache-control', cacheControl).header('x-content-type-options', 'nosniff')
    // The merchant's own pages on another origin may embed it.
    .header('cross-origin-resource-policy', 'cross-origin')
    .send(image)
}
