import { parseArgs } from 'node:util'
import { readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { text } from 'node:stream/consumers'
import pino from 'pino'
import { loadConfig, ConfigError } from '../config.ts'
import { migrateToLatest } from '../db/migrate.ts'
import { createSecrets } from '../ports/secrets.ts'
import { systemClock } from '../ports/clock.ts'
import { openConfiguredDatabase, serve } from '../main.ts'
import { createMerchant, setCapabilities, type Capabilities } from '../features/merchants/merchants.service.ts'
import { findMerchantRow } from '../features/merchants/merchants.repository.ts'
import { createStaff } from '../features/staff/staff.service.ts'
import { STAFF_ROLES, type Scope, type StaffRole } from '../principals.ts'
import { createWechatApp } from '../features/wechat/wechat.service.ts'
import type { AppContext } from '../app-context.ts'
import type { Database } from '../db/database.ts'
import type { Secrets } from '../ports/secrets.ts'
import { AppError } from '../errors.ts'
import { sealLegacyClaimLinkTokens } from '../features/claim-links/claim-links.service.ts'
import { OVERVIEW, USAGE, asksForHelp, usageOf } from './usage.ts'

type Command = (args: string[]) => Promise<number>

const commands: Record<string, Command> = {
  async serve() {
    await serve(loadConfig())
    return -1 // keeps running
  },

  async migrate() {
    await withDatabase(async () => {})
    console.log('database is up to date')
    return 0
  },

  async merchant(args) {
    const [sub, ...rest] = args
    if (sub === 'create') return createMerchantCommand(rest)
    if (sub === 'set-capabilities') return setCapabilitiesCommand(rest)
    console.error(USAGE.merchant)
    return 2
  },

  async staff(args) {
    const [sub, ...rest] = args
    if (sub === 'create') return createStaffCommand(rest)
    console.error(USAGE.staff)
    return 2
  },

  async 'wechat-app'(args) {
    const [sub, ...rest] = args
    if (sub === 'create') return createWechatAppCommand(rest)
    console.error(USAGE['wechat-app'])
    return 2
  },

  async issue(args) {
    const { runBulkIssueCommand } = await import('./issue-command.ts')
    return runBulkIssueCommand(args)
  },

  async backup(args) {
    const { runBackupCommand } = await import('./backup-command.ts')
    return runBackupCommand(args)
  },

  async 'migrate-data'(args) {
    const { runMigrateDataCommand } = await import('./migrate-data-command.ts')
    return runMigrateDataCommand(args)
  },
}

/** Opens the configured database (migrated) for one command and closes it afterwards. */
async function withDatabase<T>(work: (ctx: { database: Database; clock: typeof systemClock; secrets: Secrets }) => Promise<T>): Promise<T> {
  const config = loadConfig()
  for (const warning of config.warnings) console.error(`kabao: warning: ${warning}`)
  const database = openConfiguredDatabase(config)
  try {
    await migrateToLatest(database)
    const secrets = createSecrets(config.secretKey)
    await sealLegacyClaimLinkTokens(database, secrets)
    return await work({ database, clock: systemClock, secrets })
  } finally {
    await database.close()
  }
}

async function createMerchantCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { name: { type: 'string' }, timezone: { type: 'string' }, json: { type: 'boolean' } } })
  if (!values.name) {
    console.error(`kabao merchant create: --name is required\n\n${USAGE['merchant create']}`)
    return 2
  }
  const created = await withDatabase((ctx) => createMerchant(ctx, { name: values.name as string, timezone: values.timezone }))
  if (values.json) {
    process.stdout.write(JSON.stringify({ merchant_id: created.merchant_id, api_key: created.api_key }) + '\n')
  } else {
    console.log(`merchant_id: ${created.merchant_id}\napi_key:     ${created.api_key}\n\nKeep the API key safe: it is shown only once.`)
  }
  return 0
}

