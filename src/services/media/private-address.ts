import { BlockList, isIP } from 'node:net';

/** Addresses a client's URL may not reach unless the operator allows them: loopback, private, link-local, … */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv4');
// ::/96 holds the unspecified address, loopback and the deprecated IPv4-compatible addresses (::127.0.0.1).
// 64:ff9b::/32 holds the local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215), whose translator is the operator's own;
// the well-known 64:ff9b::/96 is judged by the IPv4 address it carries (embeddedIpv4) before this list is read.
// 2001::/32 is Teredo (RFC 4380), which tunnels to an obfuscated IPv4 address; fec0::/10 the deprecated site-local.
for (const [network, prefix] of [
  ['::', 96],
  ['64:ff9b::', 32],
  ['2001::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv6');

/** The eight 16-bit groups of an IPv6 address, in any spelling (`::`, a dotted IPv4 tail, a zone id). */
function ipv6Groups(address: string): number[] {
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const groupsOf = (part: string | undefined): number[] =>
    part === undefined || part === ''
      ? []
      : part.split(':').map((group) => Number.parseInt(group, 16));
  const [head, tail] = text.split('::');
  if (tail === undefined) return groupsOf(head);
  const left = groupsOf(head);
  const right = groupsOf(tail);
  return [...left, ...Array.from({ length: 8 - left.length - right.length }, () => 0), ...right];
}

/**
 * The IPv4 address an IPv6 address stands for, where a translator or tunnel would deliver it there: IPv4-mapped
 * ::ffff:a.b.c.d (RFC 4291), IPv4-translated ::ffff:0:a.b.c.d (RFC 2765), the well-known NAT64 prefix
 * 64:ff9b::a.b.c.d (RFC 6052) and 6to4 2002:AABB:CCDD::/48 (RFC 3056). Such an address is as private as the
 * IPv4 address inside it: on a DNS64 network every IPv4-only site resolves to 64:ff9b::/96, so public ones must pass.
 */
function embeddedIpv4(groups: number[]): string | undefined {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ipv4 = (high: number, low: number): string =>
    `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  const zeros = (...values: number[]): boolean => values.every((value) => value === 0);
  if (zeros(g0, g1, g2, g3, g4) && g5 === 0xffff) return ipv4(g6, g7);
  if (zeros(g0, g1, g2, g3, g5) && g4 === 0xffff) return ipv4(g6, g7);
  if (g0 === 0x64 && g1 === 0xff9b && zeros(g2, g3, g4, g5)) return ipv4(g6, g7);
  if (g0 === 0x2002) return ipv4(g1, g2);
  return undefined;
}

/** Whether a literal IPv4 or IPv6 address is one a client's URL may not reach (see PRIVATE); anything else is not. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family !== 6) return false;
  const groups = ipv6Groups(address);
  const embedded = embeddedIpv4(groups);
  return embedded === undefined
    ? PRIVATE.check(address.replace(/%.*$/, ''), 'ipv6')
    : PRIVATE.check(embedded, 'ipv4');
}
