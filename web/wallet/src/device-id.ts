/**
 * The wallet's device id (`Kabao-Device`): 32 random hex digits made once in this browser and kept in its
 * localStorage, nothing derived from the device. It lets the risk rules count accounts per device and the
 * claim page count a viewer before sign-in; clearing the site's data makes a new one (docs/risk.md).
 */
const DEVICE_KEY = 'kabao.device'

let inMemory: string | null = null

function randomDeviceId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')
}

export function deviceId(): string {
  try {
    let id = localStorage.getItem(DEVICE_KEY)
    if (!id || !/^[0-9a-f]{32}$/.test(id)) {
      id = randomDeviceId()
      localStorage.setItem(DEVICE_KEY, id)
    }
    return id
  } catch {
    // Storage refused (private browsing): one id for as long as the page is open.
    return (inMemory ??= randomDeviceId())
  }
}

/** The header every wallet call carries. */
export function deviceHeaders(): Record<string, string> {
  return { 'kabao-device': deviceId() }
}
