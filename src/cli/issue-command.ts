import { parseArgs } from 'node:util'
import { open, type FileHandle } from 'node:fs/promises'
import { loadConfig } from '../config.ts'
import { migrateToLatest } from '../db/migrate.ts'
import { contextFor, openConfiguredDatabase } from '../main.ts'
import { AppError } from '../errors.ts'
import { randomToken } from '../ports/ids.ts'
import { readUpload, uploadFormatOfFile, type UploadFormat } from '../features/bulk-issue/bulk-issue.parse.ts'
import { findCardOwner } from '../features/bulk-issue/bulk-issue.repository.ts'
import { bulkIssue, BulkIssueInterrupted, type BulkIssueReport, type BulkProgress } from '../features/bulk-issue/bulk-issue.service.ts'
import { USAGE } from './usage.ts'

const FORMATS: UploadFormat[] = ['csv', 'ndjson', 'json']
/** Failures the summary lists; --json lists them all. */
const LISTED_IN_SUMMARY = 20

class UsageError extends Error {}

interface Options {
  cardId: string
  usersFile: string
  format: UploadFormat
  resumeKey: string | null
  merchantId: string | undefined
  json: boolean
}

function optionsFrom(args: string[]): Options {
  let values
  try {
    ;({ values } = parseArgs({
      args,
      options: {
        card: { type: 'string' },
        users: { type: 'string' },
        'resume-key': { type: 'string' },
        merchant: { type: 'string' },
        format: { type: 'string' },
        json: { type: 'boolean' },
      },
    }))
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  if (!values.card) throw new UsageError('--card is required')
  if (!values.users) throw new UsageError('--users is required')
  const format = (values.format ?? uploadFormatOfFile(values.users)) as UploadFormat
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`)
  const resumeKey = values['resume-key'] ?? null
  if (resumeKey !== null && (resumeKey.length < 1 || resumeKey.length > 255)) throw new UsageError('--resume-key must be 1 to 255 characters')
  return { cardId: values.card, usersFile: values.users, format, resumeKey, merchantId: values.merchant, json: values.json === true }
}

async function openUsersFile(path: string): Promise<{ file: FileHandle; size: number }> {
  let file: FileHandle
  try {
    file = await open(path, 'r')
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`)
  }
  const stat = await file.stat()
  if (!stat.isFile()) {
    await file.close()
    throw new UsageError(`${path} is not a file`)
  }
  return { file, size: stat.size }
}

/** `kabao issue`: bulk issuing from a file, with a progress bar on a terminal. */
export async function runBulkIssueCommand(args: string[]): Promise<number> {
  let options: Options
  let users: { file: FileHandle; size: number }
  try {
    options = optionsFrom(args)
    users = await openUsersFile(options.usersFile)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    console.error(`kabao issue: ${error.message}\n\n${USAGE.issue}`)
    return 2
  }
  try {
    return await issueFromFile(options, users)
  } finally {
    await users.file.close()
  }
}

async function issueFromFile(options: Options, users: { file: FileHandle; size: number }): Promise<number> {
  const config = loadConfig()
  const database = openConfiguredDatabase(config)
  try {
    await migrateToLatest(database)
    const owner = await findCardOwner(database.db, options.cardId, options.merchantId)
    if (!owner) {
      console.error(`kabao issue: there is no card ${options.cardId}${options.merchantId ? ` of merchant ${options.merchantId}` : ''}`)
      return 2
    }
    const ctx = contextFor(config, database)
    const runKey = options.resumeKey ?? `cli-${randomToken(12)}`
    if (options.resumeKey === null) console.error(`kabao issue: resume key ${runKey} (run again with --resume-key ${runKey} to issue only the rows still missing)`)

    const progress = new ProgressDisplay(process.stderr, users.size)
    const body = users.file.createReadStream({ autoClose: false })
    let report: BulkIssueReport
    try {
      report = await bulkIssue(ctx, { ...owner, cardId: options.cardId, runKey }, readUpload(options.format, body), (p) => progress.update(p))
    } catch (error) {
      progress.end()
      if (error instanceof BulkIssueInterrupted) {
        const reason = error.cause instanceof Error ? error.cause.message : String(error.cause)
        console.error(`kabao issue: stopped: ${reason}\nFix the file and run again with --resume-key ${runKey} to issue the rest.`)
        printReport(error.report, options.json)
        return 1
      }
      if (error instanceof AppError) {
        console.error(`kabao issue: ${error.code}: ${error.detail}`)
        return 1
      }
      throw error
    }
    progress.update({ rows: report.total_rows, issued: report.issued, failed: report.failed, offset: users.size }, true)
    progress.end()
    printReport(report, options.json)
    return report.failed === 0 ? 0 : 1
  } finally {
    await database.close()
  }
}

