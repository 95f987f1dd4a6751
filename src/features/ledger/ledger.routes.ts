import { Type, type Static, type TSchema } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import type { Db } from '../../db/database.ts'
import { merchantOf } from '../../http/auth.ts'
import { IdParam, ListQuery, listOf, responses } from '../../http/schemas.ts'
import type { FeatureApp } from '../feature.ts'
import { decodeSeqCursor, seqPage } from '../members/ledger-cursor.ts'
import { findMember } from '../members/members.repository.ts'

export const MemberParams = IdParam('member_id')

/** What every posting answers, with the ledger's balance after it. */
export const PostedFields = { entry_id: Type.String(), delta: Type.Integer({ description: '+ added, − taken' }) }

export type LedgerQuery = { limit?: number; cursor?: string }
export type LedgerPage<Item extends TSchema> = { data: Static<Item>[]; next_cursor: string | null }

/** A page of a member's ledger, newest first: `rows` fetches `limit` entries before a sequence number. */
export async function ledgerPage<Row extends { seq: number }, Out>(query: LedgerQuery, rows: (before: number | null, limit: number) => Promise<Row[]>, present: (row: Row) => Out) {
  const limit = query.limit ?? 50
  return seqPage(await rows(decodeSeqCursor(query.cursor), limit + 1), limit, present)
}

/** `GET /v1/members/:member_id/<path>`: a member's ledger, newest first, for the merchant's keys. */
export function memberLedgerRoute<Item extends TSchema>(
  app: FeatureApp,
  ctx: AppContext,
  route: { path: string; tag: string; summary: string; item: Item; list: (db: Db, merchantId: string, memberId: string, query: LedgerQuery, tz: string) => Promise<LedgerPage<Item>> },
): void {
  const { db } = ctx.database
  app.get(
    `/v1/members/:member_id/${route.path}`,
    { schema: { tags: [route.tag], summary: route.summary, params: MemberParams, querystring: ListQuery, response: responses({ 200: listOf(route.item) }) } },
    async (request) => {
      const { merchantId, merchantTz } = merchantOf(request)
      const member = await findMember(db, merchantId, request.params.member_id)
      return route.list(db, merchantId, member.id, request.query, merchantTz)
    },
  )
}
