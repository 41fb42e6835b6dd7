// Integration: the real gateway (port 0) + a real backend + real SQLite; every access status, reason
// and header; header stripping; spoofed X-Forwarded-For; exact counting under a concurrent burst.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey, revokeKey } from '../../../src/keys/store.js';
import { get, rowFor, startEnv, type Env } from './harness.js';

const RATE_PATTERN = /^"ip-1s";r=\d+;t=\d+, "ip-10m";r=\d+;t=\d+$/;

describe('access control through the gateway (enforce)', () => {
  let env: Env;
  let good: string;
  let goodId: string;
  let revoked: string;
  let expired: string;
  let limited: string;
  let limitedId: string;

  beforeAll(async () => {
    env = await startEnv({
      trustedProxies: ['127.0.0.1'],
      rateLimit: { enabled: true, ip: [{ limit: 5, windowMs: 1000 }, { limit: 1000, windowMs: 600_000 }], key: [{ limit: 1000, windowMs: 1000 }], maxClients: 10_000 },
      deny: ['203.0.113.66', '2001:db8:bad::/48'],
      allow: ['198.51.100.0/24'],
      auth: { required: true, header: 'x-api-key', publicPaths: ['/health', '/public/*'] },
    });
    const now = Date.now();
    ({ key: good, record: { id: goodId } } = addKey(env.db, { name: 'good' }, now));
    const r = addKey(env.db, { name: 'revoked' }, now);
    revoked = r.key;
    revokeKey(env.db, r.record.id, now);
    expired = addKey(env.db, { name: 'expired', expiresInMs: 1 }, now - 10).key;
    ({ key: limited, record: { id: limitedId } } = addKey(env.db, { name: 'limited', rates: [{ limit: 3, windowMs: 60_000 }] }, now));
    await new Promise((res) => setTimeout(res, 600)); // added while running: the gateway's watcher picks them up
  });
  afterAll(async () => env?.close());

  const xff = (ip: string) => ({ 'x-forwarded-for': ip });

  it('401 auth_missing with WWW-Authenticate, logged as BLOCK', async () => {
    const r = await get(env.gw.url, '/api/items', xff('192.0.2.1'));
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body)).toMatchObject({ error: expect.anything() });
    expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
    const row = await rowFor(env.db, r.headers['x-request-id']);
    expect(row).toMatchObject({ status: 401, decision: 'BLOCK', reason: 'auth_missing', would_decision: null });
  });

  it('401 auth_invalid / auth_revoked / auth_expired', async () => {
    for (const [key, reason] of [
      ['phk_00000000_' + 'x'.repeat(40), 'auth_invalid'],
      [good.slice(0, -2) + (good.endsWith('AA') ? 'BB' : 'AA'), 'auth_invalid'],
      ['not-a-key', 'auth_invalid'],
      [revoked, 'auth_revoked'],
      [expired, 'auth_expired'],
    ] as const) {
      const r = await get(env.gw.url, '/api/x', { ...xff('192.0.2.2'), 'x-api-key': key });
      expect(r.status, reason).toBe(401);
      const row = await rowFor(env.db, r.headers['x-request-id']);
      expect(row.reason).toBe(reason);
    }
  });

  it('never takes the key from the query string', async () => {
    const r = await get(env.gw.url, `/api/x?api_key=${good}&key=${good}`, xff('192.0.2.3'));
    expect(r.status).toBe(401);
    expect((await rowFor(env.db, r.headers['x-request-id'])).reason).toBe('auth_missing');
  });

  it('a valid key passes; the key header is removed before forwarding; RateLimit headers present', async () => {
    const before = env.backend.seen.length;
    const r = await get(env.gw.url, '/api/ok', { ...xff('192.0.2.4'), 'x-api-key': good, authorization: 'Bearer backend-token' });
    expect(r.status).toBe(200);
    const seen = env.backend.seen[before];
    expect(seen['x-api-key']).toBeUndefined();
    expect(seen.authorization).toBe('Bearer backend-token'); // not the key: forwarded untouched
    expect(r.headers['ratelimit-policy']).toBe('"key-1s";q=1000;w=1');
    expect(r.headers.ratelimit).toMatch(/^"key-1s";r=\d+;t=1$/);
    expect(r.headers['x-ratelimit-limit']).toBe('1000');
    const row = await rowFor(env.db, r.headers['x-request-id']);
    expect(row).toMatchObject({ decision: 'ALLOW', key_id: goodId, client_id: goodId, client_ip: '192.0.2.4' });
  });

  it('Authorization: Bearer carries the key and is then not forwarded', async () => {
    const before = env.backend.seen.length;
    const r = await get(env.gw.url, '/api/ok', { ...xff('192.0.2.5'), authorization: `Bearer ${good}` });
    expect(r.status).toBe(200);
    expect(env.backend.seen[before].authorization).toBeUndefined();
    expect(JSON.stringify(env.backend.seen[before])).not.toContain(good.slice(13));
  });

  it('public paths skip auth but are rate limited per IP', async () => {
    const ip = '192.0.2.6';
    const statuses: number[] = [];
    let last = await get(env.gw.url, '/health', xff(ip));
    statuses.push(last.status);
    expect(last.headers['ratelimit-policy']).toBe('"ip-1s";q=5;w=1, "ip-10m";q=1000;w=600');
    expect(last.headers.ratelimit).toMatch(RATE_PATTERN);
    for (let i = 0; i < 6; i++) {
      last = await get(env.gw.url, '/public/docs', xff(ip));
      statuses.push(last.status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(last.status).toBe(429);
    expect(Number(last.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(last.headers['x-ratelimit-remaining']).toBe('0');
    expect((await rowFor(env.db, last.headers['x-request-id'])).reason).toBe('rate_limit_ip');
  });

  it('per-key override from keys add --rate → 429 rate_limit_key', async () => {
    const res = [];
    for (let i = 0; i < 4; i++) res.push(await get(env.gw.url, '/api/k', { ...xff(`192.0.2.${20 + i}`), 'x-api-key': limited }));
    expect(res.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(res[0].headers['ratelimit-policy']).toBe('"key-1m";q=3;w=60');
    expect(Number(res[3].headers['retry-after'])).toBeGreaterThan(1);
    const row = await rowFor(env.db, res[3].headers['x-request-id']);
    expect(row).toMatchObject({ status: 429, decision: 'THROTTLE', reason: 'rate_limit_key', key_id: limitedId });
  });

  it('deny list → 403 denylist before auth (v4, mapped, v6 /48); allow list skips limits', async () => {
    for (const ip of ['203.0.113.66', '::ffff:203.0.113.66', '2001:db8:bad:1::1']) {
      const r = await get(env.gw.url, '/api/x', { ...xff(ip), 'x-api-key': good });
      expect(r.status, ip).toBe(403);
      expect((await rowFor(env.db, r.headers['x-request-id'])).reason).toBe('denylist');
    }
    const allowed = [];
    for (let i = 0; i < 10; i++) allowed.push((await get(env.gw.url, '/health', xff('198.51.100.9'))).status);
    expect(allowed.every((s) => s === 200)).toBe(true);
  });

  it('IPv6 clients share one bucket per /64', async () => {
    const statuses = [];
    for (let i = 1; i <= 6; i++) statuses.push((await get(env.gw.url, '/health', xff(`2001:db8:1:2::${i}`))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const other = await get(env.gw.url, '/health', xff('2001:db8:1:3::1'));
    expect(other.status).toBe(200);
    const row = await rowFor(env.db, other.headers['x-request-id']);
    expect(row.client_ip).toBe('2001:db8:1:3::1');
    expect(row.client_id).toBe('2001:db8:1:3::/64');
  });

  it('exactly N of a 2000-request concurrent burst pass (limit N)', async () => {
    const N = 50;
    const burstEnv = await startEnv({
      auth: { required: false, header: 'x-api-key', publicPaths: [] },
      rateLimit: { enabled: true, ip: [{ limit: N, windowMs: 60_000 }], key: [], maxClients: 1000 },
    });
    try {
      const results = await Promise.all(Array.from({ length: 2000 }, () => get(burstEnv.gw.url, '/api/burst')));
      const ok = results.filter((r) => r.status === 200).length;
      const throttled = results.filter((r) => r.status === 429).length;
      expect(ok).toBe(N);
      expect(throttled).toBe(2000 - N);
    } finally {
      await burstEnv.close();
    }
  });

  it('a key id on the deny list → 403 denylist right after auth; allow-listed key skips limits', async () => {
    let denied = '';
    let allowed = '';
    const e2 = await startEnv({ rateLimit: { enabled: true, ip: [], key: [{ limit: 1, windowMs: 60_000 }], maxClients: 100 } }, (db) => {
      const d = addKey(db, { name: 'bad' }, Date.now());
      const a = addKey(db, { name: 'vip' }, Date.now());
      denied = d.key;
      allowed = a.key;
      return { deny: [d.record.id], allow: [a.record.id] };
    });
    try {
      const r = await get(e2.gw.url, '/api/x', { 'x-api-key': denied });
      expect(r.status).toBe(403);
      expect(await rowFor(e2.db, r.headers['x-request-id'])).toMatchObject({ reason: 'denylist', decision: 'BLOCK' });
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await get(e2.gw.url, '/api/x', { 'x-api-key': allowed })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200]);
    } finally {
      await e2.close();
    }
  });

  it('an IPv6 socket peer is logged in full and limited by its /64', async () => {
    const e2 = await startEnv({
      host: '::1',
      auth: { required: false, header: 'x-api-key', publicPaths: [] },
      rateLimit: { enabled: true, ip: [{ limit: 2, windowMs: 60_000 }], key: [], maxClients: 100 },
    });
    try {
      const rs = [];
      for (let i = 0; i < 3; i++) rs.push(await get(e2.gw.url, '/api/v6'));
      expect(rs.map((r) => r.status)).toEqual([200, 200, 429]);
      const row = await rowFor(e2.db, rs[0].headers['x-request-id']);
      expect(row.client_ip).toBe('::1');
      expect(row.client_id).toBe('::/64');
    } finally {
      await e2.close();
    }
  });

  it('a spoofed X-Forwarded-For from an untrusted peer changes nothing', async () => {
    const e2 = await startEnv({
      auth: { required: false, header: 'x-api-key', publicPaths: [] },
      deny: ['203.0.113.66'],
      rateLimit: { enabled: true, ip: [{ limit: 3, windowMs: 60_000 }], key: [], maxClients: 100 },
    });
    try {
      const rs = [];
      for (let i = 0; i < 4; i++) rs.push(await get(e2.gw.url, '/api/x', { 'x-forwarded-for': i % 2 ? '203.0.113.66' : `9.9.9.${i}` }));
      // Not denied (XFF ignored), and all four share the socket's bucket: 3 pass, the 4th is throttled.
      expect(rs.map((r) => r.status)).toEqual([200, 200, 200, 429]);
      const row = await rowFor(e2.db, rs[0].headers['x-request-id']);
      expect(row.client_ip).toBe('127.0.0.1');
    } finally {
      await e2.close();
    }
  });
});
