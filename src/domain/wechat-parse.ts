// Reading what real WeChat clients send (WECHAT-API.md §1.5): JSON whatever the Content-Type (also a form
// body carrying a raw JSON string, or form fields), a BOM and whitespace tolerated, numbers as decimal
// strings, booleans as "true"/1, and "" or null meaning absent. Pure: the facade's routes hand the raw text here.

export type Parsed = { ok: true; value: Record<string, unknown> } | { ok: false; reason: 'malformed' | 'not_object' | 'nul' }

/** Keys that could tamper with object prototypes once merged: dropped while parsing. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

function parseJson(text: string): unknown {
  return JSON.parse(text, (key, value) => (FORBIDDEN_KEYS.has(key) ? undefined : value))
}

function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000')
  if (Array.isArray(value)) return value.some(hasNul)
  if (value !== null && typeof value === 'object') return Object.entries(value).some(([k, v]) => k.includes('\u0000') || hasNul(v))
  return false
}

function asObject(value: unknown): Parsed {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: 'not_object' }
  if (hasNul(value)) return { ok: false, reason: 'nul' }
  return { ok: true, value: value as Record<string, unknown> }
}

/**
 * The request body as an object: JSON first; else form fields (`a=1&b=2`), where a single field whose name
 * (or value) is itself JSON is read as that JSON (what some clients make of a JSON body sent as a form).
 * Empty = `{}`.
 */
export function parseWechatBody(raw: string | undefined | null): Parsed {
  const text = (raw ?? '').replace(/^\uFEFF/, '').trim()
  if (text === '') return { ok: true, value: {} }
  if (text.startsWith('{') || text.startsWith('[')) {
    try {
      return asObject(parseJson(text))
    } catch {
      // A JSON text that a client sent as a form field's name (`{…}=`) is read as a form below.
      if (!text.endsWith('=')) return { ok: false, reason: 'malformed' }
    }
  }
  if (text.startsWith('%7B') || text.startsWith('%7b')) {
    try {
      return asObject(parseJson(decodeURIComponent(text.replace(/\+/g, ' '))))
    } catch {
      return { ok: false, reason: 'malformed' }
    }
  }
  if (!/^[^=&]+=/.test(text)) return { ok: false, reason: 'malformed' }
  const form = new URLSearchParams(text)
  const entries = [...form.entries()]
  if (entries.length === 1) {
    const [[name, value]] = entries
    for (const candidate of [value, name]) {
      const trimmed = candidate.trim()
      if (trimmed.startsWith('{')) {
        try {
          return asObject(parseJson(trimmed))
        } catch {
          return { ok: false, reason: 'malformed' }
        }
      }
    }
  }
  const value: Record<string, unknown> = {}
  for (const [name, field] of entries) if (!FORBIDDEN_KEYS.has(name)) value[name] = field
  return asObject(value)
}

/** A field's value, or undefined when absent, null or "". */
export function present(value: unknown): unknown {
  return value === null || value === '' ? undefined : value
}

export type Read<T> = { ok: true; value: T | undefined } | { ok: false }

/** An integer from a JSON number or a decimal string ("100", " 100 "), within [min, max]; absent → undefined. */
export function readInt(value: unknown, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Read<number> {
  const v = present(value)
  if (v === undefined) return { ok: true, value: undefined }
  let n: number
  if (typeof v === 'number') n = v
  else if (typeof v === 'string' && /^\s*-?\d{1,16}\s*$/.test(v)) n = Number(v.trim())
  else return { ok: false }
  if (!Number.isSafeInteger(n) || n < min || n > max) return { ok: false }
  return { ok: true, value: n }
}

/** A boolean from true/false, "true"/"false" (any case), 1/0 or "1"/"0"; absent → undefined. */
export function readBool(value: unknown): Read<boolean> {
  const v = present(value)
  if (v === undefined) return { ok: true, value: undefined }
  if (v === true || v === 1 || v === '1') return { ok: true, value: true }
  if (v === false || v === 0 || v === '0') return { ok: true, value: false }
  if (typeof v === 'string' && ['true', 'false'].includes(v.trim().toLowerCase())) return { ok: true, value: v.trim().toLowerCase() === 'true' }
  return { ok: false }
}

/** A string (numbers are read as their decimal text: a code may arrive as a JSON number); absent → undefined. */
export function readString(value: unknown): Read<string> {
  const v = present(value)
  if (v === undefined) return { ok: true, value: undefined }
  if (typeof v === 'string') return { ok: true, value: v }
  if (typeof v === 'number' && Number.isSafeInteger(v)) return { ok: true, value: String(v) }
  return { ok: false }
}

/** An object field, or undefined when absent; anything else is not one. */
export function readObject(value: unknown): Read<Record<string, unknown>> {
  const v = present(value)
  if (v === undefined) return { ok: true, value: undefined }
  if (typeof v === 'object' && !Array.isArray(v)) return { ok: true, value: v as Record<string, unknown> }
  return { ok: false }
}

/** The first of several spellings of one field that is present (`new_code` | `newcode`). */
export function firstPresent(body: Record<string, unknown>, ...names: string[]): unknown {
  for (const name of names) if (present(body[name]) !== undefined) return body[name]
  return undefined
}
