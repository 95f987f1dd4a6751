import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isPrivateAddress, literalAddress } from './destinations.ts'

describe('isPrivateAddress', () => {
  const privateAddresses = [
    '127.0.0.1', '127.255.255.254', '0.0.0.0', '0.1.2.3', '10.0.0.5', '10.255.255.255',
    '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '169.254.0.1',
    '100.64.0.1', '100.127.255.255', '192.0.0.8', '192.0.2.1', '198.18.0.1', '198.19.255.255', '198.51.100.7', '203.0.113.9',
    '224.0.0.1', '239.255.255.250', '240.0.0.1', '255.255.255.255',
    '::', '::1', '[::1]', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.1.2.3', '::ffff:169.254.169.254', '0:0:0:0:0:ffff:c0a8:101',
    '::127.0.0.1', '64:ff9b::7f00:1', '64:ff9b::a9fe:a9fe', '64:ff9b:1::1',
    'fc00::1', 'fd12:3456:789a::1', 'fe80::1', 'fe80::1%eth0', 'febf::1', 'fec0::1', 'ff02::1', 'ff05::1:3', '2001:db8::1', '100::1',
  ]
  for (const address of privateAddresses) it(`${address} is private`, () => assert.equal(isPrivateAddress(address), true))

  const publicAddresses = [
    '8.8.8.8', '1.1.1.1', '93.184.216.34', '9.255.255.255', '11.0.0.1', '100.63.255.255', '100.128.0.1',
    '172.15.255.255', '172.32.0.1', '192.167.255.255', '192.169.0.1', '169.253.255.255', '169.255.0.1', '198.17.255.255', '198.20.0.1',
    '223.255.255.255', '126.255.255.255', '128.0.0.1',
    '2606:4700:4700::1111', '2001:4860:4860::8888', '::ffff:8.8.8.8', '64:ff9b::808:808', '2a00:1450:4001:80b::200e', 'fbff::1', 'fe7f::1',
  ]
  for (const address of publicAddresses) it(`${address} is public`, () => assert.equal(isPrivateAddress(address), false))

  it('what is not an IP address is not vouched for', () => {
    for (const text of ['', 'localhost', 'example.com', '999.1.1.1', '1.2.3']) assert.equal(isPrivateAddress(text), true)
  })
})

describe('literalAddress', () => {
  it('is the address a URL host is written as, without brackets', () => {
    assert.equal(literalAddress('127.0.0.1'), '127.0.0.1')
    assert.equal(literalAddress('[::1]'), '::1')
    assert.equal(literalAddress(new URL('http://0x7f000001/').hostname), '127.0.0.1')
    assert.equal(literalAddress(new URL('http://[::ffff:127.0.0.1]/').hostname), '::ffff:7f00:1')
  })
  it('is null for a name', () => {
    assert.equal(literalAddress('localhost'), null)
    assert.equal(literalAddress('hooks.example.com'), null)
  })
})
