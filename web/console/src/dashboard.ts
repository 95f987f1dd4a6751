/** Whether a day of the trend counts anything: a chart of nothing but zeros is shown as an empty state. */
export function hasActivity(days: readonly { claims: number; redemptions: number }[]): boolean {
  return days.some((day) => day.claims > 0 || day.redemptions > 0)
}
