/**
 * The machine as a new user has it: the PATH without the project's own node_modules (where the pinned
 * Node.js lives), so `node` and `npm` are the system's.
 */
import { execFileSync } from 'node:child_process'
import path from 'node:path'

export function systemPath(): string {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => dir !== '' && !dir.split(path.sep).includes('node_modules'))
    .join(path.delimiter)
}

/** The major version of the first `node` on the system PATH. */
export function systemNodeMajor(): number {
  const version = execFileSync('node', ['-p', 'process.versions.node'], { env: { ...process.env, PATH: systemPath() }, encoding: 'utf8' })
  return Number(version.split('.')[0])
}
