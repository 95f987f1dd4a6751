/**
 * A merchant's WeChat push server for tests, written from WECHAT-API.md §4 and not with Kabao's code: it
 * checks every request's signature with its own SHA-1, answers the echo check, and parses each pushed XML.
 */
import { createServer } from 'node:http'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'

export interface Push {
  /** Whether signature = sha1(sort(token, timestamp, nonce).join('')). */
  signed: boolean
  timestamp: string
  nonce: string
  contentType: string
  raw: string
  /** The XML's elements: CDATA text as strings, bare values as they stand. */
  fields: Record<string, string>
  /** The elements, in order. */
  names: string[]
}

export interface WechatReceiver {
  url: string
  token: string
  pushes: Push[]
  /** Echo checks received, with whether they were signed right. */
  echoes: { signed: boolean }[]
  /** How the echo check is answered: right (the echostr), or with another body. */
  echo: 'right' | 'wrong'
  /** The status pushes are answered with (200 unless set); 'hang' answers nothing. */
  answer: number | 'hang'
  close(): Promise<void>
}

function sha1Check(token: string, query: URLSearchParams): boolean {
  const parts = [token, query.get('timestamp') ?? '', query.get('nonce') ?? ''].sort()
  return createHash('sha1').update(parts.join('')).digest('hex') === query.get('signature')
}

/** `<xml><Name><![CDATA[text]]></Name><N>1</N></xml>`, CDATA sections joined (a `]]>` is split across two). */
export function parsePushXml(raw: string): { fields: Record<string, string>; names: string[] } {
  const body = /^<xml>([\s\S]*)<\/xml>$/.exec(raw.trim())
  if (!body) throw new Error(`not a WeChat push: ${raw}`)
  const fields: Record<string, string> = {}
  const names: string[] = []
  const element = /<([A-Za-z]+)>([\s\S]*?)<\/\1>/g
  for (let m = element.exec(body[1]); m; m = element.exec(body[1])) {
    const value = m[2].startsWith('<![CDATA[') ? [...m[2].matchAll(/<!\[CDATA\[([\s\S]*?)\]\]>/g)].map((c) => c[1]).join('') : m[2]
    fields[m[1]] = value
    names.push(m[1])
  }
  return { fields, names }
}

export async function startWechatReceiver(token = 'kabaoPushToken1'): Promise<WechatReceiver> {
  const receiver: WechatReceiver = {
    url: '',
    token,
    pushes: [],
    echoes: [],
    echo: 'right',
    answer: 200,
    close: async () => {},
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const query = new URL(req.url ?? '/', 'http://x').searchParams
      const signed = sha1Check(receiver.token, query)
      if (req.method === 'GET' && query.has('echostr')) {
        receiver.echoes.push({ signed })
        res.writeHead(200, { 'content-type': 'text/plain' }).end(signed && receiver.echo === 'right' ? query.get('echostr') : 'hello')
        return
      }
      const raw = Buffer.concat(chunks).toString('utf8')
      receiver.pushes.push({ signed, timestamp: query.get('timestamp') ?? '', nonce: query.get('nonce') ?? '', contentType: String(req.headers['content-type']), raw, ...parsePushXml(raw) })
      if (receiver.answer === 'hang') return
      res.writeHead(receiver.answer, { 'content-type': 'text/plain' }).end(receiver.answer === 200 ? 'success' : 'no')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wechat/push`
  receiver.close = async () => {
    server.closeAllConnections()
    server.close()
    await once(server, 'close')
  }
  return receiver
}
