// Distinct people over any range of days, kept as counters.
//
// For one card and one action (view, claim, redeem) a person is active on some local days. Each active day
// is linked to the person's previous active day ('' when there is none): the counter (day, prev_day) holds
// how many people have that pair. The people active at least once in [from, to] are then exactly those
// whose first active day in the range has its previous day before `from`, so
//
//   distinct(from, to) = Σ people over day in [from, to] and prev_day < from
//
// ('' sorts before every date). A day becoming active or inactive relinks at most the day after it, so
// every change is at most three counter changes, whatever the number of people.

/** One change of a (day, prev_day) counter. */
export interface ReachChange {
  day: string
  /** The person's previous active day, '' when there is none. */
  prev_day: string
  people: number
}

/** The person's active days next to `day`: the last one before and the first one after (null: none). */
export interface Neighbours {
  prev: string | null
  next: string | null
}

/** The counter changes when `day` becomes one of the person's active days. */
export function reachOnAdd(day: string, { prev, next }: Neighbours): ReachChange[] {
  const before = prev ?? ''
  const changes = [{ day, prev_day: before, people: 1 }]
  if (next !== null) changes.push({ day: next, prev_day: before, people: -1 }, { day: next, prev_day: day, people: 1 })
  return changes
}

/** The counter changes when `day` stops being one of the person's active days. */
export function reachOnRemove(day: string, { prev, next }: Neighbours): ReachChange[] {
  const before = prev ?? ''
  const changes = [{ day, prev_day: before, people: -1 }]
  if (next !== null) changes.push({ day: next, prev_day: day, people: -1 }, { day: next, prev_day: before, people: 1 })
  return changes
}

/** The counters of one person's active days (any order, repeats ignored), as a backfill writes them. */
export function reachOfDays(days: Iterable<string>): ReachChange[] {
  const sorted = [...new Set(days)].sort()
  return sorted.map((day, i) => ({ day, prev_day: i === 0 ? '' : sorted[i - 1], people: 1 }))
}

/** Changes added up per (day, prev_day), those that cancel out left out, in day then prev_day order. */
export function mergeReach(changes: Iterable<ReachChange>): ReachChange[] {
  const sums = new Map<string, ReachChange>()
  for (const c of changes) {
    const key = `${c.day}|${c.prev_day}`
    const sum = sums.get(key)
    if (sum) sum.people += c.people
    else sums.set(key, { ...c })
  }
  return [...sums.values()].filter((c) => c.people !== 0).sort((a, b) => (a.day === b.day ? (a.prev_day < b.prev_day ? -1 : 1) : a.day < b.day ? -1 : 1))
}

/** How many distinct people the counters say were active in [from, to] (day keys 'YYYY-MM-DD'). */
export function distinctInRange(counters: Iterable<ReachChange>, from: string, to: string): number {
  let n = 0
  for (const c of counters) if (c.day >= from && c.day <= to && c.prev_day < from) n += c.people
  return n
}

/**
 * The card id under which the counters of all a merchant's cards together are kept (no card has it): the
 * distinct people across the merchant, which the cards' own counters cannot add up to.
 */
export const ALL_CARDS = ''
