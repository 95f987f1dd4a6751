import os from 'node:os'
import { DatabaseSync } from 'node:sqlite'
import pg from 'pg'

export interface Machine {
  cpus: number
  cpu_model: string
  memory_gb: number
  os: string
  node: string
  sqlite: string
  postgres: string | null
  /** 1-minute load average when the run started: how busy the machine was with other work. */
  load_average_at_start: number
}

export async function describeMachine(postgresUrl: string | null): Promise<Machine> {
  const sqlite = new DatabaseSync(':memory:')
  const sqliteVersion = (sqlite.prepare('select sqlite_version() as v').get() as { v: string }).v
  sqlite.close()
  let postgres: string | null = null
  if (postgresUrl) {
    const client = new pg.Client({ connectionString: postgresUrl })
    await client.connect()
    postgres = (await client.query<{ v: string }>("select current_setting('server_version') as v")).rows[0].v
    await client.end()
  }
  return {
    cpus: os.availableParallelism(),
    cpu_model: os.cpus()[0]?.model.trim() ?? 'unknown',
    memory_gb: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    sqlite: sqliteVersion,
    postgres,
    load_average_at_start: Math.round(os.loadavg()[0] * 100) / 100,
  }
}
