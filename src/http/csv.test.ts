import { test } from 'node:test'
import assert from 'node:assert/strict'
import { toCsv } from './csv.ts'

test('toCsv writes RFC 4180: header, CRLF, quotes only where needed', () => {
  const csv = toCsv(['name', 'n', 'rate'], [
    { name: 'plain', n: 3, rate: 0.5 },
    { name: 'a, b', n: -1, rate: null },
    { name: 'say "hi"', n: 0, rate: 1 },
    { name: 'two\nlines', n: 2, rate: undefined },
  ])
  assert.equal(csv, 'name,n,rate\r\nplain,3,0.5\r\n"a, b",-1,\r\n"say ""hi""",0,1\r\n"two\nlines",2,\r\n')
  assert.equal(toCsv(['a'], []), 'a\r\n')
})
