/** Camera scanning needs the browser's BarcodeDetector and a camera (and a secure page). */
export function cameraScanningAvailable(): boolean {
  return typeof window !== 'undefined' && 'BarcodeDetector' in window && !!navigator.mediaDevices?.getUserMedia
}

/**
 * A keyboard-wedge scanner "types" a whole code within a few dozen milliseconds and presses Enter; a
 * person takes seconds. The channel recorded with the redemption tells them apart.
 */
export function typedByScanner(keyTimes: number[]): boolean {
  if (keyTimes.length < 6) return false
  const span = keyTimes[keyTimes.length - 1] - keyTimes[0]
  return span / (keyTimes.length - 1) < 35
}
