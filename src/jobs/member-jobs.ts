import type { Job } from './runner.ts'
import { expirePoints } from './expire-points.job.ts'
import { notifyExpiringPoints } from './notify-expiring-points.job.ts'
import { reviewMemberLevels } from './review-member-levels.job.ts'
import { giveBirthdayGifts } from './birthday-gifts.job.ts'

/** Member cards' background work: expiring points are announced before they expire, levels reviewed, birthdays celebrated. */
export const MEMBER_JOBS: Job[] = [notifyExpiringPoints, expirePoints, reviewMemberLevels, giveBirthdayGifts]
