import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  CODE_ALPHABET, CODE_LENGTH, CODE_RANDOM_BYTES, CODE_RANDOM_CHARS, LEGACY_CHECK_ALPHABET, LEGACY_CODE_LENGTH, LEGACY_CODE_RANDOM_CHARS,
  checkCharacter, codeFormat, codeFromRandomBytes, formatCodeForDisplay, isWellFormedCode, legacyCheck, normalizeCode,
} from './codes.ts'
import { seededBytes } from './fixtures.ts'

const bytesFrom = (seed: number) => seededBytes(seed, CODE_RANDOM_BYTES)
const sampleCodes = Array.from({ length: 60 }, (_, i) => codeFromRandomBytes(bytesFrom(i + 1)))
/** Codes as issued before: 13 random characters and Crockford's mod-37 check symbol. */
const legacyCodes = sampleCodes.map((code) => code.slice(0, LEGACY_CODE_RANDOM_CHARS) + legacyCheck(code.slice(0, LEGACY_CODE_RANDOM_CHARS)))

/** Every string one substitution away from `code`, with the symbols each position can hold. */
function substitutions(code: string, symbolsAt: (i: number) => string): string[] {
  const out: string[] = []
  for (let i = 0; i < code.length; i++) {
    for (const ch of symbolsAt(i)) if (ch !== code[i]) out.push(code.slice(0, i) + ch + code.slice(i + 1))
  }
  return out
}
function adjacentSwaps(code: string): string[] {
  const out: string[] = []
  for (let i = 0; i + 1 < code.length; i++) if (code[i] !== code[i + 1]) out.push(code.slice(0, i) + code[i + 1] + code[i] + code.slice(i + 2))
  return out
}

test('alphabets and sizes', () => {
  assert.equal(CODE_ALPHABET.length, 32)
  for (const ch of 'ILOU') assert.ok(!CODE_ALPHABET.includes(ch), ch)
  assert.equal(LEGACY_CHECK_ALPHABET.length, 37)
  assert.equal(LEGACY_CHECK_ALPHABET.slice(32), '*~$=U')
  assert.ok(CODE_LENGTH <= 20)
  assert.ok(CODE_RANDOM_CHARS * 5 >= 60)
  assert.ok(CODE_RANDOM_BYTES * 8 >= CODE_RANDOM_CHARS * 5)
})

