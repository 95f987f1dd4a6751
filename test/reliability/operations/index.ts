import type { Operation } from './operation.ts'
import { issue } from './issue.ts'
import { claim } from './claim.ts'
import { redeem } from './redeem.ts'
import { reverse } from './reverse.ts'
import { voidCoupon } from './void.ts'
import { raceRedeem } from './race-redeem.ts'
import { earn } from './earn.ts'
import { burn, raceBurn } from './burn.ts'
import { raceGift } from './race-gift.ts'

export type { Operation }

/** Every operation the clients mix. */
export const OPERATIONS: Operation[] = [issue, claim, redeem, reverse, voidCoupon, raceRedeem, earn, burn, raceBurn, raceGift]
