import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { code128Svg, code128Widths } from '../../web/shared/code128.ts'

/** The symbols of a width list, 6 widths each (the stop symbol has 7). */
function symbols(widths: number[]): number[][] {
  const out: number[][] = []
  for (let i = 0; i < widths.length - 7; i += 6) out.push(widths.slice(i, i + 6))
  out.push(widths.slice(-7))
  return out
}

describe('Code 128 bar codes for the wallet', () => {
  it('encodes every coupon-code character as a valid symbol: 11 modules, bars even, spaces odd', () => {
    const code = '0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U'
    const parts = symbols(code128Widths(code))
    assert.equal(parts.length, code.length + 3, 'start, one symbol per character, checksum, stop')
    for (const symbol of parts.slice(0, -1)) {
      assert.equal(symbol.reduce((a, b) => a + b, 0), 11)
      assert.equal((symbol[0] + symbol[2] + symbol[4]) % 2, 0, 'bar modules are even')
    }
    assert.deepEqual(parts.at(-1), [2, 3, 3, 1, 1, 1, 2], 'the stop symbol')
    assert.deepEqual(parts[0], [2, 1, 1, 2, 1, 4], 'start code B')
  })

  it('computes the checksum of a known code', () => {
    // "PJJ123C" in set B: checksum (104 + 48·1 + 42·2 + 42·3 + 17·4 + 18·5 + 19·6 + 35·7) mod 103 = 879 mod 103 = 55.
    const parts = symbols(code128Widths('PJJ123C'))
    assert.deepEqual(parts.at(-2), [3, 1, 1, 3, 2, 1], 'symbol 55')
    assert.deepEqual(parts[1], [3, 1, 3, 1, 2, 1], 'P is symbol 48')
  })

  it('draws black bars on white with quiet zones, and refuses what it cannot encode', () => {
    const svg = code128Svg('8KY8SSMRV38JE1')
    assert.match(svg, /^<svg [^>]*viewBox="0 0 \d+ 80"/)
    assert.match(svg, /<rect width="\d+" height="80" fill="#fff"\/>/)
    assert.match(svg, /fill="#000"/)
    assert.throws(() => code128Widths('券码'), /cannot encode/)
  })
})
