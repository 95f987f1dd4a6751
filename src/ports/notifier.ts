import type { FastifyBaseLogger } from 'fastify'

/** How customers are reached. The default writes to the log, which is what development needs. */
export interface Notifier {
  sendOneTimeCode(input: { merchantId: string; channel: 'phone' | 'email'; destination: string; code: string }): Promise<void>
}

export function logNotifier(log: Pick<FastifyBaseLogger, 'info'>): Notifier {
  return {
    async sendOneTimeCode({ merchantId, channel, destination, code }) {
      log.info({ merchant_id: merchantId, channel, destination, one_time_code: code }, 'one-time sign-in code')
    },
  }
}

/** Keeps what was sent, for tests and for a development inbox. */
export class MemoryNotifier implements Notifier {
  readonly sent: { merchantId: string; channel: string; destination: string; code: string }[] = []
  async sendOneTimeCode(input: { merchantId: string; channel: 'phone' | 'email'; destination: string; code: string }): Promise<void> {
    this.sent.push(input)
  }
}
