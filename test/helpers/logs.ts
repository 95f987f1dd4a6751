import { Writable } from 'node:stream'
import pino, { type Logger } from 'pino'

/** A pino logger at info level whose lines are kept in `lines`, to check what reached the log. */
export function capturedLogger(): { lines: string[]; logger: Logger } {
  const lines: string[] = []
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }))
  return { lines, logger }
}
