import type { AppContext } from '../../app-context.ts'
import { toJson } from '../../db/database.ts'
import { dayKey } from '../../domain/analytics.ts'
import { localDate } from '../../domain/time.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { newId } from '../../ports/ids.ts'
import { cardExists } from '../cards/cards.repository.ts'
import { recordEvents } from '../events/events.repository.ts'
import { addDayView, insertTrackedEvent, noteDayViewer } from './tracking.repository.ts'
import { addReach, viewerDayNeighbours } from '../stats/stats.repository.ts'
import { ALL_CARDS, reachOnAdd } from '../../domain/reach.ts'

/** Who looked: the signed-in customer when there is one, else the browser's `Kabao-Device` id (or nobody known). */
export interface Viewer {
  userId: string | null
  device: string | null
}

/** The largest `props` a tracked event may carry, as JSON. */
export const MAX_PROPS_BYTES = 2048

/** What a device id may look like: printable ASCII without spaces, as a random id would be. */
const DEVICE_ID = /^[\x21-\x7e]{1,128}$/

/** The `Kabao-Device` header as a device id, or null when absent or not one. */
export function deviceOf(header: string | string[] | undefined): string | null {
  return typeof header === 'string' && DEVICE_ID.test(header) ? header : null
}

function viewerKey({ userId, device }: Viewer): string | null {
  if (userId !== null) return `u:${userId}`
  return device === null ? null : `d:${device}`
}

/** An event a view writes with it (a wallet detail view of a card that pushes `user_view_card`: `coupon.viewed`). */
export interface ViewEvent {
  type: string
  data: object
}

/**
 * One view of a card (the claim page, a coupon in the wallet): appended to the record, and counted in the
 * card's day (merchant zone) at once, the viewer only on their first view that day; `events` go to the
 * outbox in the same transaction.
 */
export async function recordCardView(ctx: AppContext, merchantId: string, tz: string, cardId: string, viewer: Viewer, events: ViewEvent[] = []): Promise<void> {
  const now = ctx.clock.now()
  const day = dayKey(localDate(now, tz))
  const key = viewerKey(viewer)
  await ctx.database.db.transaction().execute(async (tx) => {
    await insertTrackedEvent(tx, {
      id: newId('tev', now),
      merchant_id: merchantId,
      event: 'view',
      card_id: cardId,
      user_id: viewer.userId,
      device: viewer.userId === null ? viewer.device : null,
      props: null,
      occurred_at: now,
    })
    const dayViewer = key === null ? null : { merchant_id: merchantId, card_id: cardId, day, viewer: key }
    const newViewer = dayViewer !== null && (await noteDayViewer(tx, dayViewer))
    await addDayView(tx, { merchant_id: merchantId, card_id: cardId, day }, newViewer)
    // A viewer's first view of the card that day links the day to their previous one (distinct viewers over any range),
    // and their first view of any of the merchant's cards that day likewise under ALL_CARDS.
    if (dayViewer !== null && newViewer) {
      await addReach(tx, { merchant_id: merchantId, card_id: cardId, action: 'view' }, reachOnAdd(day, await viewerDayNeighbours(tx, dayViewer)))
      const anyCard = { ...dayViewer, card_id: ALL_CARDS }
      if (await noteDayViewer(tx, anyCard)) await addReach(tx, { merchant_id: merchantId, card_id: ALL_CARDS, action: 'view' }, reachOnAdd(day, await viewerDayNeighbours(tx, anyCard)))
    }
    await recordEvents(tx, events.map((event) => ({ merchantId, type: event.type, data: event.data, now })))
  })
}

export interface TrackInput {
  event: string
  card_id?: string
  user_id?: string
  props?: Record<string, unknown>
}

/** A merchant's own event (a click, a page view) for its custom statistics; `view` is kept for card views. */
export async function trackEvent(ctx: AppContext, merchantId: string, input: TrackInput, device: string | null) {
  if (input.event === 'view') throw validationFailed([{ field: 'event', code: 'reserved', message: '"view" is counted by Kabao itself; name your event otherwise.' }])
  const props = input.props === undefined ? null : toJson(input.props)
  if (props !== null && Buffer.byteLength(props) > MAX_PROPS_BYTES) {
    throw validationFailed([{ field: 'props', code: 'too_large', message: `props may hold at most ${MAX_PROPS_BYTES} bytes of JSON.` }])
  }
  if (input.card_id !== undefined && !(await cardExists(ctx.database.db, merchantId, input.card_id))) {
    throw new AppError('card_not_found', 'There is no card with this id.')
  }
  const now = ctx.clock.now()
  const row = {
    id: newId('tev', now),
    merchant_id: merchantId,
    event: input.event,
    card_id: input.card_id ?? null,
    user_id: input.user_id ?? null,
    device: input.user_id === undefined ? device : null,
    props,
    occurred_at: now,
  }
  await insertTrackedEvent(ctx.database.db, row)
  return row
}
