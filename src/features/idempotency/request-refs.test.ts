import { test } from 'node:test'
import assert from 'node:assert/strict'
import { onceForRequest } from './request-refs.ts'

const nothing = async (): Promise<string | undefined> => undefined

test('without a request reference it just acts, looking nothing up', async () => {
  let looked = 0
  assert.equal(await onceForRequest(null, async () => (looked++, 'found'), async () => 'made'), 'made')
  assert.equal(looked, 0)
})

test('what a run of the request committed is answered, and nothing is done again', async () => {
  let acted = 0
  assert.equal(await onceForRequest('k:a@1', async (ref) => `found ${ref}`, async () => (acted++, 'made')), 'found k:a@1')
  assert.equal(acted, 0)
  assert.equal(await onceForRequest('k:a@1', nothing, async () => (acted++, 'made')), 'made')
  assert.equal(acted, 1)
})

test('a failure is looked behind: a run that committed meanwhile is answered, else the failure stands', async () => {
  let committed: string | undefined
  const act = async (): Promise<string> => {
    committed = 'made by the other run'
    throw new Error('unique violation')
  }
  assert.equal(await onceForRequest('k:b@1', async () => committed, act), 'made by the other run')
  await assert.rejects(onceForRequest('k:c@1', nothing, act), /unique violation/)
})
