/** Rows of the customers tables: timestamps are epoch ms (UTC), money integer fen, flags 0/1. */

export interface CustomersTable {
  id: string
  merchant_id: string
  user_id: string
  phone: string | null
  email: string | null
  created_at: number
}

export interface OtpChallengesTable {
  id: string
  merchant_id: string
  destination: string
  code_hash: string
  attempts: number
  expires_at: number
  consumed_at: number | null
  created_at: number
}
