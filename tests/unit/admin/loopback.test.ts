// isLoopback: which socket addresses count as local for the admin API.
import { describe, expect, it } from 'vitest';
import { isLoopback } from '../../../src/admin/admin.js';

describe('isLoopback', () => {
  it('accepts 127.0.0.0/8, ::1 and IPv4-mapped loopback', () => {
    for (const a of ['127.0.0.1', '127.2.3.4', '::1', '::ffff:127.0.0.1']) expect(isLoopback(a)).toBe(true);
  });
  it('refuses every other address and a missing one', () => {
    for (const a of ['10.0.0.1', '192.168.1.10', '203.0.113.9', '::ffff:10.0.0.1', '2001:db8::1', '::', '0.0.0.0', '128.0.0.1', undefined]) {
      expect(isLoopback(a)).toBe(false);
    }
  });
});
