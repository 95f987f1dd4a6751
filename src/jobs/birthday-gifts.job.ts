import type { Job } from './runner.ts'
import { nextBirthdayStart, parseBirthday } from '../domain/member-levels.ts'
import { addLocalDays } from '../domain/time.ts'
import { AppError } from '../errors.ts'
import { recordEvent } from '../features/events/events.repository.ts'
import { issueCouponInTx } from '../features/coupons/coupons.service.ts'
import { findMemberWithCard, listMembersDueBirthday, moveNextBirthday } from '../features/members/members.repository.ts'
import { notifyBirthdayGift, type BirthdayGiftData } from '../features/members/member-notices.ts'
import { findCardWithTerms } from '../features/cards/cards.repository.ts'

const BATCH = 50

/**
 * On a member's birthday (in the merchant's zone), issues the birthday coupon of their level, once per
 * birthday (the coupon's source reference names the member and the day), tells the member, then moves
 * on to the next birthday. A gift that cannot be issued (the card ran out or ended) is recorded and skipped.
 */
export const giveBirthdayGifts: Job = {
  name: 'birthday-gifts',
  async run(ctx, now) {
    const { db } = ctx.database
    const due = await listMembersDueBirthday(db, now, BATCH)
    for (const { merchant_id: merchantId, id, next_birthday_at: birthdayAt, birthday, timezone } of due) {
      const { member, card } = await findMemberWithCard(db, merchantId, id)
      const cardId = card.terms.levels[member.level_index].birthday_card_id
      let failure: string | null = null
      if (cardId !== null) {
        try {
          await db.transaction().execute(async (tx) => {
            const issued = await issueCouponInTx(ctx, tx, { merchantId, merchantTz: timezone, cardId, userId: member.user_id, source: 'birthday', sourceRef: `birthday:${id}:${birthdayAt}` }, now)
            if (!issued.created) return
            const title = (await findCardWithTerms(tx, merchantId, cardId))?.terms.title ?? ''
            const data: BirthdayGiftData = { member_id: id, user_id: member.user_id, card_id: cardId, coupon_id: issued.coupon.id, title }
            await recordEvent(tx, { merchantId, type: 'member.birthday_gift', data, now })
            await notifyBirthdayGift(ctx.notifier, tx, merchantId, data, now)
          })
        } catch (error) {
          if (!(error instanceof AppError)) throw error
          failure = error.code
        }
      }
      const date = parseBirthday(birthday ?? '')
      await db.transaction().execute(async (tx) => {
        const next = date === null ? null : nextBirthdayStart(date.month, date.day, addLocalDays(now, 1, timezone), timezone)
        const moved = await moveNextBirthday(tx, merchantId, id, birthdayAt, next)
        if (failure !== null && moved) {
          await recordEvent(tx, { merchantId, type: 'member.birthday_gift_failed', data: { member_id: id, user_id: member.user_id, card_id: cardId, reason: failure }, now })
        }
      })
    }
    return due.length
  },
}
