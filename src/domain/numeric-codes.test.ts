import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  NUMERIC_CODE_LENGTH, NUMERIC_RANDOM_BYTES, NUMERIC_RANDOM_DIGITS, checkDigit, codeFormat, hasValidCheckDigit, isWellFormedCode, normalizeCode, numericCodeFromRandomBytes,
} from './codes.ts'
import { seededBytes } from './fixtures.ts'

// Numeric codes (`code_format: numeric`): 19 random digits and a Damm check digit.

const bytesFrom = (seed: number, length = NUMERIC_RANDOM_BYTES) => seededBytes(seed, length)
const codes = Array.from({ length: 200 }, (_, i) => numericCodeFromRandomBytes(bytesFrom(i + 1)) as string)

test('a numeric code is 20 digits, the first not 0, with at least 60 random bits', () => {
  assert.equal(NUMERIC_CODE_LENGTH, 20)
  assert.ok(NUMERIC_CODE_LENGTH <= 20, 'fits WeChat’s string(20) code')
  // 9 choices for the first digit, 10 for each of the other 18.
  assert.ok(Math.log2(9) + (NUMERIC_RANDOM_DIGITS - 1) * Math.log2(10) >= 60)
  for (const code of codes) {
    assert.match(code, /^[1-9][0-9]{19}$/)
    assert.equal(codeFormat(code), 'numeric')
    assert.ok(isWellFormedCode(code))
    assert.equal(normalizeCode(code), code, 'digits are canonical as they are')
  }
  assert.equal(new Set(codes).size, codes.length)
})

test('the check digit is Damm’s: known values', () => {
  // Damm's own worked example: 572 → check digit 4.
  assert.equal(checkDigit('572'), '4')
  assert.ok(hasValidCheckDigit('5724'))
  assert.ok(!hasValidCheckDigit('5723'))
  assert.equal(checkDigit(''), '0')
  assert.ok(!hasValidCheckDigit('57a4'))
})

test('every single mistyped digit and every swap of two different neighbours is caught', () => {
  for (const code of codes.slice(0, 40)) {
    for (let i = 0; i < code.length; i++) {
      for (const digit of '0123456789') {
        if (digit === code[i]) continue
        const typo = code.slice(0, i) + digit + code.slice(i + 1)
        assert.equal(hasValidCheckDigit(typo), false, `${typo} (position ${i})`)
        assert.equal(codeFormat(typo), null)
      }
      if (i + 1 < code.length && code[i] !== code[i + 1]) {
        const swapped = code.slice(0, i) + code[i + 1] + code[i] + code.slice(i + 2)
        assert.equal(codeFormat(swapped), null, `${swapped} (swap at ${i})`)
      }
    }
  }
})

test('a truncated or lengthened numeric code is no code', () => {
  const code = codes[0]
  assert.equal(codeFormat(code.slice(0, 19)), null)
  assert.equal(codeFormat(code + '0'), null)
})

test('bytes of 250 and above are skipped; too few usable bytes give null (draw again)', () => {
  const all = new Uint8Array(40).fill(255)
  assert.equal(numericCodeFromRandomBytes(all), null)
  const some = new Uint8Array(40).fill(7)
  some[0] = 255
  some[1] = 251
  some[3] = 250
  const code = numericCodeFromRandomBytes(some) as string
  // byte 251 is usable for the first digit (below 252): (251 mod 9) + 1 = 9; then byte 7 gives 7s; 250 is skipped.
  assert.equal(code.slice(0, 19), '9' + '7'.repeat(18))
  assert.ok(hasValidCheckDigit(code))
  assert.equal(numericCodeFromRandomBytes(new Uint8Array(10).fill(7)), null)
})

test('digits come out evenly (no modulo bias)', () => {
  const counts = new Array(10).fill(0)
  for (const code of codes) for (const ch of code.slice(1, 19)) counts[Number(ch)]++
  const expected = (codes.length * 18) / 10
  for (const n of counts) assert.ok(Math.abs(n - expected) < expected * 0.2, `counts ${counts}`)
})
