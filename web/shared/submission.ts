import { ref } from 'vue'

/**
 * One submission at a time: `busy` while it runs (buttons show it and refuse a second click's work), a
 * failure handed to `onError`. `run` resolves whether the action went through.
 */
export function useSubmission(onError: (error: unknown) => void) {
  const busy = ref(false)
  async function run(action: () => Promise<unknown>): Promise<boolean> {
    busy.value = true
    try {
      await action()
      return true
    } catch (error) {
      onError(error)
      return false
    } finally {
      busy.value = false
    }
  }
  return { busy, run }
}
