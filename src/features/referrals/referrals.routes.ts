import { Type } from 'typebox'
import type { AppContext } from '../../app-context.ts'
import { customerOf } from '../../http/auth.ts'
import { IdParam, responses } from '../../http/schemas.ts'
import type { FeatureApp } from '../feature.ts'
import { inviteOf } from './referrals.service.ts'

const InviteSchema = Type.Object({
  code: Type.String({ description: 'The member’s invite code: a friend joining the member card with it (`invite_code`) rewards both sides once' }),
  url: Type.String({ description: 'The member card’s join page carrying the code, to share as a link or QR code' }),
})

export async function referralsRoutes(app: FeatureApp, ctx: AppContext): Promise<void> {
  app.get(
    '/v1/wallet/members/:member_id/invite',
    {
      config: { auth: 'customer' },
      schema: { tags: ['wallet'], summary: 'My invite code and link for one of my memberships (邀请有礼); the same every time', params: IdParam('member_id'), response: responses({ 200: InviteSchema }) },
    },
    async (request) => inviteOf(ctx, customerOf(request), request.params.member_id),
  )
}
