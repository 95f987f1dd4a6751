import assert from 'node:assert/strict'
import type { Response } from './app.ts'

/**
 * Asserts an RFC 9457 error response as the contract describes it: the status, problem+json, every
 * required member, the stable `code`, and the request id header. Returns the body for further checks.
 */
export function assertProblem(res: Response, status: number, code: string) {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.text}`)
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/, `content-type of ${res.text}`)
  assert.equal(res.body.code, code, res.text)
  assert.equal(res.body.status, status)
  for (const member of ['type', 'title', 'detail', 'code']) {
    assert.equal(typeof res.body[member], 'string', `problem member ${member} in ${res.text}`)
    assert.ok(res.body[member].length > 0, `problem member ${member} is empty in ${res.text}`)
  }
  assert.match(String(res.headers['x-request-id']), /^req_/, 'x-request-id header')
  return res.body as { type: string; title: string; status: number; detail: string; code: string; errors?: { field: string; code: string; message: string }[] }
}

/** Asserts a 422 validation_failed whose `errors` name exactly these fields (in any order). */
export function assertInvalidFields(res: Response, fields: string[], code?: string) {
  const problem = assertProblem(res, 422, 'validation_failed')
  const errors = problem.errors ?? []
  assert.deepEqual([...new Set(errors.map((e) => e.field))].sort(), [...fields].sort(), res.text)
  for (const error of errors) {
    assert.equal(typeof error.message, 'string')
    if (code) assert.equal(error.code, code, res.text)
  }
  return problem
}
