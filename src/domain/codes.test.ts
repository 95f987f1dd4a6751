import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  CHECK_ALPHABET, CODE_ALPHABET, CODE_LENGTH, CODE_RANDOM_CHARS, checkCharacter, codeFromRandomBytes,
  formatCodeForDisplay, isWellFormedCode, normalizeCode,
} from './codes.ts'

// Deterministic "random" bytes so failures reproduce (the domain never draws randomness itself).
function bytesFrom(seed: number): Uint8Array {
  const out = new Uint8Array(9)
  let x = seed >>> 0 || 1
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    out[i] = x & 0xff
  }
  return out
}
const sampleCodes = Array.from({ length: 60 }, (_, i) => codeFromRandomBytes(bytesFrom(i + 1)))

test('alphabets', () => {
  assert.equal(CODE_ALPHABET.length, 32)
  assert.equal(CHECK_ALPHABET.length, 37)
  for (const ch of 'ILOU') assert.ok(!CODE_ALPHABET.includes(ch), ch)
  assert.equal(CHECK_ALPHABET.slice(32), '*~$=U')
})

test('codeFromRandomBytes takes the first 65 bits, most significant first', () => {
  const cases: [number[], string][] = [
    [[0, 0, 0, 0, 0, 0, 0, 0, 0], '0000000000000'],
    [[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 'ZZZZZZZZZZZZZ'],
    // Only the top bit of byte 9 is used.
    [[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80], 'ZZZZZZZZZZZZZ'],
    [[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], 'ZZZZZZZZZZZZY'],
    [[0x08, 0, 0, 0, 0, 0, 0, 0, 0], '1000000000000'], // bits 00001 → '1'
    [[0, 0, 0, 0, 0, 0, 0, 0, 0x80], '0000000000001'],
  ]
  for (const [bytes, body] of cases) {
    const code = codeFromRandomBytes(Uint8Array.from(bytes))
    assert.equal(code.length, CODE_LENGTH)
    assert.equal(code.slice(0, CODE_RANDOM_CHARS), body, bytes.join(','))
    assert.ok(isWellFormedCode(code), code)
  }
  assert.throws(() => codeFromRandomBytes(new Uint8Array(8)), RangeError)
  assert.equal(codeFromRandomBytes(new Uint8Array(32)).length, CODE_LENGTH)
})

test('checkCharacter is the body as a base-32 number mod 37', () => {
  const cases: [string, string][] = [
    ['0', '0'], ['Z', 'Z'], // 31
    ['10', '*'], // 32
    ['11', '~'], // 33
    ['12', '$'], // 34
    ['13', '='], // 35
    ['14', 'U'], // 36
    ['15', '0'], // 37
    ['ZZZZZZZZZZZZZ', CHECK_ALPHABET[Number((32n ** 13n - 1n) % 37n)]],
  ]
  for (const [body, check] of cases) assert.equal(checkCharacter(body), check, body)
  for (const code of sampleCodes) {
    let n = 0n
    for (const ch of code.slice(0, 13)) n = n * 32n + BigInt(CODE_ALPHABET.indexOf(ch))
    assert.equal(code[13], CHECK_ALPHABET[Number(n % 37n)], code)
  }
  assert.throws(() => checkCharacter('ABCI'), RangeError)
})

test('every single-character substitution is detected', () => {
  for (const code of sampleCodes) {
    for (let i = 0; i < code.length; i++) {
      const symbols = i < CODE_RANDOM_CHARS ? CODE_ALPHABET : CHECK_ALPHABET
      for (const ch of symbols) {
        if (ch === code[i]) continue
        const typo = code.slice(0, i) + ch + code.slice(i + 1)
        assert.equal(isWellFormedCode(typo), false, `${code} → ${typo}`)
      }
    }
  }
})

test('every adjacent transposition is detected, the check character included', () => {
  let swaps = 0
  for (const code of sampleCodes) {
    for (let i = 0; i + 1 < code.length; i++) {
      if (code[i] === code[i + 1]) continue
      const typo = code.slice(0, i) + code[i + 1] + code[i] + code.slice(i + 2)
      assert.equal(isWellFormedCode(typo), false, `${code} → ${typo}`)
      swaps++
    }
  }
  assert.ok(swaps > 500)
})

test('isWellFormedCode', () => {
  const good = sampleCodes[0]
  const cases: [string, boolean][] = [
    [good, true],
    [good.slice(0, 13), false],
    [good + '0', false],
    [good.toLowerCase(), good.toLowerCase() === good], // canonical (uppercase) only
    ['', false],
    ['I' + good.slice(1), false],
  ]
  for (const [code, expected] of cases) assert.equal(isWellFormedCode(code), expected, code)
  for (const code of sampleCodes) assert.ok(isWellFormedCode(code), code)
})

test('normalizeCode reads what people type', () => {
  const cases: [string, string][] = [
    ['abcd-efgh-jkmn-pq', 'ABCDEFGHJKMNPQ'],
    [' ABCD EFGH\tJKMN PQ ', 'ABCDEFGHJKMNPQ'],
    ['IiLl', '1111'],
    ['Oo0', '000'],
    ['u', 'U'], // U only exists as a check symbol; kept
    ['12*~$=', '12*~$='],
  ]
  for (const [input, expected] of cases) assert.equal(normalizeCode(input), expected, input)
  for (const code of sampleCodes) {
    assert.equal(normalizeCode(formatCodeForDisplay(code).toLowerCase()), code)
    assert.ok(isWellFormedCode(normalizeCode(formatCodeForDisplay(code))))
  }
})
