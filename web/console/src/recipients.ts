/**
 * A recipient as the record of sent messages shows it: enough to recognise a customer, not to copy their
 * contact. `+8613800138000` → `+86 138****8000`; `amy@example.com` → `a**@example.com`.
 */
export function maskRecipient(destination: string): string {
  const at = destination.lastIndexOf('@')
  if (at > 0) {
    const name = destination.slice(0, at)
    return `${name[0]}${'*'.repeat(Math.min(Math.max(name.length - 1, 1), 6))}${destination.slice(at)}`
  }
  const china = /^\+86(\d{3})\d{4}(\d{4})$/.exec(destination)
  if (china) return `+86 ${china[1]}****${china[2]}`
  // Other numbers: keep the first three and last two digits.
  if (destination.length <= 5) return '*'.repeat(destination.length)
  return `${destination.slice(0, 3)}${'*'.repeat(destination.length - 5)}${destination.slice(-2)}`
}
