// Which network addresses an outgoing request (a webhook delivery) must not reach unless the operator
// allows it: the server's own machine and the networks behind it, not the internet. Matching is done by
// node's net.BlockList (a pure in-memory matcher from the standard library, no I/O), over the IANA
// special-purpose ranges that are not globally reachable.

import { BlockList, isIP } from 'node:net'

/** IPv4 ranges that are private, internal or not routable on the internet. */
const PRIVATE_IPV4: readonly [string, number][] = [
  ['0.0.0.0', 8], // "this network": 0.0.0.0 reaches the local machine
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT (shared address space)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation (TEST-NET-1)
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation (TEST-NET-2)
  ['203.0.113.0', 24], // documentation (TEST-NET-3)
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255 broadcast
]

/** IPv6 ranges likewise. IPv4-mapped addresses (::ffff:a.b.c.d) are matched by BlockList against the IPv4 rules. */
const PRIVATE_IPV6: readonly [string, number][] = [
  ['::', 96], // unspecified (::), loopback (::1) and the deprecated IPv4-compatible ::a.b.c.d
  ['64:ff9b:1::', 48], // local-use IPv4/IPv6 translation
  ['100::', 64], // discard-only
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
]

const blocked = new BlockList()
for (const [network, prefix] of PRIVATE_IPV4) blocked.addSubnet(network, prefix, 'ipv4')
for (const [network, prefix] of PRIVATE_IPV6) blocked.addSubnet(network, prefix, 'ipv6')

/** The eight 16-bit groups of an IPv6 address (which may end in dotted IPv4). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '')
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number)
    text = text.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined]
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)))
  if (tail === undefined) return parse(head)
  const left = parse(head)
  const right = parse(tail)
  return [...left, ...new Array(8 - left.length - right.length).fill(0), ...right]
}

/**
 * The IPv4 address a NAT64 address (64:ff9b::/96, the well-known prefix) stands for; null for any other.
 * Reached through a NAT64 gateway, 64:ff9b::7f00:1 is 127.0.0.1.
 */
function nat64Embedded(address: string): string | null {
  const groups = ipv6Groups(address)
  if (groups.length !== 8 || groups[0] !== 0x64 || groups[1] !== 0xff9b || groups.slice(2, 6).some((g) => g !== 0)) return null
  return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.')
}

/**
 * Whether `address` (an IPv4 or IPv6 address, as written or as resolved) is a private or internal
 * destination: loopback, private networks, link-local (cloud metadata), carrier-grade NAT, unique local,
 * multicast, reserved and documentation ranges, the unspecified address, and any of these written as an
 * IPv4-mapped or NAT64 IPv6 address. Not an IP address at all: true (nothing to vouch for).
 */
export function isPrivateAddress(address: string): boolean {
  // Without brackets and without an IPv6 zone (fe80::1%eth0).
  const bare = (address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address).replace(/%.*$/, '')
  const version = isIP(bare)
  if (version === 4) return blocked.check(bare, 'ipv4')
  if (version !== 6) return true
  if (blocked.check(bare, 'ipv6')) return true
  const embedded = nat64Embedded(bare)
  return embedded !== null && blocked.check(embedded, 'ipv4')
}

/** The IP address a URL's host is written as (without IPv6 brackets); null when the host is a name. */
export function literalAddress(hostname: string): string | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
  return isIP(bare) === 0 ? null : bare
}
