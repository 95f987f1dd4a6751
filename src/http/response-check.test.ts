import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import { Type } from 'typebox'
import { serializerCompiler } from './validation.ts'

async function appAnswering(check: boolean, body: unknown) {
  const app = Fastify({ logger: false })
  app.setSerializerCompiler(serializerCompiler(check))
  app.get('/', { schema: { response: { 200: Type.Object({ id: Type.String(), tags: Type.Array(Type.Object({ name: Type.String() })) }) } } }, async () => body)
  return app.inject({ method: 'GET', url: '/' })
}

test('a body is sent as the handler built it, nothing stripped', async () => {
  const response = await appAnswering(false, { id: 'a', tags: [], extra: 1 })
  assert.equal(response.statusCode, 200)
  assert.deepEqual(response.json(), { id: 'a', tags: [], extra: 1 })
})

test('with checking on, a body that breaks its declared schema fails the request', async () => {
  assert.equal((await appAnswering(true, { id: 'a', tags: [{ name: 'x' }] })).statusCode, 200)
  for (const body of [{ id: 1, tags: [] }, { id: 'a', tags: [], extra: 1 }, { id: 'a', tags: [{ name: 'x', extra: 1 }] }]) {
    const broken = await appAnswering(true, body)
    assert.equal(broken.statusCode, 500, JSON.stringify(body))
    assert.match(broken.body, /does not match its schema/)
  }
})
