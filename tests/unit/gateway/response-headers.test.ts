// responseHeaders() decodes undici's raw header Buffers through a small table of recently seen strings: whatever
// repeats, collides or changes, every name and value must come out exactly as its bytes say.
import { describe, expect, it } from 'vitest';
import { responseHeaders } from '../../../src/gateway/headers.js';

/** Raw headers as undici hands them over: views into one chunk holding the whole head. */
function rawOf(pairs: Array<[string, string]>): Buffer[] {
  const head = Buffer.from(pairs.map(([k, v]) => `${k}: ${v}\r\n`).join(''), 'latin1');
  const out: Buffer[] = [];
  let at = 0;
  for (const [k, v] of pairs) {
    out.push(head.subarray(at, at + k.length));
    at += k.length + 2;
    out.push(head.subarray(at, at + v.length));
    at += v.length + 2;
  }
  return out;
}

const expected = (pairs: Array<[string, string]>, id: string) => [...pairs.flat(), 'x-request-id', id];

describe('responseHeaders decoding', () => {
  it('repeated heads, values of the same length that differ, and every byte value decode exactly', () => {
    const dates = ['Sat, 21 Nov 2026 11:11:53 GMT', 'Sat, 21 Nov 2026 11:11:54 GMT', 'Sat, 21 Nov 2026 11:11:53 GMT', 'Sun, 22 Nov 2026 11:11:53 GMT'];
    for (let round = 0; round < 3; round++) {
      for (const [i, date] of dates.entries()) {
        const pairs: Array<[string, string]> = [['content-type', 'application/json'], ['content-length', String(190 + i)], ['Date', date]];
        expect(responseHeaders(rawOf(pairs), 'r1', undefined)).toEqual(expected(pairs, 'r1'));
      }
    }
    // obs-text (bytes >= 0x80) is latin1, one character per byte
    const odd: Array<[string, string]> = [['x-odd', 'caf\u00e9 \u00ff\u0080'], ['x-long', 'v'.repeat(200)], ['x-empty', '']];
    expect(responseHeaders(rawOf(odd), 'r2', undefined)).toEqual(expected(odd, 'r2'));
    expect(responseHeaders(rawOf(odd), 'r2', undefined)).toEqual(expected(odd, 'r2'));
  });

  it('thousands of distinct values sharing length and sampled bytes (slot collisions) never mix up', () => {
    // Same length, same first/middle/last/quarter bytes: only the other characters differ.
    for (let i = 0; i < 3000; i++) {
      const v = 'a' + String(i).padStart(4, '0') + 'bbbbbbbbbbbbbbbbbb' + String(i * 7 % 9973).padStart(4, '0') + 'z';
      const w = 'a' + String(2999 - i).padStart(4, '0') + 'bbbbbbbbbbbbbbbbbb' + String(i).padStart(4, '0') + 'z';
      const pairs: Array<[string, string]> = [['etag', v], ['x-other', w], ['etag', w]];
      expect(responseHeaders(rawOf(pairs), 'id', undefined)).toEqual(expected(pairs, 'id'));
    }
  });

  it('still drops hop-by-hop and Connection-named headers and appends the extras', () => {
    const pairs: Array<[string, string]> = [['Connection', 'keep-alive, X-Secret'], ['X-Secret', 's'], ['Keep-Alive', 'timeout=5'], ['Date', 'd'], ['X-Request-ID', 'upstream'], ['x-gateway-token', 't']];
    for (let k = 0; k < 2; k++) {
      expect(responseHeaders(rawOf(pairs), 'mine', [['RateLimit', '"ip-1s";r=9;t=1']])).toEqual(['Date', 'd', 'x-request-id', 'mine', 'RateLimit', '"ip-1s";r=9;t=1']);
    }
  });
});
