/** The echo check of a push URL (WECHAT-API.md §4.1): one GET, its body read (at most 4 KiB) within the timeout. */
import http from 'node:http'
import https from 'node:https'
import { publicOnlyLookup } from '../../ports/webhook-client.ts'

export interface EchoAnswer {
  statusCode: number | null
  body: string
  error: string | null
}

const MAX_BODY = 4096

/** GETs `url` without following redirects; unless private destinations are allowed, only public addresses are connected to. */
export function echoGet(url: string, timeoutMs: number, allowPrivateDestinations: boolean): Promise<EchoAnswer> {
  return new Promise<EchoAnswer>((resolve) => {
    let settled = false
    let request: http.ClientRequest | undefined
    const finish = (answer: EchoAnswer) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      request?.destroy()
      resolve(answer)
    }
    const timer = setTimeout(() => finish({ statusCode: null, body: '', error: `no answer within ${timeoutMs} ms` }), timeoutMs)
    try {
      const target = new URL(url)
      const send = target.protocol === 'https:' ? https.request : http.request
      request = send(target, { method: 'GET', headers: { 'user-agent': 'Kabao-WeChat-Push/1.0' }, ...(allowPrivateDestinations ? {} : { lookup: publicOnlyLookup }) })
      request.on('response', (response) => {
        const chunks: Buffer[] = []
        let size = 0
        response.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > MAX_BODY) return finish({ statusCode: response.statusCode ?? null, body: '', error: 'answer too long' })
          chunks.push(chunk)
        })
        response.on('end', () => finish({ statusCode: response.statusCode ?? null, body: Buffer.concat(chunks).toString('utf8'), error: null }))
        response.on('error', (error) => finish({ statusCode: null, body: '', error: error.message }))
      })
      request.on('error', (error: NodeJS.ErrnoException) => finish({ statusCode: null, body: '', error: (error.code ?? error.message).slice(0, 300) }))
      request.end()
    } catch (error) {
      finish({ statusCode: null, body: '', error: String(error).slice(0, 300) })
    }
  })
}
