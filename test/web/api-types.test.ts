import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { API_TYPES_FILE, generateApiTypes } from '../../scripts/api-types.ts'

describe('the web apps’ API types', () => {
  it('are those of the server’s OpenAPI document as it is now', async () => {
    const fresh = await generateApiTypes()
    assert.ok(readFileSync(API_TYPES_FILE, 'utf8') === fresh, 'web/shared/api-types.ts is stale: run `npm run api-types`')
  })

  it('come out the same on every run', async () => {
    assert.equal(await generateApiTypes(), await generateApiTypes())
  })
})
