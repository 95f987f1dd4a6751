import { test } from 'node:test'
import assert from 'node:assert/strict'
import { addressKey, describeRateLimit, parseRateLimit, retryAfterSeconds } from './rate-limit-rules.ts'

test('a limit is written as requests per period', () => {
  assert.deepEqual(parseRateLimit('100/s'), { points: 100, durationSeconds: 1 })
  assert.deepEqual(parseRateLimit('60/min'), { points: 60, durationSeconds: 60 })
  assert.deepEqual(parseRateLimit('1000/h'), { points: 1000, durationSeconds: 3600 })
  assert.deepEqual(parseRateLimit('20/10s'), { points: 20, durationSeconds: 10 })
  assert.deepEqual(parseRateLimit(' 5 / 15min '), { points: 5, durationSeconds: 900 })
  assert.deepEqual(parseRateLimit('30/Minute'), { points: 30, durationSeconds: 60 })
  assert.deepEqual(parseRateLimit('2/24h'), { points: 2, durationSeconds: 86_400 })
})

test('0 or off turns a limit off', () => {
  for (const off of ['0', 'off', 'OFF', 'false', 'none', 'no']) assert.equal(parseRateLimit(off), null, off)
})

test('anything else is not understood', () => {
  for (const bad of ['100', '100/', '/s', '0/s', '-1/s', '1.5/s', '10/ms', '10/d', '10/0s', '10/25h', 'ten/s', '10/s/s', '']) {
    assert.equal(parseRateLimit(bad), undefined, bad)
  }
})

test('a limit reads as a sentence', () => {
  assert.equal(describeRateLimit({ points: 100, durationSeconds: 1 }), '100 per second')
  assert.equal(describeRateLimit({ points: 60, durationSeconds: 60 }), '60 per minute')
  assert.equal(describeRateLimit({ points: 9, durationSeconds: 3600 }), '9 per hour')
  assert.equal(describeRateLimit({ points: 5, durationSeconds: 900 }), '5 per 15 minutes')
  assert.equal(describeRateLimit({ points: 5, durationSeconds: 7200 }), '5 per 2 hours')
  assert.equal(describeRateLimit({ points: 20, durationSeconds: 10 }), '20 per 10 seconds')
})

test('Retry-After is whole seconds, rounded up, and never 0', () => {
  assert.equal(retryAfterSeconds(0), 1)
  assert.equal(retryAfterSeconds(1), 1)
  assert.equal(retryAfterSeconds(1000), 1)
  assert.equal(retryAfterSeconds(1001), 2)
  assert.equal(retryAfterSeconds(59_400), 60)
})

test('an IPv4 address counts on its own, also when it comes as IPv4-mapped IPv6', () => {
  assert.equal(addressKey('203.0.113.7'), '203.0.113.7')
  assert.equal(addressKey('::ffff:203.0.113.7'), '203.0.113.7')
  assert.equal(addressKey('::FFFF:203.0.113.7'), '203.0.113.7')
  assert.equal(addressKey('0:0:0:0:0:ffff:cb00:7107'), '203.0.113.7')
  assert.notEqual(addressKey('203.0.113.7'), addressKey('203.0.113.8'))
})

test('IPv6 addresses count by their /64 network, however they are written', () => {
  const key = addressKey('2001:db8:aa:bb::1')
  assert.equal(key, '2001:db8:aa:bb::/64')
  assert.equal(addressKey('2001:0db8:00aa:00bb:ffff:1:2:3'), key)
  assert.equal(addressKey('2001:DB8:AA:BB:1234:5678:9abc:def0'), key)
  assert.equal(addressKey('2001:db8:aa:bb::10.0.0.1'), key)
  assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64')
  assert.notEqual(addressKey('2001:db8:aa:bc::1'), key)
  assert.equal(addressKey('::1'), '0:0:0:0::/64')
  assert.equal(addressKey('::'), '0:0:0:0::/64')
})

test('what is not an address is used as it is', () => {
  assert.equal(addressKey('not:an:address:at:all'), 'not:an:address:at:all')
  assert.equal(addressKey('1::2::3'), '1::2::3')
  assert.equal(addressKey(''), '')
})
