import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { firstPresent, parseWechatBody, readBool, readInt, readString } from './wechat-parse.ts'

describe('WeChat request bodies', () => {
  const json = '{"card_id":"crd_1","count":"10"}'
  const cases: [string, string | undefined][] = [
    ['plain JSON', json],
    ['JSON with a BOM and whitespace', `\uFEFF \n${json}\n `],
    ['a form carrying the JSON as its one field', encodeURIComponent(json)],
    ['a form whose one field name is the JSON', `${json}=`],
  ]
  for (const [name, raw] of cases) {
    it(`reads ${name}`, () => assert.deepEqual(parseWechatBody(raw), { ok: true, value: { card_id: 'crd_1', count: '10' } }))
  }

  it('reads form fields, and an empty body as {}', () => {
    assert.deepEqual(parseWechatBody('grant_type=client_credential&appid=wx1&secret=s'), { ok: true, value: { grant_type: 'client_credential', appid: 'wx1', secret: 's' } })
    assert.deepEqual(parseWechatBody(''), { ok: true, value: {} })
    assert.deepEqual(parseWechatBody(undefined), { ok: true, value: {} })
  })

  it('refuses what is no object, broken JSON and the NUL character', () => {
    assert.deepEqual(parseWechatBody('{"a":'), { ok: false, reason: 'malformed' })
    assert.deepEqual(parseWechatBody('[1,2]'), { ok: false, reason: 'not_object' })
    assert.deepEqual(parseWechatBody('hello'), { ok: false, reason: 'malformed' })
    assert.deepEqual(parseWechatBody('{"a":"x\\u0000"}'), { ok: false, reason: 'nul' })
  })

  it('drops keys that could tamper with prototypes', () => {
    const parsed = parseWechatBody('{"__proto__":{"polluted":1},"a":1}')
    assert.ok(parsed.ok)
    assert.deepEqual(Object.keys(parsed.value), ['a'])
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
  })

  it('never throws, whatever the text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => {
      const parsed = parseWechatBody(text)
      assert.ok(parsed.ok === true || parsed.ok === false)
    }), { numRuns: 2000 })
  })
})

describe('WeChat scalars', () => {
  const ints: [unknown, number | undefined | 'bad'][] = [[100, 100], ['100', 100], [' 7 ', 7], ['-3', -3], [null, undefined], ['', undefined], [undefined, undefined], ['1.5', 'bad'], [1.5, 'bad'], ['1e3', 'bad'], [true, 'bad'], ['abc', 'bad']]
  for (const [input, expected] of ints) {
    it(`reads ${JSON.stringify(input)} as an integer: ${expected}`, () => {
      const read = readInt(input)
      if (expected === 'bad') assert.equal(read.ok, false)
      else assert.deepEqual(read, { ok: true, value: expected })
    })
  }
  it('checks an integer’s range', () => {
    assert.equal(readInt('0', 1, 10).ok, false)
    assert.deepEqual(readInt('10', 1, 10), { ok: true, value: 10 })
  })
  const bools: [unknown, boolean | undefined | 'bad'][] = [[true, true], ['true', true], ['TRUE', true], [1, true], ['1', true], [false, false], ['false', false], [0, false], ['0', false], [null, undefined], ['', undefined], ['yes', 'bad'], [2, 'bad']]
  for (const [input, expected] of bools) {
    it(`reads ${JSON.stringify(input)} as a boolean: ${expected}`, () => {
      const read = readBool(input)
      if (expected === 'bad') assert.equal(read.ok, false)
      else assert.deepEqual(read, { ok: true, value: expected })
    })
  }
  it('reads codes sent as numbers, and takes the first spelling present', () => {
    assert.deepEqual(readString(123456789012), { ok: true, value: '123456789012' })
    assert.equal(readString({}).ok, false)
    assert.equal(firstPresent({ newcode: 'B' }, 'new_code', 'newcode'), 'B')
    assert.equal(firstPresent({ new_code: 'A', newcode: 'B' }, 'new_code', 'newcode'), 'A')
    assert.equal(firstPresent({ new_code: '' }, 'new_code', 'newcode'), undefined)
  })
})
