import { reactive } from 'vue'
import { api } from './api.ts'

/**
 * The member card and the inbox need APIs a server may leave out: their tabs appear when the server's
 * OpenAPI document lists them (GET /v1/wallet/members, GET /v1/wallet/notifications).
 */
export const features = reactive({ member: false, inbox: false })

let detected = false
export async function detectFeatures(): Promise<void> {
  if (detected) return
  detected = true
  try {
    const { paths } = await api.get<{ paths: Record<string, Record<string, unknown>> }>('/openapi.json')
    features.member = paths['/v1/wallet/members']?.get !== undefined
    features.inbox = paths['/v1/wallet/notifications']?.get !== undefined
  } catch {
    detected = false
  }
}
