import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { maskRecipient } from '../../web/console/src/recipients.ts'

describe('recipients in the record of sent messages', () => {
  it('hides the middle of phone numbers and the name of e-mail addresses, keeping enough to recognise them', () => {
    assert.deepEqual(
      ['+8613800138000', 'amy@example.com', 'a@example.com', 'averyveryverylongname@example.com', '+4915112345678', '12345'].map(maskRecipient),
      ['+86 138****8000', 'a**@example.com', 'a*@example.com', 'a******@example.com', '+49*********78', '*****'],
    )
  })
})
