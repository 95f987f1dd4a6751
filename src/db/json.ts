/** A JSON column: text on SQLite, jsonb on PostgreSQL; read it through `fromJson`. */
export type Json = unknown
