// Request ids: inbound validation, the UUIDv7 generator (format, version/variant bits, time, uniqueness), and
// reading a UUIDv7's time back (uuidv7Ms / idCarriesTs, which decide rid_by_ts in the decision log).
import { describe, expect, it } from 'vitest';
import { idCarriesTs, isValidRequestId, uuidv7, uuidv7Ms, uuidv7Time } from '../../../src/gateway/request-id.js';

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
  it('fills every random position with every hex digit (no stuck nibble), the variant with 8/9/a/b', () => {
    const seen: Array<Set<string>> = Array.from({ length: 36 }, () => new Set());
    for (let i = 0; i < 4000; i++) {
      const id = uuidv7(1_700_000_000_000);
      for (let p = 0; p < 36; p++) seen[p].add(id[p]);
    }
    for (const p of [15, 16, 17, 20, 21, 22, ...Array.from({ length: 12 }, (_, i) => 24 + i)]) expect(seen[p].size, `position ${p}`).toBe(16);
    expect([...seen[19]].sort()).toEqual(['8', '9', 'a', 'b']);
    expect([...seen[14]]).toEqual(['7']);
  });
  it('is unique across pool refills and sorts by time', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5000; i++) ids.add(uuidv7(1_700_000_000_000));
    expect(ids.size).toBe(5000);
    expect(uuidv7(1_700_000_000_001) > uuidv7(1_700_000_000_000)).toBe(true);
  });
});

describe('uuidv7Ms / idCarriesTs', () => {
  const now = Date.UTC(2026, 10, 21, 7, 0, 0, 123);

  it('reads the ms of a minted id, and a minted id carries its own ts and no other', () => {
    for (const t of [now, 0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 5, 2 ** 48 - 1]) {
      const id = uuidv7(t);
      expect(uuidv7Ms(id), id).toBe(t);
      expect(uuidv7Ms(id)).toBe(uuidv7Time(id));
      expect(idCarriesTs(id, t), id).toBe(true);
      expect(idCarriesTs(id, t + 1), id).toBe(false);
      expect(idCarriesTs(id, t - 1), id).toBe(false);
    }
    for (let i = 0; i < 2000; i++) expect(idCarriesTs(uuidv7(now + i), now + i)).toBe(true); // across pool refills
  });

  it('is false (-1) for anything that is not the lower-case UUIDv7 shape', () => {
    const id = uuidv7(now); // e.g. 019a..-....-7...-....-............
    const bad = [
      'req-abc', '', 'x'.repeat(36),
      id.slice(0, 14) + '4' + id.slice(15), // version 4
      id.slice(0, 14) + '8' + id.slice(15), // version 8
      '0193A6F2-7C1E-7B3A-9F21-5C0D3E8A1B44', // upper case
      id.slice(0, 30) + 'A' + id.slice(31), // upper case in the random part only
      id.slice(0, 2) + 'A' + id.slice(3), // upper case in the timestamp
      id + '0', id.slice(0, 35), // wrong length
      id.replace(/-/g, '') + '0000', // 36 chars, no dashes
      id.slice(0, 8) + '_' + id.slice(9), // '_' where a dash belongs
      id.slice(0, 5) + 'g' + id.slice(6), // not hex in the timestamp
      id.slice(0, 30) + 'z' + id.slice(31), // not hex in the random part
      id.slice(0, 3) + 'é' + id.slice(4), // non-ASCII
      id.slice(0, 20) + '\u0661' + id.slice(21), // a non-ASCII digit
      '0193a6f2-7c1e-4b3a-9f21-5c0d3e8a1b44', // a real UUIDv4
      '{0193a6f2-7c1e-7b3a-9f21-5c0d3e8a1b4}',
    ];
    for (const b of bad) {
      expect(uuidv7Ms(b), b).toBe(-1);
      expect(idCarriesTs(b, now), b).toBe(false);
      expect(idCarriesTs(b, uuidv7Time(b)), b).toBe(false); // even against the ms its first 12 digits would give
    }
  });

  it('a client-supplied UUIDv7 carries the ts only when its ms is exactly the row\'s ts', () => {
    const client = '0193a6f2-7c1e-7b3a-9f21-5c0d3e8a1b44';
    expect(uuidv7Ms(client)).toBe(0x0193a6f27c1e);
    expect(idCarriesTs(client, 0x0193a6f27c1e)).toBe(true);
    expect(idCarriesTs(client, now)).toBe(false);
    expect(idCarriesTs(client, 0x0193a6f27c1e + 0.5)).toBe(false); // a fractional clock never matches
  });
});