function printReport(report: BulkIssueReport, json: boolean): void {
  process.stdout.write(json ? JSON.stringify(report) + '\n' : formatSummary(report))
}

const count = (n: number) => n.toLocaleString('en-US')

/** What a person reads at the end of a run. */
export function formatSummary(report: BulkIssueReport): string {
  const earlier = report.already_issued > 0 ? ` (${count(report.already_issued)} by an earlier run)` : ''
  const lines = [
    `card ${report.card_id}: ${count(report.total_rows)} rows, ${count(report.issued)} issued${earlier}, ${count(report.failed)} failed; stock remaining ${count(report.stock_remaining)}`,
  ]
  if (report.failed > 0) {
    const byCode = Object.entries(report.failure_counts).map(([code, n]) => `${code} ${count(n)}`)
    lines.push(`failed rows by reason: ${byCode.join(', ')}`)
    for (const failure of report.failures.slice(0, LISTED_IN_SUMMARY)) {
      lines.push(`  row ${failure.row}  ${failure.user_id ?? '(no user id)'}  ${failure.code}: ${failure.message}`)
    }
    if (report.failed > LISTED_IN_SUMMARY) lines.push(`  … and ${count(report.failed - LISTED_IN_SUMMARY)} more (--json lists ${report.failures_truncated ? 'the first ' + count(report.failures.length) : 'them all'})`)
  }
  return lines.join('\n') + '\n'
}

export interface ProgressState extends BulkProgress {
  /** The file's size: with the offset reached, it gives the share done and an estimate of the rows in all. */
  totalBytes: number
  done: boolean
}

/** The share of the file done, or null when the reader cannot tell (a JSON file is read whole). */
function fractionOf(state: ProgressState): number | null {
  if (state.done || state.totalBytes === 0) return 1
  return state.offset === null ? null : Math.min(1, state.offset / state.totalBytes)
}

function rowsText(state: ProgressState): string {
  const fraction = fractionOf(state)
  if (state.done || !fraction) return `${count(state.rows)} rows`
  return `${count(state.rows)} / ~${count(Math.max(state.rows, Math.round(state.rows / fraction)))} rows`
}

function percentText(state: ProgressState): string {
  const fraction = fractionOf(state)
  return fraction === null ? '  ?%' : `${String(Math.floor(fraction * 100)).padStart(3)}%`
}

/** One line for a terminal: `[######----------]  37%  37,000 / ~100,000 rows  issued 36,990  failed 10`. */
export function progressBar(state: ProgressState, columns = 80): string {
  const text = `${percentText(state)}  ${rowsText(state)}  issued ${count(state.issued)}  failed ${count(state.failed)}`
  const width = Math.max(10, Math.min(40, columns - text.length - 4))
  const filled = Math.round((fractionOf(state) ?? 0) * width)
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]  ${text}`
}

/** One line for a log: `kabao issue: 37% 37,000 / ~100,000 rows, issued 36,990, failed 10`. */
export function progressLine(state: ProgressState): string {
  return `kabao issue: ${percentText(state).trim()} ${rowsText(state)}, issued ${count(state.issued)}, failed ${count(state.failed)}`
}

/** A bar redrawn in place on a terminal; elsewhere (a log, a pipe) a plain line at every tenth of the file. */
class ProgressDisplay {
  readonly #out: NodeJS.WriteStream
  readonly #tty: boolean
  readonly #totalBytes: number
  #lastDrawn = -Infinity
  #nextTenth = 1
  #drawn = false

  constructor(out: NodeJS.WriteStream, totalBytes: number) {
    this.#out = out
    this.#tty = out.isTTY === true
    this.#totalBytes = totalBytes
  }

  update(progress: BulkProgress, done = false): void {
    const state: ProgressState = { ...progress, totalBytes: this.#totalBytes, done }
    if (this.#tty) {
      // Redrawn ten times a second at most: smooth enough, and drawing costs time.
      const now = performance.now()
      if (!done && now - this.#lastDrawn < 100) return
      this.#lastDrawn = now
      this.#out.write(`\r${progressBar(state, this.#out.columns)}\x1b[K`)
      this.#drawn = true
      return
    }
    const tenth = Math.floor((fractionOf(state) ?? 0) * 10)
    if (tenth >= this.#nextTenth) {
      this.#out.write(progressLine(state) + '\n')
      this.#nextTenth = tenth + 1
    }
  }

  end(): void {
    if (this.#drawn) this.#out.write('\n')
    this.#drawn = false
  }
}
