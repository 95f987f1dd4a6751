/**
 * Every usage text of the `kabao` command, in one place: `kabao --help`, `kabao COMMAND --help` and the
 * usage errors all print from here.
 */

const ENVIRONMENT = `Environment: DATABASE_URL (default sqlite:./data/kabao.db), PORT, HOST, KABAO_SECRET_KEY[_FILE],
DATABASE_POOL_SIZE, METRICS_TOKEN, TRUST_PROXY; rate limits: REDIS_URL, RATE_LIMIT_PREFIX, API_RATE_LIMIT,
CLAIM_RATE_LIMIT, OTP_RATE_LIMIT, SIGN_IN_RATE_LIMIT (e.g. 60/min or off). See docs/operations.md.`

const MERCHANT_CREATE_LINE = 'kabao merchant create --name NAME [--timezone TZ] [--json]'
const MERCHANT_SET_CAPABILITIES_LINE = 'kabao merchant set-capabilities --id MERCHANT_ID [--card-types cash,discount,…] [--store-limited-cards true|false]'

const MERCHANT_CREATE = `usage: ${MERCHANT_CREATE_LINE}

Creates a merchant and its first API key (full scope) in the database of DATABASE_URL. The key is shown
only once.

  --timezone TZ   the merchant's IANA time zone (default Asia/Shanghai)
  --json          print {"merchant_id", "api_key"} on stdout`

const MERCHANT_SET_CAPABILITIES = `usage: ${MERCHANT_SET_CAPABILITIES_LINE}

Restricts or widens what a merchant may create, and prints {"merchant_id", "capabilities"}.`

const STAFF_CREATE = `usage: kabao staff create --merchant MERCHANT_ID --role owner|operator|clerk|analyst --login NAME
                          [--name NAME] [--store STORE_ID] [--password-stdin] [--json]

Without --password-stdin a password is generated and printed once; with it the password is read from
standard input (one line), e.g. \`printf '%s' "$PASSWORD" | kabao staff create … --password-stdin\`.
A clerk needs --store, the store they redeem in.`

const WECHAT_APP_CREATE = `usage: kabao wechat-app create --merchant MERCHANT_ID [--scope full|redeem|read] [--store STORE_ID] [--json]

Creates a WeChat app credential (appid + secret) of the merchant for the WeChat-compatible card API
(docs/wechat.md): a backend that calls WeChat's card API moves to Kabao with it and a new base URL. The
secret is stored hashed and shown only once.

  --scope SCOPE   what its tokens may do, as for API keys (default full)
  --store ID      a till-bound credential: consumes are recorded at this store
  --json          print {"appid", "secret"} on stdout`

