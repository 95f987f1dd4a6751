import type { ItemOf, ResponseOf } from '../../shared/api-schema.ts'
import { reactive } from 'vue'
import { api } from './api.ts'

/** How many notifications the customer has not read: the badge on the inbox tab. */
export const inbox = reactive({ unread: 0 })

export type Notification = ItemOf<'/v1/wallet/notifications'>

export type NotificationPage = ResponseOf<'/v1/wallet/notifications', 'get'>

export async function refreshUnread(): Promise<void> {
  try {
    inbox.unread = (await api.get<NotificationPage>('/v1/wallet/notifications?limit=1')).unread_count
  } catch {
    // The badge waits for the next page change.
  }
}
