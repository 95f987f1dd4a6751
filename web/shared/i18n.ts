import { ref, watch } from 'vue'

/** Chinese first (the merchants' and customers' language), English on request; the choice is remembered. */
export type Locale = 'zh-CN' | 'en'
export type Messages = Record<string, string>
export const LOCALES: { value: Locale; label: string }[] = [
  { value: 'zh-CN', label: '中文' },
  { value: 'en', label: 'English' },
]

const STORAGE_KEY = 'kabao.locale'

function storedLocale(): Locale {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh-CN'
  } catch {
    return 'zh-CN'
  }
}

export const locale = ref<Locale>(storedLocale())

watch(
  locale,
  (value) => {
    try {
      localStorage.setItem(STORAGE_KEY, value)
    } catch {
      // Private browsing: the choice lasts for this page only.
    }
    if (typeof document !== 'undefined') document.documentElement.lang = value
  },
  { immediate: true },
)

export function setLocale(value: Locale): void {
  locale.value = value
}

export type Translate = (key: string, params?: Record<string, string | number>) => string

/** A translator over one dictionary per locale; `{name}` in a message is replaced by params.name. */
export function createTranslator(dictionaries: Record<Locale, Messages>): Translate {
  return (key, params) => {
    const message = dictionaries[locale.value][key] ?? dictionaries['zh-CN'][key] ?? key
    return params ? message.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole)) : message
  }
}

/** Several dictionaries as one, later ones winning. */
export function mergeMessages(...parts: Record<Locale, Messages>[]): Record<Locale, Messages> {
  return {
    'zh-CN': Object.assign({}, ...parts.map((p) => p['zh-CN'])),
    en: Object.assign({}, ...parts.map((p) => p.en)),
  }
}

/** The words every app says alike (same keys, same text); an app's own dictionary may say otherwise. */
export const SHARED_MESSAGES: Record<Locale, Messages> = {
  'zh-CN': {
    'common.language': '语言',
    'common.cancel': '取消',
    'login.submit': '登录',
    'login.expired': '登录已过期，请重新登录',
  },
  en: {
    'common.language': 'Language',
    'common.cancel': 'Cancel',
    'login.submit': 'Sign in',
    'login.expired': 'Your session has ended; please sign in again',
  },
}

/** An app's dictionaries over the shared words, and its translator. */
export function appTranslator(zh: Messages, en: Messages): { MESSAGES: Record<Locale, Messages>; t: Translate } {
  const MESSAGES = mergeMessages(SHARED_MESSAGES, { 'zh-CN': zh, en })
  return { MESSAGES, t: createTranslator(MESSAGES) }
}
