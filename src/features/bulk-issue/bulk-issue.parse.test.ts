import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  countBytes,
  MAX_LINE_BYTES,
  readLines,
  readUpload,
  rowsOfList,
  uploadFormatOf,
  uploadFormatOfFile,
  UploadError,
  userIdProblem,
  type UploadFormat,
  type UploadRow,
} from './bulk-issue.parse.ts'

async function* chunks(...parts: (string | Buffer)[]): AsyncGenerator<string | Buffer> {
  for (const part of parts) yield part
}

async function rows(format: UploadFormat, ...parts: (string | Buffer)[]): Promise<UploadRow[]> {
  const out: UploadRow[] = []
  for await (const row of readUpload(format, chunks(...parts))) out.push(row)
  return out
}

/** Each row as `user id` or `row:code`, for compact expectations. */
async function summary(format: UploadFormat, ...parts: (string | Buffer)[]): Promise<string[]> {
  return (await rows(format, ...parts)).map((r) => (r.problem ? `${r.row}:${r.problem.code}` : (r.userId as string)))
}

async function uploadError(run: Promise<unknown>): Promise<UploadError> {
  try {
    await run
  } catch (error) {
    assert.ok(error instanceof UploadError, String(error))
    return error
  }
  assert.fail('expected an UploadError')
}

describe('upload formats', () => {
  it('reads the format from the Content-Type, ignoring parameters and case', () => {
    const cases: [string | undefined, UploadFormat | null][] = [
      ['text/csv', 'csv'],
      ['Text/CSV; charset=utf-8', 'csv'],
      ['text/plain', 'csv'],
      ['application/x-ndjson', 'ndjson'],
      ['application/json; charset=utf-8', 'json'],
      ['application/xml', null],
      ['', null],
      [undefined, null],
    ]
    for (const [contentType, format] of cases) assert.equal(uploadFormatOf(contentType), format, String(contentType))
  })

  it('reads the format of a file from its extension, CSV by default', () => {
    const cases: [string, UploadFormat][] = [
      ['users.csv', 'csv'],
      ['users.txt', 'csv'],
      ['users', 'csv'],
      ['users.NDJSON', 'ndjson'],
      ['users.jsonl', 'ndjson'],
      ['dir.json/users.json', 'json'],
    ]
    for (const [file, format] of cases) assert.equal(uploadFormatOfFile(file), format, file)
  })
})

describe('userIdProblem', () => {
  it('takes what a single issue takes: a string of 1 to 128 characters', () => {
    assert.equal(userIdProblem('u1'), null)
    assert.equal(userIdProblem('x'.repeat(128)), null)
    // Counted in characters, not UTF-16 units: 128 emoji are 256 units.
    assert.equal(userIdProblem('😀'.repeat(128)), null)
    assert.equal(userIdProblem('x'.repeat(129)), 'is longer than 128 characters')
    assert.equal(userIdProblem(''), 'is empty')
    assert.equal(userIdProblem(42), 'must be a string')
    assert.equal(userIdProblem(null), 'must be a string')
  })
})

