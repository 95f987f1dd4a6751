import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { memberHolder } from '../../web/console/src/customers.ts'
import { maskContact } from '../../src/features/customers/contact.ts'

describe('how staff see a customer', () => {
  it('masks a wallet contact: enough to recognise, not to call or write', () => {
    assert.equal(maskContact('+8613800138000'), '138****8000')
    assert.equal(maskContact('+447700900123'), '+447****0123')
    assert.equal(maskContact('li.lei@example.com'), 'l***@example.com')
  })

  it('names a member by the name they gave, else their masked phone, else nothing beside the id', () => {
    assert.equal(memberHolder({ name: ' 李雷 ', phone: '13800138000' }), '李雷')
    assert.equal(memberHolder({ phone: '138 0013 8000' }), '138****8000')
    assert.equal(memberHolder({ phone: '12' }), '****12')
    assert.equal(memberHolder({}), null)
  })
})
