import type { Redis } from 'ioredis'

/** Resolves when the client is connected, has given up, fails, or `timeoutMs` has passed. */
export function redisReady(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready' || client.status === 'end') return Promise.resolve()
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer)
      client.off('ready', done)
      client.off('error', done)
      resolve()
    }
    const timer = setTimeout(done, timeoutMs)
    client.once('ready', done)
    client.once('error', done)
  })
}

/** Quits politely when connected, else drops the connection. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return
  if (client.status === 'ready') {
    try {
      await client.quit()
      return
    } catch {
      // Fall through: drop the connection.
    }
  }
  client.disconnect()
}
