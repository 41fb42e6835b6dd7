// Request ids: inbound validation and the UUIDv7 generator (format, version/variant bits, time, uniqueness).
import { describe, expect, it } from 'vitest';
import { isValidRequestId, uuidv7, uuidv7Time } from '../../../src/gateway/request-id.js';

describe('isValidRequestId', () => {
  it('accepts 1-128 chars of [A-Za-z0-9._:-]', () => {
    for (const ok of ['a', 'abc-123', 'A.B_C:D-e', '0193a6f2-7c1e-7b3a-9f21-5c0d3e8a1b44', 'x'.repeat(128)]) expect(isValidRequestId(ok), ok).toBe(true);
  });
  it('rejects empty, too long, and anything that could break logs or headers', () => {
    for (const bad of [undefined, '', 'x'.repeat(129), 'a b', 'a\r\nx-evil: 1', 'é', 'a/b', 'a;b', '<script>']) expect(isValidRequestId(bad), String(bad)).toBe(false);
  });
});

describe('uuidv7', () => {
  it('is a version 7, variant 10 UUID carrying the timestamp', () => {
    const now = Date.UTC(2026, 10, 21, 7, 0, 0, 123);
    const id = uuidv7(now);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidv7Time(id)).toBe(now);
  });
  it('handles timestamps above 2^32 and the 48-bit maximum', () => {
    expect(uuidv7Time(uuidv7(2 ** 40 + 5))).toBe(2 ** 40 + 5);
    expect(uuidv7Time(uuidv7(2 ** 48 - 1))).toBe(2 ** 48 - 1);
  });
  it('is unique across pool refills and sorts by time', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5000; i++) ids.add(uuidv7(1_700_000_000_000));
    expect(ids.size).toBe(5000);
    expect(uuidv7(1_700_000_000_001) > uuidv7(1_700_000_000_000)).toBe(true);
  });
});
