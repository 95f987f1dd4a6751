/**
 * Server processes on one database, and a killer that SIGKILLs one of them at random moments and starts
 * it again, as a crashing machine and its supervisor would.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { startServer, type ServerProcess } from '../../helpers/server-process.ts'

export interface KillerOptions {
  /** A kill comes between minMs and maxMs after the previous restart. */
  minMs: number
  maxMs: number
}

export class Cluster {
  readonly #env: NodeJS.ProcessEnv
  readonly #slots: (ServerProcess | null)[]
  #killing: Promise<void> | null = null
  #stopKilling = false
  kills = 0

  private constructor(env: NodeJS.ProcessEnv, servers: ServerProcess[]) {
    this.#env = env
    this.#slots = servers
  }

  static async start(n: number, env: NodeJS.ProcessEnv): Promise<Cluster> {
    const servers: ServerProcess[] = []
    // One after the other: the first runs the migrations.
    for (let i = 0; i < n; i++) servers.push(await startServer(env))
    return new Cluster(env, servers)
  }

  /** A live server's base URL, chosen at random; null while every one is down. */
  pick(): string | null {
    const live = this.#slots.filter((s): s is ServerProcess => s !== null)
    return live.length === 0 ? null : live[Math.floor(Math.random() * live.length)].base
  }

  startKilling(options: KillerOptions): void {
    this.#killing = (async () => {
      while (!this.#stopKilling) {
        await delay(options.minMs + Math.random() * (options.maxMs - options.minMs))
        if (this.#stopKilling) break
        const slot = Math.floor(Math.random() * this.#slots.length)
        const victim = this.#slots[slot]
        if (!victim) continue
        this.#slots[slot] = null
        await victim.kill()
        this.kills++
        this.#slots[slot] = await startServer(this.#env)
      }
    })()
  }

  async stopKilling(): Promise<void> {
    this.#stopKilling = true
    await this.#killing
  }

  async stop(): Promise<void> {
    await this.stopKilling()
    await Promise.all(this.#slots.map((s) => s?.stop()))
  }
}
