// Time-zone math on epoch milliseconds with Intl only. Every business date (validity days, usable
// hours) is a local date in a merchant's or store's zone, never the server's.

export interface ZonedParts {
  year: number
  month: number // 1..12
  day: number
  hour: number // 0..23
  minute: number
  second: number
  weekday: number // 1 = Monday … 7 = Sunday
}

export interface LocalDate { year: number; month: number; day: number }

const SECOND = 1000
const DAY = 86_400_000

// Creating a DateTimeFormat costs far more than using one; these run on the redemption hot path.
const formatters = new Map<string, Intl.DateTimeFormat>()

function formatterFor(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz)
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(tz, f)
  }
  return f
}

/** An IANA zone name that Intl knows ('Asia/Shanghai', 'UTC'). Bare offsets like '+08:00' are refused. */
export function isValidTimeZone(tz: string): boolean {
  return canonicalTimeZone(tz) !== null
}

/** The canonical spelling of a zone name ('asia/shanghai' → 'Asia/Shanghai'), or null if unknown. */
export function canonicalTimeZone(tz: string): string | null {
  // Intl also accepts fixed offsets; a fixed offset ignores DST, which is never what a shop means.
  if (typeof tz !== 'string' || tz === '' || /^[+-]/.test(tz)) return null
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone
  } catch {
    return null
  }
}

/** Epoch ms of a wall-clock reading taken as if it were UTC (also right for years 0..99). */
function wallClockMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  // Date.UTC reads years 0..99 as 1900..1999; shift by one 400-year Gregorian cycle instead.
  if (year >= 0 && year < 100) return Date.UTC(year + 400, month - 1, day, hour, minute, second) - 146_097 * DAY
  return Date.UTC(year, month - 1, day, hour, minute, second)
}

function isoWeekday(year: number, month: number, day: number): number {
  const sundayZero = new Date(wallClockMs(year, month, day)).getUTCDay()
  return sundayZero === 0 ? 7 : sundayZero
}

/**
 * A zone's offset is the same for long stretches, and reading it through Intl is the slow part of every
 * local-time rule and every timestamp the API returns. So offsets are remembered per zone and quarter of an
 * hour: read at both ends of the quarter, and used for the instants in between only when the two agree (no
 * zone changes its offset twice within fifteen minutes); a quarter with a change is read exactly each time.
 */
const OFFSET_SPAN = 15 * 60 * SECOND
const offsetsBySpan = new Map<string, number | null>()

function offsetFor(instantMs: number, tz: string): number {
  const span = Math.floor(instantMs / OFFSET_SPAN)
  const key = `${tz} ${span}`
  let offset = offsetsBySpan.get(key)
  if (offset === undefined) {
    const start = span * OFFSET_SPAN
    const first = exactOffset(start, tz)
    offset = first === exactOffset(start + OFFSET_SPAN - SECOND, tz) ? first : null
    if (offsetsBySpan.size >= 10_000) offsetsBySpan.clear()
    offsetsBySpan.set(key, offset)
  }
  return offset ?? exactOffset(instantMs, tz)
}

function exactOffset(instantMs: number, tz: string): number {
  return offsetOf(readZonedParts(instantMs, tz), instantMs)
}

/** The local calendar reading of an instant in a zone (seconds truncated). */
export function zonedParts(instantMs: number, tz: string): ZonedParts {
  const local = new Date(Math.floor(instantMs / SECOND) * SECOND + offsetFor(instantMs, tz))
  const sundayZero = local.getUTCDay()
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    weekday: sundayZero === 0 ? 7 : sundayZero,
  }
}

/** The reading through Intl: exact, and slow. */
function readZonedParts(instantMs: number, tz: string): ZonedParts {
  const parts = formatterFor(tz).formatToParts(instantMs)
  let year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0
  for (const p of parts) {
    switch (p.type) {
      case 'year': year = Number(p.value); break
      case 'month': month = Number(p.value); break
      case 'day': day = Number(p.value); break
      case 'hour': hour = Number(p.value) % 24; break // some ICU versions print midnight as 24
      case 'minute': minute = Number(p.value); break
      case 'second': second = Number(p.value); break
    }
  }
  return { year, month, day, hour, minute, second, weekday: isoWeekday(year, month, day) }
}

/** The zone's UTC offset in ms at an instant (positive east of Greenwich). */
export function offsetAt(instantMs: number, tz: string): number {
  return offsetFor(instantMs, tz)
}

/** The offset an instant's local reading `p` implies. */
function offsetOf(p: ZonedParts, instantMs: number): number {
  const wholeSecond = Math.floor(instantMs / SECOND) * SECOND
  return wallClockMs(p.year, p.month, p.day, p.hour, p.minute, p.second) - wholeSecond
}

/** The local wall-clock reading of an instant, as ms on a UTC axis. */
function wallMsAt(instantMs: number, tz: string): number {
  return instantMs + offsetAt(instantMs, tz)
}

