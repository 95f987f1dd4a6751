import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import { useForTests } from './hooks.ts'

export interface Mail {
  from: string
  to: string[]
  user: string | undefined
  raw: string
}

export interface SmtpServer {
  /** `smtp://shop:s3cret@127.0.0.1:<port>`: the account it accepts. */
  url: string
  mails: Mail[]
  close(): Promise<void>
}

/** A real SMTP server that wants `shop` / `s3cret` and keeps what it is sent. */
export async function startSmtp(): Promise<SmtpServer> {
  const mails: Mail[] = []
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'shop' && auth.password === 's3cret') return callback(null, { user: 'shop' })
      callback(new Error('Invalid username or password'))
    },
    onData(stream, session, callback) {
      let raw = ''
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')))
      stream.on('end', () => {
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), user: session.user as string | undefined, raw })
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.server.address() as AddressInfo
  return { url: `smtp://shop:s3cret@127.0.0.1:${port}`, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

/** An SMTP server for the tests of the enclosing `describe`. */
export function useSmtp(): SmtpServer {
  return useForTests(startSmtp, (smtp) => smtp.close())
}

/** Decodes the quoted-printable / base64 body nodemailer writes, enough to read its text. */
export function mailText(raw: string): string {
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4)
  if (/Content-Transfer-Encoding: base64/i.test(raw)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
  const decoded = body.replace(/=\r\n/g, '').replace(/((?:=[0-9A-F]{2})+)/g, (bytes: string) => Buffer.from(bytes.replaceAll('=', ''), 'hex').toString('utf8'))
  return decoded.replace(/\r\n$/, '')
}

/** The decoded Subject header (nodemailer writes non-ASCII ones as RFC 2047 encoded words). */
export function mailSubject(raw: string): string {
  const headers = raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ')
  const subject = /^Subject: (.*)$/im.exec(headers)?.[1] ?? ''
  return subject.replace(/=\?utf-8\?([BQ])\?([^?]*)\?=\s*/gi, (_, encoding: string, text: string) =>
    encoding.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8'),
  )
}
