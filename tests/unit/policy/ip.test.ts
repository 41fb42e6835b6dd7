// Unit tests for IP parsing, mapped normalisation, CIDR sets and IPv6 grouping.
import { describe, expect, it } from 'vitest';
import { CidrSet, ipv6Group, isIpAddress, normalizeIp, parseCidrRange, parseIPv4, parseIPv6 } from '../../../src/policy/ip.js';

describe('parseIPv4', () => {
  it('parses valid dotted quads to unsigned ints', () => {
    expect(parseIPv4('0.0.0.0')).toBe(0);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIPv4('10.1.2.3')).toBe((10 << 24) + (1 << 16) + (2 << 8) + 3);
  });
  it.each(['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '01.2.3.4', '1.2.3.4 ', 'a.b.c.d', '1.2.3.'])('rejects %j', (s) => {
    expect(parseIPv4(s)).toBe(-1);
  });
});

describe('parseIPv6', () => {
  const w = new Uint32Array(4);
  const p = (s: string) => (parseIPv6(s, 0, s.length, w) ? Array.from(w) : null);
  it('parses full, compressed, embedded-v4 and zoned forms', () => {
    expect(p('2001:db8:0:0:0:0:0:1')).toEqual([0x20010db8, 0, 0, 1]);
    expect(p('2001:db8::1')).toEqual([0x20010db8, 0, 0, 1]);
    expect(p('::')).toEqual([0, 0, 0, 0]);
    expect(p('::1')).toEqual([0, 0, 0, 1]);
    expect(p('fe80::1%eth0')).toEqual([0xfe800000, 0, 0, 1]);
    expect(p('::ffff:1.2.3.4')).toEqual([0, 0, 0xffff, 0x01020304]);
    expect(p('1::')).toEqual([0x00010000, 0, 0, 0]);
    expect(p('FFFF:ffff:FFFF:ffff:FFFF:ffff:FFFF:ffff')).toEqual([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]);
  });
  it.each(['1:2:3:4:5:6:7', '1::2::3', ':1::', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', '1:', '::ffff:1.2.3', '1:2:3:4:5:6:7:1.2.3.4'])('rejects %j', (s) => {
    expect(p(s)).toBeNull();
  });
});

describe('normalizeIp', () => {
  it('turns IPv4-mapped IPv6 into IPv4 in any spelling', () => {
    expect(normalizeIp('::ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(normalizeIp('::FFFF:10.0.0.1')).toBe('10.0.0.1');
    expect(normalizeIp('0:0:0:0:0:ffff:0102:0304')).toBe('1.2.3.4');
    expect(normalizeIp('::ffff:7f00:1')).toBe('127.0.0.1');
  });
  it('leaves other addresses alone (drops a zone id)', () => {
    expect(normalizeIp('1.2.3.4')).toBe('1.2.3.4');
    expect(normalizeIp('2001:db8::1')).toBe('2001:db8::1');
    expect(normalizeIp('fe80::1%lo')).toBe('fe80::1');
  });
  it('isIpAddress', () => {
    expect(isIpAddress('1.2.3.4')).toBe(true);
    expect(isIpAddress('::1')).toBe(true);
    expect(isIpAddress('example.com')).toBe(false);
    expect(isIpAddress('unknown')).toBe(false);
  });
});

describe('ipv6Group', () => {
  it('groups IPv6 by prefix and leaves IPv4 alone', () => {
    expect(ipv6Group('2001:db8:1:2:aaaa:bbbb:cccc:dddd', 64)).toBe('2001:db8:1:2::/64');
    expect(ipv6Group('2001:db8:1:2::9', 64)).toBe('2001:db8:1:2::/64');
    expect(ipv6Group('2001:db8:1:2ff::', 56)).toBe('2001:db8:1:200::/56');
    expect(ipv6Group('2001:db8:abcd::1', 48)).toBe('2001:db8:abcd::/48');
    expect(ipv6Group('1.2.3.4', 64)).toBe('1.2.3.4');
    expect(ipv6Group('::ffff:1.2.3.4', 64)).toBe('1.2.3.4');
    expect(ipv6Group('2001:db8::1', 128)).toBe('2001:db8::1');
    expect(ipv6Group('::1', 64)).toBe('::/64');
    expect(ipv6Group('2001:db8::5', 64)).toBe('2001:db8::/64');
    expect(ipv6Group('2001:0:0:1:2::', 64)).toBe('2001:0:0:1::/64');
    expect(ipv6Group('fe80::1:2:3:4', 10)).toBe('fe80::/10');
  });
});

describe('CidrSet', () => {
  const set = CidrSet.compile(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', '::1', '::ffff:172.16.0.0/108', '0.0.0.0/32']);
  it('matches v4, v6 and mapped addresses against precompiled ranges', () => {
    expect(set.has('10.255.255.255')).toBe(true);
    expect(set.has('11.0.0.0')).toBe(false);
    expect(set.has('192.168.1.7')).toBe(true);
    expect(set.has('192.168.1.8')).toBe(false);
    expect(set.has('2001:db8:ffff::1')).toBe(true);
    expect(set.has('2001:db9::1')).toBe(false);
    expect(set.has('::1')).toBe(true);
    expect(set.has('::2')).toBe(false);
    expect(set.has('::ffff:10.1.1.1')).toBe(true); // mapped v4 matches v4 range
    expect(set.has('172.16.3.4')).toBe(true); // mapped CIDR compiles to v4 /12
    expect(set.has('172.32.0.1')).toBe(false);
    expect(set.has('garbage')).toBe(false);
  });
  it('/0 matches everything of its family', () => {
    const all4 = CidrSet.compile(['0.0.0.0/0']);
    expect(all4.has('8.8.8.8')).toBe(true);
    expect(all4.has('::1')).toBe(false);
    const all6 = CidrSet.compile(['::/0']);
    expect(all6.has('2001:db8::1')).toBe(true);
  });
  it('masks host bits of a CIDR base', () => {
    expect(parseCidrRange('10.1.2.3/8')?.base[0]).toBe(10 << 24);
  });
  it('throws a config error naming the key and entry', () => {
    expect(() => CidrSet.compile(['10.0.0.0/33'], 'trustedProxies')).toThrow(/trustedProxies\[0\].*10\.0\.0\.0\/33/);
    expect(() => CidrSet.compile(['1.2.3.4', 'nope'], 'deny')).toThrow(/deny\[1\]/);
  });
});
