// Unit tests for RateLimit header syntax (draft-ietf-httpapi-ratelimit-headers-10) and the X- trio.
import { describe, expect, it } from 'vitest';
import { policySet, pushRateLimitHeaders } from '../../../src/policy/headers.js';

describe('policySet', () => {
  it('names policies by scope and window and precomputes RateLimit-Policy', () => {
    const s = policySet('ip', [
      { limit: 100, windowMs: 1000 },
      { limit: 3000, windowMs: 600_000 },
      { limit: 5, windowMs: 1500 },
    ]);
    expect(s.names).toEqual(['ip-1s', 'ip-10m', 'ip-1500ms']);
    expect(s.policyHeader).toBe('"ip-1s";q=100;w=1, "ip-10m";q=3000;w=600, "ip-1500ms";q=5');
  });
  it('keeps duplicate window names distinct', () => {
    expect(policySet('key', [{ limit: 1, windowMs: 1000 }, { limit: 2, windowMs: 1000 }]).names).toEqual(['key-1s', 'key-1s-1']);
  });
});

describe('pushRateLimitHeaders', () => {
  it('emits RateLimit per policy and the X- trio for the most restrictive window', () => {
    const s = policySet('key', [
      { limit: 10, windowMs: 1000 },
      { limit: 600, windowMs: 600_000 },
    ]);
    const out: Array<[string, string]> = [];
    pushRateLimitHeaders(out, s, [7, 2], [400.5, 59_000]);
    expect(Object.fromEntries(out)).toEqual({
      'RateLimit-Policy': '"key-1s";q=10;w=1, "key-10m";q=600;w=600',
      RateLimit: '"key-1s";r=7;t=1, "key-10m";r=2;t=59',
      'X-RateLimit-Limit': '600',
      'X-RateLimit-Remaining': '2',
      'X-RateLimit-Reset': '59',
    });
  });
  it('breaks ties on remaining by the later reset', () => {
    const s = policySet('ip', [
      { limit: 10, windowMs: 1000 },
      { limit: 600, windowMs: 600_000 },
    ]);
    const out: Array<[string, string]> = [];
    pushRateLimitHeaders(out, s, [0, 0], [300, 5000]);
    expect(Object.fromEntries(out)['X-RateLimit-Limit']).toBe('600');
    expect(Object.fromEntries(out)['X-RateLimit-Reset']).toBe('5');
  });
});
