import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cardLook } from './card-look.ts'
import { cashTerms } from './fixtures.ts'

test('a card look keeps its look fields and nothing else', () => {
  const terms = { ...cashTerms(), subtitle: 'Sub', color: '#123456', logo_url: 'https://x/l.png', notice: 'Show it' }
  assert.deepEqual(cardLook(terms), { type: 'cash', title: terms.title, subtitle: 'Sub', color: '#123456', logo_url: 'https://x/l.png', notice: 'Show it' })
})