test('codeFromRandomBytes takes the first 70 bits, most significant first', () => {
  const cases: [number[], string][] = [
    [[0, 0, 0, 0, 0, 0, 0, 0, 0], '00000000000000'],
    [[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 'ZZZZZZZZZZZZZZ'],
    // Only the top 6 bits of byte 9 are used.
    [[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc], 'ZZZZZZZZZZZZZZ'],
    [[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf8], 'ZZZZZZZZZZZZZY'],
    [[0x08, 0, 0, 0, 0, 0, 0, 0, 0], '10000000000000'], // bits 00001 → '1'
    [[0, 0, 0, 0, 0, 0, 0, 0, 0x04], '00000000000001'],
  ]
  for (const [bytes, body] of cases) {
    const code = codeFromRandomBytes(Uint8Array.from(bytes))
    assert.equal(code.length, CODE_LENGTH)
    assert.equal(code.slice(0, CODE_RANDOM_CHARS), body, bytes.join(','))
    assert.equal(codeFormat(code), 'current', code)
  }
  assert.throws(() => codeFromRandomBytes(new Uint8Array(8)), RangeError)
  assert.equal(codeFromRandomBytes(new Uint8Array(32)).length, CODE_LENGTH)
})

test('the check character is from the code alphabet: every code can be typed at a till', () => {
  for (const code of sampleCodes) for (const ch of code) assert.ok(CODE_ALPHABET.includes(ch), code)
  // Over many bodies every one of the 32 symbols shows up as a check character.
  const checks = new Set(Array.from({ length: 2000 }, (_, i) => codeFromRandomBytes(bytesFrom(i + 1000))[CODE_RANDOM_CHARS]))
  assert.equal(checks.size, 32)
})

test('checkCharacter is the weighted sum over GF(32) that makes body and check sum to zero', () => {
  // Known values: a single symbol v has the check 2v in GF(32) (x⁵ = x² + 1).
  const cases: [string, string][] = [
    ['0', '0'], ['1', '2'], ['2', '4'], ['F', 'Y'], // 15 → 30
    ['G', '5'], // 16 → 32 = x⁵ → x² + 1 = 5
    ['Z', 'V'], // 31 → 62 ^ 37 = 27 = V
    ['10', '4'], // 2·(2·1) = 4
    ['00000000000000', '0'],
  ]
  for (const [body, check] of cases) assert.equal(checkCharacter(body), check, body)
  assert.throws(() => checkCharacter('ABCI'), RangeError)
  assert.throws(() => checkCharacter('AB*'), RangeError)
})

test('every single-character substitution is detected', () => {
  for (const code of sampleCodes) {
    for (const typo of substitutions(code, () => CODE_ALPHABET + '*~$=U')) assert.equal(isWellFormedCode(typo), false, `${code} → ${typo}`)
  }
})

test('every adjacent transposition is detected, the check character included', () => {
  let swaps = 0
  for (const code of sampleCodes) {
    for (const typo of adjacentSwaps(code)) {
      assert.equal(isWellFormedCode(typo), false, `${code} → ${typo}`)
      swaps++
    }
  }
  assert.ok(swaps > 500)
  // Exhaustively for the last body character and the check character, over every pair of symbols.
  for (const prefix of ['', '7', 'QZ', sampleCodes[0].slice(0, CODE_RANDOM_CHARS - 1)]) {
    for (const x of CODE_ALPHABET) {
      const code = prefix + x + checkCharacter(prefix + x)
      for (const swapped of adjacentSwaps(code)) assert.notEqual(checkCharacter(swapped.slice(0, -1)), swapped.at(-1), `${code} → ${swapped}`)
    }
  }
  // And for every pair of neighbours inside a body.
  for (const x of CODE_ALPHABET) {
    for (const y of CODE_ALPHABET) if (x !== y) assert.notEqual(checkCharacter(`K${x}${y}3`), checkCharacter(`K${y}${x}3`), `${x}${y}`)
  }
})

test('legacy codes: Crockford mod-37 check symbol, still recognized', () => {
  const cases: [string, string][] = [
    ['0', '0'], ['Z', 'Z'], // 31
    ['10', '*'], // 32
    ['11', '~'], // 33
    ['12', '$'], // 34
    ['13', '='], // 35
    ['14', 'U'], // 36
    ['15', '0'], // 37
    ['ZZZZZZZZZZZZZ', LEGACY_CHECK_ALPHABET[Number((32n ** 13n - 1n) % 37n)]],
  ]
  for (const [body, check] of cases) assert.equal(legacyCheck(body), check, body)
  for (const code of legacyCodes) {
    let n = 0n
    for (const ch of code.slice(0, LEGACY_CODE_RANDOM_CHARS)) n = n * 32n + BigInt(CODE_ALPHABET.indexOf(ch))
    assert.equal(code[LEGACY_CODE_RANDOM_CHARS], LEGACY_CHECK_ALPHABET[Number(n % 37n)], code)
    assert.equal(code.length, LEGACY_CODE_LENGTH)
    assert.equal(codeFormat(code), 'legacy', code)
    assert.ok(isWellFormedCode(code), code)
    for (const typo of substitutions(code, (i) => (i < LEGACY_CODE_RANDOM_CHARS ? CODE_ALPHABET : LEGACY_CHECK_ALPHABET))) assert.equal(isWellFormedCode(typo), false, `${code} → ${typo}`)
    for (const typo of adjacentSwaps(code)) assert.equal(isWellFormedCode(typo), false, `${code} → ${typo}`)
  }
  // The symbols only legacy codes carry.
  for (const body of ['10', '11', '12', '13', '14']) {
    const code = `00000000000${body}`
    assert.equal(codeFormat(code + legacyCheck(code)), 'legacy')
  }
  assert.throws(() => legacyCheck('ABCI'), RangeError)
})

test('isWellFormedCode and codeFormat', () => {
  const good = sampleCodes[0]
  const legacy = legacyCodes[0]
  const cases: [string, 'current' | 'legacy' | null][] = [
    [good, 'current'],
    [legacy, 'legacy'],
    [good + '0', null],
    [good.slice(0, 12), null],
    [legacy.slice(0, 12) + '*', null],
    ['', null],
    ['I' + good.slice(1), null],
    [good.slice(0, CODE_RANDOM_CHARS) + '*', null], // a legacy symbol does not end a current code
  ]
  for (const [code, expected] of cases) {
    assert.equal(codeFormat(code), expected, code)
    assert.equal(isWellFormedCode(code), expected !== null, code)
  }
  // Canonical (uppercase) only.
  const lower = sampleCodes.find((c) => /[A-Z]/.test(c))!
  assert.equal(isWellFormedCode(lower.toLowerCase()), false)
  for (const code of sampleCodes) assert.ok(isWellFormedCode(code), code)
})

test('normalizeCode reads what people type', () => {
  const cases: [string, string][] = [
    ['abcd-efgh-jkmn-pqr', 'ABCDEFGHJKMNPQR'],
    [' ABCD EFGH\tJKMN PQR ', 'ABCDEFGHJKMNPQR'],
    ['IiLl', '1111'],
    ['Oo0', '000'],
    ['u', 'U'], // U only exists as a legacy check symbol; kept
    ['12*~$=', '12*~$='],
  ]
  for (const [input, expected] of cases) assert.equal(normalizeCode(input), expected, input)
  for (const code of [...sampleCodes, ...legacyCodes]) {
    assert.equal(normalizeCode(formatCodeForDisplay(code).toLowerCase()), code)
    assert.ok(isWellFormedCode(normalizeCode(formatCodeForDisplay(code))))
  }
  assert.equal(formatCodeForDisplay('0123456789ABCDE'), '0123-4567-89AB-CDE')
})
