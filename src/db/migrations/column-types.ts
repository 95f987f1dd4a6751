import type { ColumnDataType } from 'kysely'

/** Logical column types that each engine spells its own way; migrations use only these. */
export interface ColumnTypes {
  /** 64-bit integer: money in fen, counters, epoch-millisecond timestamps. */
  bigint: ColumnDataType
  json: ColumnDataType
  double: ColumnDataType
}

export function columnTypesFor(engine: 'sqlite' | 'postgres'): ColumnTypes {
  return engine === 'postgres'
    ? { bigint: 'bigint', json: 'jsonb', double: 'double precision' }
    : { bigint: 'integer', json: 'text', double: 'real' }
}