async function createStaffCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      merchant: { type: 'string' },
      role: { type: 'string' },
      login: { type: 'string' },
      name: { type: 'string' },
      store: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      json: { type: 'boolean' },
    },
  })
  const role = values.role as StaffRole | undefined
  if (!values.merchant || !values.login || !role || !STAFF_ROLES.includes(role)) {
    console.error(USAGE.staff)
    return 2
  }
  const merchantId = values.merchant
  // Only a trailing line end is not part of the password.
  const generated = values['password-stdin'] ? null : randomBytes(12).toString('base64url')
  const password = generated ?? (await text(process.stdin)).replace(/\r?\n$/, '')
  const staff = await withDatabase(async (ctx) => {
    if (!(await findMerchantRow(ctx.database.db, merchantId))) throw new AppError('merchant_not_found', `There is no merchant ${merchantId}.`)
    return createStaff(ctx, merchantId, { login: values.login as string, name: values.name, password, role, store_id: values.store ?? null })
  })
  const created = { staff_id: staff.id, merchant_id: staff.merchant_id, login: staff.login, role: staff.role, store_id: staff.store_id, ...(generated ? { password: generated } : {}) }
  if (values.json) {
    process.stdout.write(JSON.stringify(created) + '\n')
  } else {
    console.log(`staff_id: ${staff.id}\nlogin:    ${staff.login}\nrole:     ${staff.role}` + (generated ? `\npassword: ${generated}\n\nThe password is shown only once; sign in at /console/ and change it.` : ''))
  }
  return 0
}

async function createWechatAppCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { merchant: { type: 'string' }, scope: { type: 'string' }, store: { type: 'string' }, json: { type: 'boolean' } } })
  const scope = values.scope as Scope | undefined
  if (!values.merchant || (scope !== undefined && !['full', 'redeem', 'read'].includes(scope))) {
    console.error(USAGE['wechat-app create'])
    return 2
  }
  const merchantId = values.merchant
  const created = await withDatabase(async (ctx) => {
    if (!(await findMerchantRow(ctx.database.db, merchantId))) throw new AppError('merchant_not_found', `There is no merchant ${merchantId}.`)
    return createWechatApp(ctx as unknown as AppContext, merchantId, { scope, store_id: values.store ?? null })
  })
  if (values.json) {
    process.stdout.write(JSON.stringify({ appid: created.app.appid, secret: created.secret }) + '\n')
  } else {
    console.log(`appid:  ${created.app.appid}\nsecret: ${created.secret}\n\nKeep the secret safe: it is shown only once. GET /cgi-bin/token?grant_type=client_credential&appid=…&secret=… gives an access_token.`)
  }
  return 0
}

async function setCapabilitiesCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { id: { type: 'string' }, 'card-types': { type: 'string' }, 'store-limited-cards': { type: 'string' } } })
  const storeLimited = values['store-limited-cards']
  if (!values.id || (storeLimited !== undefined && storeLimited !== 'true' && storeLimited !== 'false')) {
    console.error(USAGE['merchant set-capabilities'])
    return 2
  }
  const change: Partial<Capabilities> = {}
  if (values['card-types'] !== undefined) change.card_types = values['card-types'].split(',').map((t) => t.trim()).filter(Boolean)
  if (storeLimited !== undefined) change.store_limited_cards = storeLimited === 'true'
  const capabilities = await withDatabase((ctx) => setCapabilities(ctx, values.id as string, change))
  process.stdout.write(JSON.stringify({ merchant_id: values.id, capabilities }) + '\n')
  return 0
}

/** The version in package.json. */
function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv
  if (name === '--version' || name === '-v') {
    console.log(version())
    return 0
  }
  // `kabao help [COMMAND]` is `kabao [COMMAND] --help`.
  if (name === 'help' && args.length > 0) return main([...args, '--help'])
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(OVERVIEW)
    return name ? 0 : 2
  }
  const command = commands[name]
  if (!command) {
    console.error(`kabao: unknown command "${name}"\n\n${OVERVIEW}`)
    return 2
  }
  // Help does nothing else: no server, no migration, no database file.
  if (asksForHelp(args)) {
    console.log(usageOf(name, args))
    return 0
  }
  try {
    return await command(args)
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`kabao: configuration error: ${error.message}`)
      return 2
    }
    if (error instanceof AppError) {
      console.error(`kabao: ${error.code}: ${error.detail}${error.errors ? '\n' + error.errors.map((e) => `  ${e.field}: ${e.message}`).join('\n') : ''}`)
      return 1
    }
    if ((error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (error as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      console.error(`kabao: ${(error as Error).message}`)
      return 2
    }
    pino().error({ err: error }, 'command failed')
    return 1
  }
}

const code = await main(process.argv.slice(2))
if (code >= 0) process.exitCode = code