describe('reading a CSV upload', () => {
  it('finds the user_id column by its header, whatever its place and case, and ignores the other columns', async () => {
    assert.deepEqual(await summary('csv', 'name,User_ID\nLi,u1\nHan,u2\n'), ['u1', 'u2'])
  })

  it('takes the first column as the user id when there is no such header', async () => {
    assert.deepEqual(await summary('csv', 'u1,Li\nu2\n'), ['u1', 'u2'])
  })

  it('numbers data rows only: the header and blank lines do not count', async () => {
    const read = await rows('csv', 'user_id\n\nu1\n\n\nu2\n,\n')
    assert.deepEqual(read.map((r) => [r.row, r.userId]), [[1, 'u1'], [2, 'u2']])
  })

  it('handles a BOM, CRLF and mixed line ends, a missing last line end and surrounding spaces', async () => {
    assert.deepEqual(await summary('csv', '\uFEFFuser_id\r\nu1\r\n  u2 \nu3\ru4'), ['u1', 'u2', 'u3', 'u4'])
  })

  it('unquotes quoted ids, with commas, doubled quotes and spaces kept inside', async () => {
    assert.deepEqual(await summary('csv', '"u,1"\n"u ""2"""\n" u3 "\n'), ['u,1', 'u "2"', ' u3 '])
  })

  it('reads rows split across chunks, even inside a UTF-8 character', async () => {
    const bytes = Buffer.from('user_id\n用户一\nu2\n')
    assert.deepEqual(await summary('csv', bytes.subarray(0, 9), bytes.subarray(9, 13), bytes.subarray(13)), ['用户一', 'u2'])
  })

  it('fails a row whose user id is empty or too long, and only that row', async () => {
    assert.deepEqual(await summary('csv', `name,user_id\nLi,\nHan,${'x'.repeat(129)}\nJim,u3\n`), ['1:invalid_user_id', '2:invalid_user_id', 'u3'])
  })

  it('stops with malformed_request at a quote that never closes', async () => {
    const error = await uploadError(rows('csv', 'u1\n"u2\nu3\n'))
    assert.equal(error.code, 'malformed_request')
    assert.match(error.message, /line/)
  })

  it('tells how far each row is into the upload, in bytes', async () => {
    const read = await rows('csv', 'user_id\r\nu1\r\nu22\r\n')
    assert.deepEqual(read.map((r) => r.offset), [13, 18])
  })

  it('passes on a failure of the body', async () => {
    async function* failing() {
      yield 'u1\n'
      throw new Error('connection reset')
    }
    await assert.rejects(async () => {
      for await (const _ of readUpload('csv', failing())) void _
    }, /connection reset/)
  })
})

describe('reading an NDJSON upload', () => {
  it('takes JSON strings and {user_id} objects, and fails other lines one by one', async () => {
    const text = '"u1"\n{"user_id":"u2","x":1}\n\n  \nnope\n7\n{"id":"u5"}\n["u6"]\n"u7"'
    assert.deepEqual(await summary('ndjson', text), ['u1', 'u2', '3:malformed_row', '4:invalid_user_id', '5:invalid_user_id', '6:invalid_user_id', 'u7'])
  })

  it('handles a BOM and CRLF', async () => {
    assert.deepEqual(await summary('ndjson', '\uFEFF"u1"\r\n"u2"\r\n'), ['u1', 'u2'])
  })

  it('stops with malformed_request at a line longer than any list of ids has', async () => {
    const error = await uploadError(rows('ndjson', '"u1"\n', 'x'.repeat(MAX_LINE_BYTES + 1)))
    assert.equal(error.code, 'malformed_request')
    assert.match(error.message, /Line 2/)
  })
})

describe('readLines', () => {
  it('yields each line without its end, with the bytes read up to it', async () => {
    const out: { text: string; offset: number }[] = []
    for await (const line of readLines(chunks('\uFEFFab\r\n', 'c', 'd\n\né'))) out.push(line)
    assert.deepEqual(out, [
      { text: 'ab', offset: 7 },
      { text: 'cd', offset: 10 },
      { text: '', offset: 11 },
      { text: 'é', offset: 13 },
    ])
  })
})

describe('reading a JSON upload', () => {
  it('takes {"user_ids": [...]} or a bare list, each entry a row', async () => {
    assert.deepEqual(await summary('json', '{"user_ids":["u1",{"user_id":"u2"},3]}'), ['u1', 'u2', '3:invalid_user_id'])
    assert.deepEqual(await summary('json', '["u1"]'), ['u1'])
    assert.deepEqual([...rowsOfList(['a', ''])].map((r) => r.problem?.code ?? r.userId), ['a', 'invalid_user_id'])
  })

  it('stops with malformed_request for JSON of another shape or none at all', async () => {
    assert.equal((await uploadError(rows('json', '{"users":[]}'))).code, 'malformed_request')
    assert.equal((await uploadError(rows('json', '{"user_ids":'))).code, 'malformed_request')
  })
})

describe('countBytes', () => {
  it('passes the body through up to the limit and stops with payload_too_large past it', async () => {
    const passed: string[] = []
    const error = await uploadError(
      (async () => {
        for await (const chunk of countBytes(chunks('abc', 'de', 'f'), 5)) passed.push(String(chunk))
      })(),
    )
    assert.equal(error.code, 'payload_too_large')
    assert.deepEqual(passed, ['abc', 'de'])
  })
})
