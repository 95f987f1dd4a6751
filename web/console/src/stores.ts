import { ref } from 'vue'
import type { Page } from '../../shared/api.ts'
import { api } from './api.ts'
import { notifyError } from './form-errors.ts'
import type { Store } from './cards.ts'

/** The merchant's stores (the first 500), to choose one in a form and to name one in a list. */
export function useStores() {
  const stores = ref<Store[]>([])
  async function load(): Promise<void> {
    try {
      stores.value = (await api.get<Page<Store>>('/v1/stores?limit=500')).data
    } catch (error) {
      notifyError(error)
    }
  }
  const nameOf = (id: string | null) => (id ? (stores.value.find((s) => s.id === id)?.name ?? id) : '—')
  return { stores, load, nameOf }
}
