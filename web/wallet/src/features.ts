import { reactive } from 'vue'
import { api } from './api.ts'

/**
 * The member card and the inbox need APIs this server may not have yet: their tabs appear when the
 * server's OpenAPI document lists them, at the paths it names.
 */
export const features = reactive({ member: null as string | null, inbox: null as string | null })

let detected = false
export async function detectFeatures(): Promise<void> {
  if (detected) return
  detected = true
  try {
    const { paths } = await api.get<{ paths: Record<string, Record<string, unknown>> }>('/openapi.json')
    const find = (pattern: RegExp) => Object.keys(paths).find((path) => pattern.test(path) && paths[path].get !== undefined) ?? null
    features.member = find(/^\/v1\/wallet\/(member|members|member-card|member-cards)$/)
    features.inbox = find(/^\/v1\/wallet\/(notifications|inbox|messages)$/)
  } catch {
    detected = false
  }
}
