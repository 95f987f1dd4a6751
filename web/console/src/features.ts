import { reactive } from 'vue'
import { api } from './api.ts'

/**
 * Sections whose API may not be installed on this server (webhooks, member cards, rewards, points
 * rules): the menu shows them only when the server's OpenAPI document lists their routes, and the
 * pages use the routes as the document names them.
 */
export const features = reactive({
  webhooks: false,
  /** e.g. /v1/webhook-endpoints/{id}/deliveries */
  webhookDeliveries: null as string | null,
  /** e.g. /v1/webhook-deliveries/{id}/redeliver */
  webhookRedeliver: null as string | null,
  members: false,
  memberList: null as string | null,
  rewards: false,
  pointsRules: null as string | null,
})

type Paths = Record<string, Record<string, unknown>>

function find(paths: Paths, method: string, pattern: RegExp): string | null {
  return Object.keys(paths).find((path) => pattern.test(path) && paths[path][method] !== undefined) ?? null
}

export async function detectOptionalFeatures(): Promise<void> {
  let paths: Paths
  try {
    paths = (await api.get<{ paths: Paths }>('/openapi.json')).paths
  } catch {
    return
  }
  features.webhooks = paths['/v1/webhook-endpoints']?.get !== undefined
  features.webhookDeliveries = find(paths, 'get', /^\/v1\/webhook-endpoints\/\{[^}]+\}\/deliveries$/)
  features.webhookRedeliver = find(paths, 'post', /^\/v1\/webhook-(endpoints\/\{[^}]+\}\/)?deliveries\/\{[^}]+\}\/(redeliver|retry)$/)
  features.members = paths['/v1/member-cards']?.get !== undefined
  features.memberList = find(paths, 'get', /^\/v1\/member-cards\/\{[^}]+\}\/members$/)
  features.rewards = paths['/v1/rewards']?.get !== undefined
  features.pointsRules = find(paths, 'get', /^\/v1\/points?-rules$/)
}

/** `/v1/x/{id}/y` with the id filled in. */
export function fillPath(template: string, ...ids: string[]): string {
  let i = 0
  return template.replace(/\{[^}]+\}/g, () => encodeURIComponent(ids[i++] ?? ''))
}
