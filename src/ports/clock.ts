/** Where the time comes from: the system clock in production, a settable one in tests. */
export interface Clock {
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

/** A clock for tests: starts at `start` and moves only when told. */
export class ManualClock implements Clock {
  #now: number
  constructor(start: number | string) {
    this.#now = typeof start === 'string' ? Date.parse(start) : start
  }
  now(): number {
    return this.#now
  }
  set(to: number | string): void {
    this.#now = typeof to === 'string' ? Date.parse(to) : to
  }
  advance(ms: number): void {
    this.#now += ms
  }
}
