import { ElMessage } from 'element-plus'
import { t } from './i18n.ts'

/** Copies text, or, where the browser refuses (plain http, no permission), says what to do instead. */
export async function copyText(text: string, otherwise: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text)
    ElMessage.success(t('common.copied'))
  } catch {
    ElMessage.info(otherwise)
  }
}
