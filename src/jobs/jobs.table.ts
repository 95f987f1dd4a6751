/** Rows of the jobs tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

export interface JobLeasesTable {
  name: string
  holder: string
  locked_until: number
  last_run_at: number | null
}

export interface JobRunsTable {
  job: string
  period_key: string
  holder: string
  attempts: number
  started_at: number
  finished_at: number | null
  handled: number | null
}
