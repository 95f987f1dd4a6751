import { createHash } from 'node:crypto'
import type { AppContext } from '../../app-context.ts'
import { decideLeader, pickVariant, validateVariants, variantRates, type VariantWeight } from '../../domain/experiments.ts'
import { AppError, validationFailed } from '../../errors.ts'
import { newId, randomToken } from '../../ports/ids.ts'
import { hashToken } from '../../ports/secrets.ts'
import { knownCardIds } from '../member-cards/member-cards.repository.ts'
import { madeByRequest } from '../idempotency/idempotency.repository.ts'
import { onceForRequest } from '../idempotency/request-refs.ts'
import {
  addVariantView,
  findExperiment,
  findExperimentByTokenHash,
  insertExperiment,
  listExperiments,
  stopExperimentRow,
  variantOutcomes,
  variantsOf,
  variantsOfMany,
  type ExperimentRow,
  type VariantRow,
} from './experiments.repository.ts'

export type { ExperimentRow }

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{32}$/

function notFound(): AppError {
  return new AppError('experiment_not_found', 'There is no experiment with this id.')
}

/** Makes an experiment over the merchant's cards, with a claim token of its own. */
export async function createExperiment(ctx: AppContext, merchantId: string, input: { name: string; variants: VariantWeight[] }, requestRef: string | null) {
  const { db } = ctx.database
  return onceForRequest(requestRef, madeByRequest(db, 'experiments', merchantId, (id) => getExperiment(ctx, merchantId, id)), async () => {
    const errors = validateVariants(input.variants)
    const known = await knownCardIds(db, merchantId, input.variants.map((v) => v.card_id))
    input.variants.forEach((v, i) => {
      if (!known.has(v.card_id)) errors.push({ field: `variants[${i}].card_id`, code: 'not_found', message: 'is not one of your cards' })
    })
    if (errors.length > 0) throw validationFailed(errors)
    const now = ctx.clock.now()
    const token = randomToken()
    const row: ExperimentRow = {
      id: newId('exp', now),
      merchant_id: merchantId,
      name: input.name,
      token_hash: hashToken(token),
      token_sealed: ctx.secrets.seal(token),
      status: 'running',
      winner_card_id: null,
      created_at: now,
      stopped_at: null,
      request_ref: requestRef,
    }
    const variants: VariantRow[] = input.variants.map((v, position) => ({ merchant_id: merchantId, experiment_id: row.id, card_id: v.card_id, position, weight: v.weight, views: 0 }))
    await db.transaction().execute((tx) => insertExperiment(tx, row, variants))
    return { experiment: row, variants }
  })
}

export async function getExperiment(ctx: AppContext, merchantId: string, id: string) {
  const experiment = await findExperiment(ctx.database.db, merchantId, id)
  if (!experiment) throw notFound()
  return { experiment, variants: await variantsOf(ctx.database.db, merchantId, id) }
}

export function experimentToken(ctx: AppContext, experiment: ExperimentRow): string {
  return ctx.secrets.unseal(experiment.token_sealed)
}

/** A page of the merchant's experiments (oldest first) with their variants. */
export async function listExperimentsWithVariants(ctx: AppContext, merchantId: string, after: string | null, limit: number) {
  const experiments = await listExperiments(ctx.database.db, merchantId, after, limit)
  const variants = await variantsOfMany(ctx.database.db, merchantId, experiments.map((e) => e.id))
  return experiments.map((experiment) => ({ id: experiment.id, experiment, variants: variants.filter((v) => v.experiment_id === experiment.id) }))
}

/** Per-variant views, claims and redemptions, their rates, the p-value and the leader at 95 %. */
export async function experimentResults(ctx: AppContext, merchantId: string, id: string) {
  const { experiment, variants } = await getExperiment(ctx, merchantId, id)
  const outcomes = await variantOutcomes(ctx.database.db, merchantId, id)
  const rows = variants.map((v) => {
    const o = outcomes.get(v.card_id) ?? { claims: 0, redemptions: 0 }
    const figures = { views: v.views, claims: o.claims, redemptions: o.redemptions }
    return { card_id: v.card_id, weight: v.weight, ...figures, ...variantRates(figures) }
  })
  return { experiment, variants: rows, ...decideLeader(rows) }
}

/** Stops the experiment, keeping `keep` (else the leader, else the variant with the best rate so far). */
export async function stopExperiment(ctx: AppContext, merchantId: string, id: string, keep: string | undefined) {
  const results = await experimentResults(ctx, merchantId, id)
  if (results.experiment.status === 'stopped') throw new AppError('experiment_stopped', 'This experiment was stopped already.')
  if (keep !== undefined && !results.variants.some((v) => v.card_id === keep)) {
    throw validationFailed([{ field: 'keep_card_id', code: 'not_a_variant', message: 'is not a card of this experiment' }])
  }
  const best = [...results.variants].sort((a, b) => (b.redemption_rate ?? -1) - (a.redemption_rate ?? -1))[0]
  const winner = keep ?? results.leader ?? best.card_id
  if (!(await stopExperimentRow(ctx.database.db, merchantId, id, winner, ctx.clock.now()))) throw new AppError('experiment_stopped', 'This experiment was stopped already.')
  return experimentResults(ctx, merchantId, id)
}

/** The experiment behind a public claim token, whichever merchant it belongs to. */
export async function findExperimentByToken(ctx: AppContext, token: string): Promise<ExperimentRow | undefined> {
  if (!TOKEN_SHAPE.test(token)) return undefined
  return findExperimentByTokenHash(ctx.database.db, hashToken(token))
}

/** A stable number in [0, 2^32) for a visitor of an experiment: the same visitor always lands on the same variant. */
function bucketOf(experimentId: string, visitor: string): number {
  return createHash('sha256').update(`${experimentId}\n${visitor}`).digest().readUInt32BE(0)
}

/**
 * The card a visitor gets: the winner once stopped, else a variant by weight, stable per visitor (`u:<user>`
 * or `d:<device>`); a visitor known by neither gets the first variant.
 */
export async function variantFor(ctx: AppContext, experiment: ExperimentRow, visitor: string | null): Promise<string> {
  if (experiment.winner_card_id !== null) return experiment.winner_card_id
  const variants = await variantsOf(ctx.database.db, experiment.merchant_id, experiment.id)
  return visitor === null ? variants[0].card_id : pickVariant(variants, bucketOf(experiment.id, visitor)).card_id
}

/** Counts a claim-page view of the variant shown (only while the experiment runs). */
export async function countVariantView(ctx: AppContext, experiment: ExperimentRow, cardId: string): Promise<void> {
  if (experiment.status === 'running') await addVariantView(ctx.database.db, experiment.merchant_id, experiment.id, cardId)
}
