/** Money is integer fen in the API; people read and type yuan. */
export function yuan(fen: number | null | undefined): string {
  if (fen === null || fen === undefined) return ''
  const whole = fen / 100
  return Number.isInteger(whole) ? String(whole) : whole.toFixed(2)
}

/** ¥128.00 */
export function price(fen: number): string {
  return `¥${(fen / 100).toFixed(2)}`
}

/** '12.5' → 1250; null when it is not an amount of money (at most 2 decimals). */
export function toFen(text: string | number | null | undefined): number | null {
  if (text === null || text === undefined) return null
  const value = String(text).trim()
  if (!/^\d+(\.\d{1,2})?$/.test(value)) return null
  const [whole, fraction = ''] = value.split('.')
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0'))
}
