import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { WX_ERRCODES, errcodeOfNative, wxError } from './wechat-errcodes.ts'

describe('WeChat errcodes', () => {
  it('keeps WeChat’s exact messages where integrations compare them', () => {
    assert.deepEqual(wxError(40056), { errcode: 40056, errmsg: 'invalid serial code' })
    assert.equal(wxError(40099).errmsg, 'invalid code, this code has consumed.')
    assert.equal(wxError(40127).errmsg, 'invalid user-card status! Hint: the card was given to user, but may be deleted or expired or set unavailable !')
    assert.equal(wxError(40013).errmsg, 'invalid appid')
    assert.equal(wxError(40053).errmsg, 'invalid action info, please check document')
    assert.equal(wxError(47001).errmsg, 'data format error')
    assert.equal(wxError(-1).errmsg, 'system error')
  })

  it('adds a detail only to the messages that name fields or rules', () => {
    assert.equal(wxError(40097, 'validity_min_days').errmsg, 'invalid args: validity_min_days')
    assert.equal(wxError(40099, 'ignored').errmsg, 'invalid code, this code has consumed.')
  })

  const cases: [string, number][] = [
    ['code_not_found', 40056], ['already_redeemed', 40099], ['expired', 40127], ['voided', 40127], ['not_yet_valid', 40079],
    ['outside_usable_hours', 40079], ['store_not_allowed', 40072], ['card_not_active', 40078], ['card_not_found', 40073],
    ['out_of_stock', 45031], ['get_limit_reached', 45033], ['insufficient_stock', 40122], ['validation_failed', 40097],
    ['capability_not_allowed', 48001], ['stored_value_not_enabled', 43010], ['internal_error', -1], ['anything_else', -1],
  ]
  for (const [native, errcode] of cases) {
    it(`maps ${native} to ${errcode}`, () => assert.equal(errcodeOfNative(native), errcode))
  }

  it('lists every code it can answer, 0 included', () => {
    assert.ok(WX_ERRCODES.includes(0) && WX_ERRCODES.includes(-1) && WX_ERRCODES.includes(61501))
    for (const native of cases.map(([n]) => n)) assert.ok(WX_ERRCODES.includes(errcodeOfNative(native)))
  })
})
