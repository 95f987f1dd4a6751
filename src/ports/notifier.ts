import type { Db } from '../db/database.ts'
import { writeToInbox, type CustomerNotification } from '../features/notifications/inbox.ts'

export type { CustomerNotification }

/**
 * How customers are reached: sign-in codes on the merchant's e-mail or SMS channel (a running server uses
 * features/messaging's notifier; codes never go to the log), notifications to the customer's inbox in the
 * wallet, with a `notification.created` event that the merchant's webhook receives to push them on; a running
 * server also queues reminders, points and level notices for the customer's phone or e-mail.
 */
export interface Notifier {
  sendOneTimeCode(input: { merchantId: string; channel: 'phone' | 'email'; destination: string; code: string }): Promise<void>
  /**
   * Tells a customer something. Call it inside the transaction that makes the change, so the notification
   * exists exactly when the change commits. Returns the notification id, or null when `dedupeKey` was
   * used already (nothing is sent twice).
   */
  notifyCustomer(tx: Db, notification: CustomerNotification): Promise<string | null>
}

/** Keeps the sign-in codes it sent, for tests and for a development inbox; notifications go to the inbox. */
export class MemoryNotifier implements Notifier {
  readonly sent: { merchantId: string; channel: string; destination: string; code: string }[] = []
  async sendOneTimeCode(input: { merchantId: string; channel: 'phone' | 'email'; destination: string; code: string }): Promise<void> {
    this.sent.push(input)
  }
  notifyCustomer(tx: Db, notification: CustomerNotification): Promise<string | null> {
    return writeToInbox(tx, notification)
  }
}
