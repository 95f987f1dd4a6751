import { reactive, ref, type Ref } from 'vue'
import { ElMessage, ElMessageBox, type FormInstance } from 'element-plus'
import { ApiError } from '../../shared/api.ts'
import { fieldProblems, problemText } from '../../shared/problems.ts'
import { useSubmission } from '../../shared/submission.ts'
import { t } from './i18n.ts'

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

/** Asks before a step that is not easily undone; the confirming button names the step. Resolves whether to go on. */
export async function confirmed(message: string, action: string): Promise<boolean> {
  return ElMessageBox.confirm(message, action, { type: 'warning', confirmButtonText: action, cancelButtonText: t('common.cancel') })
    .then(() => true)
    .catch(() => false)
}

/** A list's action (revoke, disable…): its failure as a message, a success message if given. Resolves whether it went through. */
export async function attempt(action: () => Promise<unknown>, success?: string): Promise<boolean> {
  try {
    await action()
  } catch (error) {
    notifyError(error)
    return false
  }
  if (success) ElMessage.success(success)
  return true
}

export interface SubmitOptions {
  /** A form on the page whose own rules are checked first (a FormDialog checks its own). */
  form?: Ref<FormInstance | undefined>
  /** The problem in words goes to `failure`, for the page to show in place, instead of a message. */
  inline?: boolean
}

/**
 * Sending a form: `busy` while it goes, the server's field problems on their form items (`errors`), the
 * rest as a message (or in `failure`), and a success message when it went through. `run` resolves
 * whether it did, so the page can close its dialog or reload its list.
 */
export function useSubmit(options: SubmitOptions = {}) {
  const server = useServerErrors()
  const failure = ref('')
  const submission = useSubmission((error) => {
    if (options.inline) failure.value = problemText(error)
    else server.show(error)
  })
  async function run(action: () => Promise<unknown>, success?: string): Promise<boolean> {
    server.clear()
    failure.value = ''
    if (options.form && !(await options.form.value?.validate().catch(() => false))) return false
    const done = await submission.run(action)
    if (done && success) ElMessage.success(success)
    return done
  }
  function clear(): void {
    server.clear()
    failure.value = ''
  }
  return reactive({ busy: submission.busy, errors: server.errors, failure, clear, run })
}
