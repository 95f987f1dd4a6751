/**
 * A real HTTP receiver for webhook tests, and an independent check of Kabao's signatures (written from
 * the contract, not with the code under test).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { createHmac, timingSafeEqual } from 'node:crypto'
import { useForTests } from './hooks.ts'

export interface Received {
  path: string
  headers: IncomingMessage['headers']
  /** The raw body, as signed. */
  raw: string
  body: any
  /** The n-th request this receiver got, from 1. */
  n: number
  /** The status it was answered with; null while held or when dropped. */
  answered: number | null
}

/** What the receiver does with a request: answer with a status, never answer, or drop the connection. */
export type Behaviour = number | 'hang' | 'reset'

export interface Receiver {
  url: string
  received: Received[]
  /** Requests being held open right now ('hang'), and the most ever held at once. */
  open(): number
  maxOpen(): number
  /** Decides each request's fate; 200 when not set. */
  behave(decide: (request: Received) => Behaviour): void
  /** Answers every held request with this status. */
  release(status?: number): void
  /** Resolves once `predicate` holds for what was received. */
  until(predicate: (received: Received[]) => boolean, what: string, timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = []
  const held = new Set<ServerResponse>()
  const heldRequests = new WeakMap<ServerResponse, Received>()
  let maxOpen = 0
  let decide: (request: Received) => Behaviour = () => 200
  const waiters = new Set<() => void>()

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      let body: unknown = null
      try {
        body = JSON.parse(raw)
      } catch {
        body = null
      }
      const request: Received = { path: req.url ?? '/', headers: req.headers, raw, body, n: received.length + 1, answered: null }
      received.push(request)
      for (const wake of waiters) wake()
      const behaviour = decide(request)
      if (behaviour === 'reset') {
        req.socket.destroy()
      } else if (behaviour === 'hang') {
        heldRequests.set(res, request)
        held.add(res)
        maxOpen = Math.max(maxOpen, held.size)
        res.on('close', () => held.delete(res))
      } else {
        request.answered = behaviour
        res.writeHead(behaviour, { 'content-type': 'text/plain' }).end('ok')
      }
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    open: () => held.size,
    maxOpen: () => maxOpen,
    behave(next) {
      decide = next
    },
    release(status = 200) {
      for (const res of held) {
        if (res.writableEnded || res.destroyed) continue
        res.writeHead(status).end('late')
        const request = heldRequests.get(res)
        if (request) request.answered = status
      }
      held.clear()
    },
    async until(predicate, what, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs
      while (!predicate(received)) {
        const left = deadline - Date.now()
        if (left <= 0) throw new Error(`timed out waiting for ${what}; received ${received.length} requests`)
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake)
            clearTimeout(timer)
            resolve()
          }
          const timer = setTimeout(wake, Math.min(left, 200))
          waiters.add(wake)
        })
      }
    },
    async close() {
      for (const res of held) res.destroy()
      held.clear()
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    },
  }
}

/** The `v1` signatures and the timestamp of a `Kabao-Signature` header. */
export function parseSignature(header: string | string[] | undefined): { t: number; v1: string[] } {
  const parts = String(header ?? '').split(',')
  const t = Number(parts.find((p) => p.startsWith('t='))?.slice(2))
  return { t, v1: parts.filter((p) => p.startsWith('v1=')).map((p) => p.slice(3)) }
}

/**
 * What a merchant's receiver does, straight from the contract: HMAC-SHA256(secret, "<t>.<raw body>") in hex
 * must equal one of the `v1` values, and `t` must be within 5 minutes of `nowSeconds`.
 */
export function verifySignature(request: Pick<Received, 'headers' | 'raw'>, secret: string, nowSeconds: number): boolean {
  const { t, v1 } = parseSignature(request.headers['kabao-signature'])
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > 300) return false
  const expected = createHmac('sha256', secret).update(`${t}.${request.raw}`).digest()
  return v1.some((candidate) => {
    const given = Buffer.from(candidate, 'hex')
    return given.length === expected.length && timingSafeEqual(given, expected)
  })
}

/** A receiver for the tests of the enclosing `describe`, started before them and closed after. */
export function useReceiver(): Receiver {
  return useForTests(startReceiver, (receiver) => receiver.close())
}
