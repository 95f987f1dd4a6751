import { reactive } from 'vue'
import { api } from './api.ts'

/**
 * Sections whose API a server may leave out (webhooks, member cards, rewards): the menu shows them only
 * when the server's OpenAPI document lists their routes.
 */
export const features = reactive({
  /** GET /v1/webhook-endpoints */
  webhooks: false,
  /** GET /v1/webhook-endpoints/{id}/deliveries */
  webhookDeliveries: false,
  /** GET /v1/webhook-endpoints/{id}/attempts: every attempt, the delivery log */
  webhookAttempts: false,
  /** POST /v1/webhook-endpoints/{id}/redeliver {event_id} */
  webhookRedeliver: false,
  /** GET /v1/member-cards */
  members: false,
  /** GET /v1/members?member_card_id= */
  memberList: false,
  /** GET /v1/rewards */
  rewards: false,
  /** GET /v1/member-cards/{id}/segments: RFM segments and member metrics */
  memberAnalytics: false,
  /** GET /v1/experiments: A/B tests of cards */
  experiments: false,
  /** GET /v1/wechat-apps: WeChat app credentials for the WeChat-compatible API */
  wechatApps: false,
})

type Paths = Record<string, Record<string, unknown>>

/** Whether the document lists this method on a path matching `pattern` (path parameters in any name). */
function has(paths: Paths, method: string, pattern: RegExp): boolean {
  return Object.keys(paths).some((path) => pattern.test(path) && paths[path][method] !== undefined)
}

const ID = '\\{[^}]+\\}'

export async function detectOptionalFeatures(): Promise<void> {
  let paths: Paths
  try {
    paths = (await api.get<{ paths: Paths }>('/openapi.json')).paths
  } catch {
    return
  }
  features.webhooks = has(paths, 'get', /^\/v1\/webhook-endpoints$/)
  features.webhookDeliveries = has(paths, 'get', new RegExp(`^/v1/webhook-endpoints/${ID}/deliveries$`))
  features.webhookAttempts = has(paths, 'get', new RegExp(`^/v1/webhook-endpoints/${ID}/attempts$`))
  features.webhookRedeliver = has(paths, 'post', new RegExp(`^/v1/webhook-endpoints/${ID}/redeliver$`))
  features.members = has(paths, 'get', /^\/v1\/member-cards$/)
  features.memberList = has(paths, 'get', /^\/v1\/members$/)
  features.rewards = has(paths, 'get', /^\/v1\/rewards$/)
  features.memberAnalytics = has(paths, 'get', new RegExp(`^/v1/member-cards/${ID}/segments$`))
  features.experiments = has(paths, 'get', /^\/v1\/experiments$/)
  features.wechatApps = has(paths, 'get', /^\/v1\/wechat-apps$/)
}
