import pg from 'pg'
import { PostgresDialect } from 'kysely'

/** Column type overrides: int8 (our money, counters and timestamps) as JS numbers, exact below 2^53. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (value: string) => Number(value)
    return pg.types.getTypeParser(oid, format as 'text')
  },
}

export function openPostgres(connectionString: string, poolSize: number): { dialect: PostgresDialect; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString, max: poolSize, types: types as pg.CustomTypesConfig })
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {})
  return { dialect: new PostgresDialect({ pool }), pool }
}

export function isPostgresUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '23505'
}
