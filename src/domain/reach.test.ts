import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { distinctInRange, mergeReach, reachOfDays, reachOnAdd, reachOnRemove, type ReachChange } from './reach.ts'

const DAYS = ['2030-03-01', '2030-03-02', '2030-03-03', '2030-03-04', '2030-03-05', '2030-03-06']

/** The neighbours of `day` among a person's active days. */
function neighbours(active: Set<string>, day: string) {
  const sorted = [...active].sort()
  return { prev: sorted.filter((d) => d < day).at(-1) ?? null, next: sorted.find((d) => d > day) ?? null }
}

test('reachOfDays links each active day to the one before', () => {
  assert.deepEqual(reachOfDays(['2030-03-04', '2030-03-01', '2030-03-04']), [
    { day: '2030-03-01', prev_day: '', people: 1 },
    { day: '2030-03-04', prev_day: '2030-03-01', people: 1 },
  ])
})

test('adding a day between two relinks the later one; removing it undoes that', () => {
  const around = { prev: '2030-03-01', next: '2030-03-05' }
  const added = reachOnAdd('2030-03-03', around)
  assert.deepEqual(added, [
    { day: '2030-03-03', prev_day: '2030-03-01', people: 1 },
    { day: '2030-03-05', prev_day: '2030-03-01', people: -1 },
    { day: '2030-03-05', prev_day: '2030-03-03', people: 1 },
  ])
  assert.deepEqual(mergeReach([...added, ...reachOnRemove('2030-03-03', around)]), [])
})

test('distinctInRange counts a person once however many of their days fall in the range', () => {
  const counters = mergeReach([...reachOfDays(['2030-03-01', '2030-03-03', '2030-03-04']), ...reachOfDays(['2030-03-04']), ...reachOfDays(['2030-03-02'])])
  assert.equal(distinctInRange(counters, '2030-03-01', '2030-03-06'), 3)
  assert.equal(distinctInRange(counters, '2030-03-03', '2030-03-04'), 2)
  assert.equal(distinctInRange(counters, '2030-03-02', '2030-03-02'), 1)
  assert.equal(distinctInRange(counters, '2030-03-05', '2030-03-06'), 0)
})

test('any sequence of days added and removed keeps the counters equal to a recount, for every range', () => {
  const step = fc.record({ person: fc.integer({ min: 0, max: 3 }), day: fc.constantFrom(...DAYS), add: fc.boolean() })
  fc.assert(
    fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
      const active = new Map<number, Set<string>>()
      let counters: ReachChange[] = []
      for (const { person, day, add } of steps) {
        const days = active.get(person) ?? new Set<string>()
        active.set(person, days)
        if (add === days.has(day)) continue
        counters = mergeReach([...counters, ...(add ? reachOnAdd(day, neighbours(days, day)) : reachOnRemove(day, neighbours(days, day)))])
        if (add) days.add(day)
        else days.delete(day)
      }
      assert.deepEqual(counters, mergeReach([...active.values()].flatMap((days) => reachOfDays(days))))
      for (const from of DAYS) {
        for (const to of DAYS.filter((d) => d >= from)) {
          const recount = [...active.values()].filter((days) => [...days].some((d) => d >= from && d <= to)).length
          assert.equal(distinctInRange(counters, from, to), recount)
        }
      }
    }),
  )
})