/** Usage by command, and by "command subcommand" for commands that have subcommands. */
export const USAGE = {
  serve: `usage: kabao serve

Starts the server (what \`npm start\` runs): brings the database schema up to date, runs the background
jobs (KABAO_JOBS) and serves the API, the web apps and GET /readyz on HOST:PORT (default 127.0.0.1:8080)
until SIGTERM or SIGINT.

${ENVIRONMENT}`,

  migrate: `usage: kabao migrate

Brings the schema of the database of DATABASE_URL up to date and exits (the server also does it on start).`,

  merchant: `usage: ${MERCHANT_CREATE_LINE}
       ${MERCHANT_SET_CAPABILITIES_LINE}

kabao merchant create --help and kabao merchant set-capabilities --help say more.`,
  'merchant create': MERCHANT_CREATE,
  'merchant set-capabilities': MERCHANT_SET_CAPABILITIES,

  staff: STAFF_CREATE,
  'staff create': STAFF_CREATE,

  'wechat-app': WECHAT_APP_CREATE,
  'wechat-app create': WECHAT_APP_CREATE,

  issue: `usage: kabao issue --card CARD_ID --users FILE [--resume-key KEY] [--merchant MERCHANT_ID] [--format csv|ndjson|json] [--json]

Issues one coupon of the card to each user id in FILE, directly in the database of DATABASE_URL, under the
same rules as the API (card active, per-user limit, stock).

  FILE                CSV: one user id per line, or a header row with a user_id column (other columns
                      are ignored); NDJSON (.ndjson, .jsonl): a JSON string or {"user_id": …} per line;
                      JSON (.json): {"user_ids": [...]}, read whole
  --resume-key KEY    names the run: running the same file again with the same key issues only the rows
                      still missing. Without it a key is made up and shown, so a run cut short can be resumed.
  --merchant ID       only a card of this merchant
  --format FORMAT     csv, ndjson or json when the file's extension does not say
  --json              print the report as JSON on stdout (the shape POST /v1/cards/{id}/bulk-issue answers)

Exit status: 0 every row issued, 1 some rows failed, 2 usage error (bad flags, unknown card, unreadable file).`,

  backup: `usage: kabao backup --to FILE [--force] [--json]

Copies the SQLite database of DATABASE_URL into FILE while the server keeps running: the copy is one
consistent snapshot (SQLite's VACUUM INTO, in a read transaction that does not hold writers up), written
next to FILE and renamed into place when complete. To restore, stop the server, put the copy where
DATABASE_URL points (removing any -wal and -shm files beside it) and start again.

On PostgreSQL use pg_dump and pg_restore (see docs/operations.md).

  --force   replace FILE if it exists
  --json    print {"file", "bytes", "tables": {name: rows}} on stdout

Exit status: 0 backed up, 1 the copy failed, 2 usage error.`,

  'migrate-data': `usage: kabao migrate-data --to postgres://… [--json]

Copies every row of the SQLite database of DATABASE_URL into an empty PostgreSQL database: brings both
schemas up to date, refuses a target that holds any row, copies each table in primary-key order in batches,
all in one PostgreSQL transaction, and commits only once every table's row count and checksum match the
source. The source is read as one consistent snapshot; stop the servers first so that no write made after
the snapshot is left behind. Then point DATABASE_URL at PostgreSQL (same KABAO_SECRET_KEY) and start.

  --json    print {"tables": [{"table", "rows", "checksum"}], "seconds"} on stdout

Exit status: 0 copied and verified, 1 refused or failed (nothing is kept in the target), 2 usage error.`,
} satisfies Record<string, string>

export const OVERVIEW = `kabao: the Kabao card & coupon platform

Usage:
  kabao serve                                   start the server (what \`npm start\` runs)
  kabao migrate                                 bring the database schema up to date
  kabao merchant create --name NAME [--timezone TZ] [--json]
                                                create a merchant and its first API key (full scope)
  kabao merchant set-capabilities --id ID [--card-types cash,…] [--store-limited-cards true|false]
                                                restrict or widen what a merchant may create
  kabao staff create --merchant ID --role owner|operator|clerk|analyst --login NAME [--name NAME]
                     [--store STORE_ID] [--password-stdin] [--json]
                                                make a staff account for the web apps, e.g. the owner of
                                                a merchant made with \`merchant create\`; without
                                                --password-stdin a password is generated and printed
  kabao wechat-app create --merchant ID [--scope full|redeem|read] [--store STORE_ID] [--json]
                                                a WeChat app credential (appid + secret) for the
                                                WeChat-compatible card API; the secret is shown once
  kabao issue --card CARD_ID --users FILE [--resume-key KEY] [--format csv|ndjson|json] [--json]
                                                issue one coupon to each user id in FILE (CSV, NDJSON or
                                                JSON), with progress; --resume-key resumes a cut-short run
  kabao backup --to FILE [--force] [--json]     copy the SQLite database into FILE while the server runs
  kabao migrate-data --to postgres://… [--json]
                                                copy every row of the SQLite database into an empty
                                                PostgreSQL database, verified by count and checksum
  kabao COMMAND --help                          what a command (or subcommand) does and takes
  kabao --version                               the version of Kabao
  kabao --help                                  this text

${ENVIRONMENT}`

const isHelpFlag = (arg: string) => arg === '--help' || arg === '-h'

/** Whether the arguments after the command name ask for help rather than for the command. */
export function asksForHelp(args: string[]): boolean {
  return args.some(isHelpFlag)
}

/** The usage of `command` (and its subcommand, when it has that one), or undefined for an unknown command. */
export function usageOf(command: string, args: string[] = []): string | undefined {
  const sub = args.find((arg) => !isHelpFlag(arg))
  const usage: Record<string, string | undefined> = USAGE
  return (sub !== undefined ? usage[`${command} ${sub}`] : undefined) ?? usage[command]
}
