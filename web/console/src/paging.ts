import { computed, reactive, ref, shallowRef } from 'vue'
import type { Page } from '../../shared/api.ts'
import { notifyError } from './form-errors.ts'

/**
 * A list shown page by page with the API's cursors: the cursor of every page seen is kept, so "previous"
 * goes back without offsets.
 */
export function usePagedList<T>(load: (cursor: string | undefined, limit: number) => Promise<Page<T>>, pageSize = 20) {
  const items = shallowRef<T[]>([])
  const loading = ref(false)
  const pageNumber = ref(1)
  const limit = ref(pageSize)
  const nextCursor = ref<string | null>(null)
  const cursors: (string | undefined)[] = [undefined]

  async function fetchPage(): Promise<void> {
    loading.value = true
    try {
      const page = await load(cursors[pageNumber.value - 1], limit.value)
      items.value = page.data
      nextCursor.value = page.next_cursor
    } catch (error) {
      notifyError(error)
    } finally {
      loading.value = false
    }
  }

  return reactive({
    items,
    loading,
    pageNumber,
    limit,
    hasNext: computed(() => nextCursor.value !== null),
    hasPrevious: computed(() => pageNumber.value > 1),
    async next() {
      if (nextCursor.value === null) return
      cursors[pageNumber.value] = nextCursor.value
      pageNumber.value++
      await fetchPage()
    },
    async previous() {
      if (pageNumber.value <= 1) return
      pageNumber.value--
      await fetchPage()
    },
    async reload() {
      pageNumber.value = 1
      cursors.length = 1
      await fetchPage()
    },
    /** The same page again, after a change in it. */
    refresh: fetchPage,
    async setLimit(value: number) {
      limit.value = value
      pageNumber.value = 1
      cursors.length = 1
      await fetchPage()
    },
  })
}

export type PagedList<T = unknown> = ReturnType<typeof usePagedList<T>>
