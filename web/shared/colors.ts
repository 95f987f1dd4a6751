/** The card colours merchants know from WeChat card faces. */
export const CARD_COLORS = ['#63b359', '#2c9f67', '#509fc9', '#5885cf', '#9062c0', '#d09a45', '#e4b138', '#ee903c', '#f08500', '#a9d92d', '#dd6549', '#cc463d', '#cf3e36', '#5e6671', '#026842']
export const DEFAULT_CARD_COLOR = '#2c9f67'

function channels(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16)
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255]
}

function toHex([r, g, b]: [number, number, number]): string {
  return `#${[r, g, b].map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`
}

/** WCAG relative luminance. */
export function luminance(hex: string): number {
  const [r, g, b] = channels(hex).map((c) => {
    const s = c / 255
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}

export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (hi + 0.05) / (lo + 0.05)
}

/**
 * The face's background for white text: the merchant's colour, deepened just enough that white text on
 * it is easy to read (WCAG AA, 4.5:1). Light colours such as #e4b138 otherwise leave the title unreadable.
 */
export function faceBackground(color: string | null | undefined): string {
  let rgb = channels(color && /^#[0-9a-fA-F]{6}$/.test(color) ? color : DEFAULT_CARD_COLOR)
  for (let i = 0; i < 40 && contrast(toHex(rgb), '#ffffff') < 4.6; i++) rgb = rgb.map((c) => c * 0.95) as [number, number, number]
  return toHex(rgb)
}
