// Unit tests for client identity: trusted proxies, X-Forwarded-For walking and spoofing.
import { describe, expect, it } from 'vitest';
import { ClientIdentity } from '../../../src/policy/identity.js';
import { CidrSet } from '../../../src/policy/ip.js';

const id = new ClientIdentity(CidrSet.compile(['10.0.0.0/8', 'fd00::/8', '127.0.0.1']), 64);
const none = new ClientIdentity(CidrSet.compile([]), 64);

describe('ClientIdentity.resolve', () => {
  it('uses the socket address when no proxy is trusted (spoofed XFF changes nothing)', () => {
    expect(none.resolve('198.51.100.1', '1.1.1.1')).toBe('198.51.100.1');
    expect(none.resolve('::ffff:198.51.100.1', '1.1.1.1')).toBe('198.51.100.1');
  });
  it('ignores XFF from an untrusted peer even when proxies are configured', () => {
    expect(id.resolve('203.0.113.9', '10.0.0.1, 1.2.3.4')).toBe('203.0.113.9');
  });
  it('takes the right-most untrusted entry behind trusted proxies', () => {
    expect(id.resolve('10.0.0.5', '203.0.113.7')).toBe('203.0.113.7');
    expect(id.resolve('10.0.0.5', '6.6.6.6, 203.0.113.7, 10.0.0.9')).toBe('203.0.113.7'); // client-spoofed left part ignored
    expect(id.resolve('::ffff:10.0.0.5', '203.0.113.7,10.1.1.1')).toBe('203.0.113.7');
    expect(id.resolve('fd00::1', '2001:db8::5')).toBe('2001:db8::5');
  });
  it('handles ports, brackets, mapped entries and multiple header lines', () => {
    expect(id.resolve('10.0.0.5', '203.0.113.7:4711')).toBe('203.0.113.7');
    expect(id.resolve('10.0.0.5', '[2001:db8::5]:443')).toBe('2001:db8::5');
    expect(id.resolve('10.0.0.5', '::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(id.resolve('10.0.0.5', ['1.1.1.1', '203.0.113.8'])).toBe('203.0.113.8');
  });
  it('all entries trusted → the left-most; no XFF → the peer', () => {
    expect(id.resolve('10.0.0.5', '10.0.0.7, 10.0.0.6')).toBe('10.0.0.7');
    expect(id.resolve('10.0.0.5', undefined)).toBe('10.0.0.5');
    expect(id.resolve('10.0.0.5', '')).toBe('10.0.0.5');
  });
  it('stops at a malformed entry and keeps the last good hop', () => {
    expect(id.resolve('10.0.0.5', 'unknown')).toBe('10.0.0.5');
    expect(id.resolve('10.0.0.5', '1.1.1.1, evil, 10.0.0.6')).toBe('10.0.0.6');
  });
});

describe('ClientIdentity.key', () => {
  it('groups IPv6 by the configured prefix, IPv4 unchanged', () => {
    expect(id.key('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(id.key('2001:db8:1:2:ffff::')).toBe('2001:db8:1:2::/64');
    expect(id.key('9.9.9.9')).toBe('9.9.9.9');
    expect(new ClientIdentity(CidrSet.compile([]), 48).key('2001:db8:1:2::1')).toBe('2001:db8:1::/48');
  });
});
