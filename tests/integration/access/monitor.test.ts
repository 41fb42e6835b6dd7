// Integration: monitor mode forwards everything but records what enforce mode would have decided.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey, revokeKey } from '../../../src/keys/store.js';
import { get, rowFor, startEnv, type Env } from './harness.js';

describe('monitor mode', () => {
  let env: Env;
  let revoked = '';
  beforeAll(async () => {
    env = await startEnv(
      {
        mode: 'monitor',
        trustedProxies: ['127.0.0.1'],
        deny: ['203.0.113.66'],
        rateLimit: { enabled: true, ip: [{ limit: 2, windowMs: 60_000 }], key: [{ limit: 2, windowMs: 60_000 }], maxClients: 100 },
      },
      (db) => {
        const r = addKey(db, { name: 'old' }, Date.now());
        revokeKey(db, r.record.id, Date.now());
        revoked = r.key;
      },
    );
  });
  afterAll(async () => env?.close());

  it('auth failures, deny and throttles are forwarded and logged with would_decision', async () => {
    const before = env.backend.seen.length;
    const missing = await get(env.gw.url, '/api/a', { 'x-forwarded-for': '192.0.2.1' });
    const bad = await get(env.gw.url, '/api/a', { 'x-forwarded-for': '192.0.2.2', 'x-api-key': revoked });
    const denied = await get(env.gw.url, '/api/a', { 'x-forwarded-for': '203.0.113.66' });
    for (const r of [missing, bad, denied]) expect(r.status).toBe(200);
    expect(env.backend.seen.length - before).toBe(3);
    expect(env.backend.seen[before + 1]['x-api-key']).toBeUndefined(); // stripped in monitor mode too

    expect(await rowFor(env.db, missing.headers['x-request-id'])).toMatchObject({ decision: 'ALLOW', would_decision: 'BLOCK', reason: 'auth_missing', mode: 'monitor', status: 200 });
    expect(await rowFor(env.db, bad.headers['x-request-id'])).toMatchObject({ would_decision: 'BLOCK', reason: 'auth_revoked' });
    expect(await rowFor(env.db, denied.headers['x-request-id'])).toMatchObject({ would_decision: 'BLOCK', reason: 'denylist' });
  });

  it('throttles are recorded as would-THROTTLE; RateLimit headers still tell the client', async () => {
    const { key } = addKey(env.db, { name: 'busy' }, Date.now());
    await new Promise((r) => setTimeout(r, 600));
    const rs = [];
    for (let i = 0; i < 3; i++) rs.push(await get(env.gw.url, '/api/b', { 'x-forwarded-for': '192.0.2.9', 'x-api-key': key }));
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(rs[2].headers['x-ratelimit-remaining']).toBe('0');
    expect(await rowFor(env.db, rs[0].headers['x-request-id'])).toMatchObject({ would_decision: 'ALLOW', reason: 'ok' });
    expect(await rowFor(env.db, rs[2].headers['x-request-id'])).toMatchObject({ decision: 'ALLOW', would_decision: 'THROTTLE', reason: 'rate_limit_key' });
  });
});
