import { reactive } from 'vue'
import { api } from './api.ts'

/** How many notifications the customer has not read: the badge on the inbox tab. */
export const inbox = reactive({ unread: 0 })

// until the route declares its response
export interface Notification {
  id: string
  kind: string
  title: string
  body: string
  created_at: string
  read_at: string | null
}

// until the route declares its response
export interface NotificationPage {
  data: Notification[]
  next_cursor: string | null
  unread_count: number
}

export async function refreshUnread(): Promise<void> {
  try {
    inbox.unread = (await api.get<NotificationPage>('/v1/wallet/notifications?limit=1')).unread_count
  } catch {
    // The badge waits for the next page change.
  }
}
