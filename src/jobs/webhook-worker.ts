import type { AppContext } from '../app-context.ts'
import {
  DISPATCH_BATCH,
  attemptDelivery,
  claimDueDeliveries,
  dispatchEvents,
  nextDeliveryDueAfter,
  type WebhookSettings,
} from '../features/webhooks/webhook-delivery.ts'

export interface WebhookWorker {
  /** Look for new events and due deliveries soon (a change was just committed, or a request slot freed). */
  wake(): void
  /** Stops taking work and waits for the requests in flight (each bounded by the timeout). */
  stop(): Promise<void>
}

/** Wake-ups closer together than this are merged, so a burst of writes costs one look, not one each. */
const WAKE_DELAY_MS = 20

const running = new Set<WebhookWorker>()

/**
 * Tells this process's webhook workers that events may have just been committed, so they go out within
 * moments instead of at the next poll. Cheap: at most a timer. Called after write requests and job runs.
 */
export function nudgeWebhooks(): void {
  for (const worker of running) worker.wake()
}

/**
 * The delivery loop of one process: fan committed events out, claim due deliveries up to the free request
 * slots, send them without waiting (each records its own outcome), then sleep until the next retry falls
 * due, the poll interval passes or something wakes it. Every process on a database may run one: the
 * database leases keep them from sending the same attempt twice.
 */
export function startWebhookWorker(ctx: AppContext, settings: WebhookSettings, options: { pollMs: number; log: { error(obj: object, msg: string): void } }): WebhookWorker {
  const inFlight = new Set<Promise<void>>()
  let stopped = false
  let cycling: Promise<void> | null = null
  let again = false
  let timer: NodeJS.Timeout | null = null
  let timerAt = Infinity

  const schedule = (delayMs: number) => {
    if (stopped) return
    const at = Date.now() + delayMs
    if (timer !== null && timerAt <= at) return
    if (timer !== null) clearTimeout(timer)
    timerAt = at
    timer = setTimeout(() => {
      timer = null
      timerAt = Infinity
      run()
    }, delayMs)
  }

  const run = () => {
    if (stopped) return
    if (cycling) {
      again = true
      return
    }
    cycling = cycle()
      .catch((err) => options.log.error({ err }, 'webhook delivery cycle failed'))
      .finally(() => {
        cycling = null
        if (again) {
          again = false
          schedule(WAKE_DELAY_MS)
        } else if (timer === null) {
          // The cycle failed before planning the next one: try again at the next poll.
          schedule(options.pollMs)
        }
      })
  }

  const cycle = async () => {
    while ((await dispatchEvents(ctx, ctx.clock.now())) === DISPATCH_BATCH && !stopped);
    const claimed = stopped ? [] : await claimDueDeliveries(ctx, settings, ctx.clock.now(), settings.maxInFlight - inFlight.size)
    for (const delivery of claimed) {
      const sending: Promise<void> = attemptDelivery(ctx, settings, delivery)
        .catch((err) => options.log.error({ err, delivery_id: delivery.deliveryId }, 'webhook attempt could not be recorded'))
        .finally(() => {
          inFlight.delete(sending)
          // A slot is free: more may be due.
          worker.wake()
        })
      inFlight.add(sending)
    }
    const now = ctx.clock.now()
    const due = await nextDeliveryDueAfter(ctx, now)
    schedule(due === null ? options.pollMs : Math.max(WAKE_DELAY_MS, Math.min(options.pollMs, due - now)))
  }

  const worker: WebhookWorker = {
    wake: () => schedule(WAKE_DELAY_MS),
    async stop() {
      stopped = true
      running.delete(worker)
      if (timer !== null) clearTimeout(timer)
      await cycling
      await Promise.all(inFlight)
    },
  }
  running.add(worker)
  schedule(0)
  return worker
}
