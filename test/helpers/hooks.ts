import { after, before } from 'node:test'

/**
 * A resource for the tests of the enclosing `describe`: made by `start` in a `before` hook and ended by
 * `stop` in an `after` hook. The returned stand-in forwards to it, so use it inside tests only.
 */
export function useForTests<T extends object>(start: () => Promise<T>, stop: (resource: T) => unknown): T {
  let current: T | undefined
  before(async () => {
    current = await start()
  })
  after(async () => {
    if (current) await stop(current)
  })
  return new Proxy({} as T, {
    get(_, key) {
      if (!current) throw new Error('This resource starts in a before hook: use it inside tests.')
      const value = Reflect.get(current, key)
      return typeof value === 'function' ? value.bind(current) : value
    },
  })
}
