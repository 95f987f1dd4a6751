import { reactive } from 'vue'
import { ElMessage } from 'element-plus'
import { ApiError } from '../../shared/api.ts'
import { fieldProblems, problemText } from '../../shared/problems.ts'

/**
 * The server's problems shown where they belong: field errors on their form items (by JSON path, e.g.
 * `validity.days`), anything else as a message in words.
 */
export function useServerErrors() {
  const errors = reactive<Record<string, string>>({})
  function clear(): void {
    for (const key of Object.keys(errors)) delete errors[key]
  }
  function show(error: unknown): void {
    clear()
    if (error instanceof ApiError && error.errors.length > 0) {
      Object.assign(errors, fieldProblems(error.errors))
      ElMessage.error({ message: problemText(error), grouping: true })
      return
    }
    notifyError(error)
  }
  return { errors, clear, show }
}

export function notifyError(error: unknown): void {
  ElMessage.error({ message: problemText(error), grouping: true })
}
