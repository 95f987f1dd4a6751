/** Whether a day of the trend counts anything: a chart of nothing but zeros is shown as an empty state. */
export function hasActivity(days: readonly { claims: number; redemptions: number }[]): boolean {
  return days.some((day) => day.claims > 0 || day.redemptions > 0)
}

/** The cards that gave out most coupons (then most redeemed), for the programme's top list. */
export function topCards<C extends { issued_count: number; redeemed_count: number }>(cards: readonly C[], n: number): C[] {
  return [...cards].sort((a, b) => b.issued_count - a.issued_count || b.redeemed_count - a.redeemed_count).slice(0, n)
}