/**
 * The first instant of a local date. Normally local midnight; when the clocks spring forward at
 * midnight (America/Santiago, America/Havana) midnight does not exist and the day starts at the
 * transition (01:00 local); when midnight happens twice, the earlier one.
 */
export function zonedStartOfDay(year: number, month: number, day: number, tz: string): number {
  const midnight = wallClockMs(year, month, day)
  // Zones change offset at most once around a given midnight, so the offsets a day either side are
  // the only ones that matter.
  const before = offsetAt(midnight - DAY, tz)
  const after = offsetAt(midnight + DAY, tz)
  const candidates = [midnight - before, midnight - after].filter((t) => wallMsAt(t, tz) === midnight)
  if (candidates.length > 0) return Math.min(...candidates)

  // Midnight falls in a spring-forward gap: find the transition, the first instant whose wall clock
  // reads at or after midnight. lo reads before midnight, hi after.
  let lo = midnight - Math.max(before, after)
  let hi = midnight - Math.min(before, after)
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2)
    if (wallMsAt(mid, tz) >= midnight) hi = mid
    else lo = mid
  }
  return hi
}

/** A calendar date moved by a number of days (no time zone involved). */
export function addCalendarDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(wallClockMs(date.year, date.month, date.day + days))
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() }
}

/** The local date in tz of an instant. */
export function localDate(instantMs: number, tz: string): LocalDate {
  const p = zonedParts(instantMs, tz)
  return { year: p.year, month: p.month, day: p.day }
}

/** The local calendar date `days` after the local date of an instant. */
export function addLocalDays(instantMs: number, days: number, tz: string): LocalDate {
  return addCalendarDays(localDate(instantMs, tz), days)
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0')

/** formatInstant for a moment that may not have come (yet): null stays null. */
export function formatOptionalInstant(instantMs: number | null, tz: string): string | null {
  return instantMs === null ? null : formatInstant(instantMs, tz)
}

/**
 * '2026-11-23T10:00:00+08:00': seconds precision, with the zone's offset at that instant. UTC is
 * written '+00:00', never 'Z', so every timestamp the API returns has the same shape.
 */
export function formatInstant(instantMs: number, tz: string): string {
  // This runs for every timestamp the API returns (forty on a wallet page): the remembered offset read
  // once, the local reading from one Date, the offset's text remembered.
  const offset = offsetFor(instantMs, tz)
  const local = new Date(Math.floor(instantMs / SECOND) * SECOND + offset)
  const year = local.getUTCFullYear()
  return `${year >= 1000 ? year : pad(year, 4)}-${two(local.getUTCMonth() + 1)}-${two(local.getUTCDate())}T${two(local.getUTCHours())}:${two(local.getUTCMinutes())}:${two(local.getUTCSeconds())}${offsetText(Math.round(offset / SECOND))}`
}

const two = (n: number): string => (n < 10 ? `0${n}` : `${n}`)

const offsetTexts = new Map<number, string>()

/** '+08:00' for an offset in seconds (with its seconds, for the local mean times before ~1900). */
function offsetText(offsetSeconds: number): string {
  let text = offsetTexts.get(offsetSeconds)
  if (text === undefined) {
    const sign = offsetSeconds < 0 ? '-' : '+'
    const abs = Math.abs(offsetSeconds)
    text = `${sign}${pad(Math.floor(abs / 3600))}:${pad(Math.floor(abs / 60) % 60)}` + (abs % 60 === 0 ? '' : `:${pad(abs % 60)}`)
    if (offsetTexts.size < 1000) offsetTexts.set(offsetSeconds, text)
  }
  return text
}

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2})(?::(\d{2}))?)?)$/

function daysInMonth(year: number, month: number): number {
  return new Date(wallClockMs(year, month + 1, 0)).getUTCDate()
}

/**
 * Epoch ms of an ISO 8601 timestamp with an explicit offset or Z ('2026-11-23T10:00:00+08:00',
 * '2026-11-23T02:00Z', fractions allowed and truncated to the ms). Null when invalid or when the
 * offset is missing: a time without an offset is ambiguous and never guessed.
 */
export function parseInstant(iso: string): number | null {
  if (typeof iso !== 'string') return null
  const m = ISO_INSTANT.exec(iso)
  if (m === null) return null
  const [, y, mo, d, h, mi, s, frac, z, sign, oh, om, os] = m
  const year = Number(y), month = Number(mo), day = Number(d)
  const hour = Number(h), minute = Number(mi), second = s === undefined ? 0 : Number(s)
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null
  if (hour > 23 || minute > 59 || second > 59) return null
  let offsetSeconds = 0
  if (z === undefined) {
    const offH = Number(oh), offM = om === undefined ? 0 : Number(om), offS = os === undefined ? 0 : Number(os)
    if (offH > 23 || offM > 59 || offS > 59) return null
    offsetSeconds = (sign === '-' ? -1 : 1) * (offH * 3600 + offM * 60 + offS)
  }
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'))
  return wallClockMs(year, month, day, hour, minute, second) + ms - offsetSeconds * SECOND
}
