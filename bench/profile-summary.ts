/**
 * `node bench/profile-summary.ts FILE.cpuprofile [--top N]`: where a server's CPU went, from a profile
 * that `npm run bench -- --scenario NAME --profile DIR` wrote. Prints the share of busy time (idle left
 * out) by area (our code by feature, the database drivers, Kysely, Fastify, Node's HTTP, garbage
 * collection) and the functions with the most self time.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/** The area a function belongs to, from the file it is in. */
export function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName === '(garbage collector)' ? 'garbage collection' : functionName.startsWith('(') ? functionName : 'native'
  const ours = /\/src\/(features\/[^/]+|[^/]+)/.exec(url)
  if (ours && !url.includes('node_modules')) return `src/${ours[1].replace(/\.ts$/, '')}`
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg) return pkg[1]
  if (url.startsWith('node:') || !url.includes('/')) return `node:${url.replace(/^node:/, '').split('/')[0]}`
  return url
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' } } })
  if (positionals.length !== 1) throw new Error('usage: node bench/profile-summary.ts FILE.cpuprofile [--top N]')
  const profile = JSON.parse(readFileSync(positionals[0], 'utf8')) as Profile
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const selfTime = new Map<number, number>()
  profile.samples.forEach((id, i) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  const byArea = new Map<string, number>()
  const byFunction = new Map<string, number>()
  let busy = 0
  for (const [id, time] of selfTime) {
    const { functionName, url, lineNumber } = (nodes.get(id) as ProfileNode).callFrame
    if (functionName === '(idle)') continue
    busy += time
    const area = areaOf(url, functionName)
    byArea.set(area, (byArea.get(area) ?? 0) + time)
    const name = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|src)\//, '$1/')}:${lineNumber + 1}`
    byFunction.set(name, (byFunction.get(name) ?? 0) + time)
  }
  const print = (title: string, entries: Map<string, number>, top: number) => {
    console.log(`\n${title}`)
    for (const [name, time] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * time) / busy).toFixed(1).padStart(6)} %  ${name}`)
  }
  console.log(`busy ${(busy / 1e6).toFixed(2)} s of ${(profile.timeDeltas.reduce((a, b) => a + b, 0) / 1e6).toFixed(2)} s sampled`)
  print('self time by area', byArea, 25)
  print('self time by function', byFunction, Number(values.top))
}

if (import.meta.main) main()
