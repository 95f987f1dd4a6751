import { Type, type Static } from 'typebox'
import { ListQuery, Nullable, Timestamp } from '../../http/schemas.ts'
import type { NotificationKind } from './notifications.table.ts'

export const NotificationQuery = Type.Intersect([ListQuery, Type.Object({ unread: Type.Optional(Type.Boolean({ description: 'Only those not yet read' })) })])

export const NotificationKindSchema = Type.Union(
  [
    Type.Literal('points.changed'),
    Type.Literal('points.expiring'),
    Type.Literal('member.level_changed'),
    Type.Literal('stored_value.changed'),
    Type.Literal('member.birthday_gift'),
    Type.Literal('reward.exchanged'),
    Type.Literal('coupon.expiring'),
    Type.Literal('coupon.gifted'),
    Type.Literal('coupon.gift_received'),
    Type.Literal('coupon.gift_returned'),
    Type.Literal('share.rewarded'),
    Type.Literal('coupon.unlocked'),
    Type.Literal('group.completed'),
    Type.Literal('group.failed'),
    Type.Literal('referral.rewarded'),
  ],
  { description: 'What it is about, in the event catalogue’s words' },
)

// A kind added to the message catalogue must be listed above, and only those.
const everyKindListed: [Exclude<NotificationKind, Static<typeof NotificationKindSchema>>, Exclude<Static<typeof NotificationKindSchema>, NotificationKind>] extends [never, never] ? true : never = true
void everyKindListed

export const NotificationSchema = Type.Object({
  id: Type.String(),
  kind: NotificationKindSchema,
  title: Type.String({ description: 'In the merchant’s language' }),
  body: Type.String({ description: 'In the merchant’s language' }),
  data: Type.Object({}, { additionalProperties: true, description: 'The data of the event it tells of' }),
  created_at: Timestamp,
  read_at: Nullable(Timestamp),
})

export const NotificationListSchema = Type.Object({
  data: Type.Array(NotificationSchema),
  next_cursor: Nullable(Type.String()),
  unread_count: Type.Integer({ description: 'Unread notifications in all' }),
})

export const MarkedReadSchema = Type.Object({ marked_read: Type.Integer() })
