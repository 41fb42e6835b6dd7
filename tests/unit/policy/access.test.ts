// Unit tests for the access passes (identity → deny/allow → auth → rate limit) on synthetic contexts.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/config/types.js';
import type { Pass, RequestContext, Verdict } from '../../../src/gateway/pipeline.js';
import { generateKey, hashKey } from '../../../src/keys/format.js';
import type { StoredKey } from '../../../src/keys/store.js';
import { KeyTable } from '../../../src/keys/table.js';
import { accessContext, createAccessPasses, type AccessConfig } from '../../../src/policy/access.js';

const T0 = 1_800_000_000_000;

function stored(name: string, extra: Partial<StoredKey> = {}): { key: string; rec: StoredKey } {
  const { id, key } = generateKey();
  return {
    key,
    rec: { id, name, hash: hashKey(key), prevHash: null, prevValidUntil: null, rates: null, createdAt: T0, expiresAt: null, revokedAt: null, rotatedAt: null, ...extra },
  };
}

function run(passes: Pass[], ctx: RequestContext): Verdict | undefined {
  for (const p of passes) {
    const v = p.run(ctx);
    if (v) return v;
  }
  return undefined;
}

function setup(over: Partial<AccessConfig> = {}) {
  const good = stored('good');
  const revoked = stored('revoked', { revokedAt: T0 - 1 });
  const expired = stored('expired', { expiresAt: T0 - 1 });
  const fast = stored('fast', { rates: [{ limit: 3, windowMs: 1000 }] });
  const denied = stored('denied');
  const allowed = stored('allowed');
  const table = new KeyTable();
  table.replace([good.rec, revoked.rec, expired.rec, fast.rec, denied.rec, allowed.rec], 1);
  const cfg: AccessConfig = {
    auth: DEFAULT_CONFIG.auth,
    rateLimit: { ...DEFAULT_CONFIG.rateLimit, ip: [{ limit: 2, windowMs: 1000 }], key: [{ limit: 5, windowMs: 1000 }] },
    trustedProxies: ['10.0.0.0/8'],
    ipv6PrefixLength: 64,
    allow: ['192.0.2.0/24', allowed.rec.id],
    deny: ['203.0.113.66', '2001:db8:bad::/48', denied.rec.id],
    ...over,
  };
  const access = createAccessPasses(cfg, { keys: table });
  return { access, good, revoked, expired, fast, denied, allowed };
}

const ctxFor = (ip: string, headers: Record<string, string> = {}, path = '/api', now = T0) => accessContext({ ip, headers, path, now });

describe('access passes', () => {
  it('auth: missing, invalid, revoked, expired, ok — and strips the key header', () => {
    const { access, good, revoked, expired } = setup();
    expect(run(access.passes, ctxFor('1.1.1.1'))).toMatchObject({ status: 401, reason: 'auth_missing', decision: 'BLOCK' });
    expect(run(access.passes, ctxFor('1.1.1.1', { 'x-api-key': 'phk_nope' }))).toMatchObject({ status: 401, reason: 'auth_invalid' });
    expect(run(access.passes, ctxFor('1.1.1.1', { 'x-api-key': revoked.key }))).toMatchObject({ reason: 'auth_revoked' });
    expect(run(access.passes, ctxFor('1.1.1.1', { 'x-api-key': expired.key }))).toMatchObject({ reason: 'auth_expired' });
    const ctx = ctxFor('1.1.1.1', { 'x-api-key': good.key, authorization: 'Bearer backend-jwt' });
    expect(run(access.passes, ctx)).toBeUndefined();
    expect(ctx.keyId).toBe(good.rec.id);
    expect(ctx.clientId).toBe(good.rec.id);
    expect(ctx.stripHeaders).toBe('x-api-key'); // not forwarded
    expect(ctx.req.headers.authorization).toBe('Bearer backend-jwt'); // not ours: kept
  });

  it('accepts Authorization: Bearer and removes it; never reads the query string', () => {
    const { access, good } = setup();
    const ctx = ctxFor('1.1.1.1', { authorization: `bearer ${good.key}` });
    expect(run(access.passes, ctx)).toBeUndefined();
    expect(ctx.keyId).toBe(good.rec.id);
    expect(ctx.stripHeaders).toBe('authorization');
    expect(run(access.passes, ctxFor('1.1.1.1', {}, `/api?api_key=${good.key}`))).toMatchObject({ reason: 'auth_missing' });
  });

  it('auth.header "authorization" reads only the Bearer form', () => {
    const { access, good } = setup({ auth: { ...DEFAULT_CONFIG.auth, header: 'authorization' } });
    const ctx = ctxFor('1.1.1.1', { authorization: `Bearer ${good.key}` });
    expect(run(access.passes, ctx)).toBeUndefined();
    expect(ctx.keyId).toBe(good.rec.id);
    expect(run(access.passes, ctxFor('1.1.1.1', { authorization: good.key }))).toMatchObject({ reason: 'auth_missing' });
  });

  it('reads the key case-insensitively from rawHeaders; duplicates are invalid; upgrades lose req.headers copies', () => {
    const { access, good } = setup();
    const ctx = ctxFor('1.1.1.1');
    (ctx.req as unknown as { rawHeaders: string[] }).rawHeaders = ['X-API-KEY', good.key];
    expect(run(access.passes, ctx)).toBeUndefined();
    expect(ctx.keyId).toBe(good.rec.id);
    const dup = ctxFor('1.1.1.1');
    (dup.req as unknown as { rawHeaders: string[] }).rawHeaders = ['x-api-key', good.key, 'X-Api-Key', good.key];
    expect(run(access.passes, dup)).toMatchObject({ reason: 'auth_invalid' });
    const up = ctxFor('1.1.1.1', { 'x-api-key': good.key });
    (up.req as unknown as { upgrade: boolean }).upgrade = true;
    expect(run(access.passes, up)).toBeUndefined();
    expect(up.req.headers['x-api-key']).toBeUndefined();
  });

  it('public paths skip auth; auth.required=false turns keys off', () => {
    const { access } = setup({ auth: { ...DEFAULT_CONFIG.auth, publicPaths: ['/health', '/docs/*'] } });
    expect(run(access.passes, ctxFor('1.1.1.2', {}, '/health'))).toBeUndefined();
    expect(run(access.passes, ctxFor('1.1.1.3', {}, '/docs/a/b'))).toBeUndefined();
    expect(run(access.passes, ctxFor('1.1.1.4', {}, '/healthz'))).toMatchObject({ reason: 'auth_missing' });
    // Regression (path traversal past a public prefix): the backend would resolve these to /admin.
    for (const p of ['/docs/../admin', '/docs/%2e%2e/admin', '/docs/%2E%2e/admin', '/docs/..%2fadmin', '/docs//x', '/docs/a\\..\\b']) {
      expect(run(access.passes, ctxFor('1.1.1.6', {}, p)), p).toMatchObject({ reason: 'auth_missing' });
    }
    const off = setup({ auth: { ...DEFAULT_CONFIG.auth, required: false } });
    expect(run(off.access.passes, ctxFor('1.1.1.5'))).toBeUndefined();
  });

  it('deny list: IP (before auth), CIDR, IPv6 and key id → 403 denylist', () => {
    const { access, denied, good } = setup();
    expect(run(access.passes, ctxFor('203.0.113.66', { 'x-api-key': good.key }))).toMatchObject({ status: 403, reason: 'denylist' });
    expect(run(access.passes, ctxFor('::ffff:203.0.113.66'))).toMatchObject({ reason: 'denylist' });
    expect(run(access.passes, ctxFor('2001:db8:bad:1::9'))).toMatchObject({ reason: 'denylist' });
    expect(run(access.passes, ctxFor('1.1.1.1', { 'x-api-key': denied.key }))).toMatchObject({ status: 403, reason: 'denylist' });
  });

  it('allow list (IP or key id) skips rate limits', () => {
    const { access, allowed, good } = setup();
    for (let i = 0; i < 20; i++) {
      const ctx = ctxFor('192.0.2.9', { 'x-api-key': good.key });
      expect(run(access.passes, ctx)).toBeUndefined();
      expect(ctx.allowListed).toBe(true);
      expect(ctx.responseHeaders).toEqual([]);
      expect(run(access.passes, ctxFor('1.1.1.1', { 'x-api-key': allowed.key }))).toBeUndefined();
    }
  });

  it('rate limits per key (with per-key override) and per client address', () => {
    const { access, good, fast } = setup();
    const results = (key: string, n: number) =>
      Array.from({ length: n }, (_, i) => run(access.passes, ctxFor(`1.2.3.${i}`, { 'x-api-key': key }))?.reason ?? 'ok');
    expect(results(good.key, 7)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'rate_limit_key', 'rate_limit_key']);
    expect(results(fast.key, 4)).toEqual(['ok', 'ok', 'ok', 'rate_limit_key']);
    const pub = setup({ auth: { ...DEFAULT_CONFIG.auth, required: false } });
    const r = [0, 1, 2].map(() => run(pub.access.passes, ctxFor('8.8.8.8')));
    expect(r[0]).toBeUndefined();
    expect(r[2]).toMatchObject({ status: 429, decision: 'THROTTLE', reason: 'rate_limit_ip', headers: [['Retry-After', '2']] }); // full at 0 ms: room again 500 ms into the next window
  });

  it('sets RateLimit headers on passing and throttled requests', () => {
    const { access, good } = setup();
    const ctx = ctxFor('1.1.1.1', { 'x-api-key': good.key });
    run(access.passes, ctx);
    const h = Object.fromEntries(ctx.responseHeaders);
    expect(h['RateLimit-Policy']).toBe('"key-1s";q=5;w=1');
    expect(h.RateLimit).toBe('"key-1s";r=4;t=1');
    expect(h['X-RateLimit-Remaining']).toBe('4');
  });

  it('identity: XFF only from trusted proxies; IPv6 grouped by /64 for limits', () => {
    const { access } = setup({ auth: { ...DEFAULT_CONFIG.auth, required: false } });
    const spoof = ctxFor('198.51.100.7', { 'x-forwarded-for': '9.9.9.9' });
    run(access.passes, spoof);
    expect(spoof.clientIp).toBe('198.51.100.7');
    const proxied = ctxFor('10.0.0.2', { 'x-forwarded-for': '9.9.9.9, 203.0.113.5' });
    run(access.passes, proxied);
    expect(proxied.clientIp).toBe('203.0.113.5');
    // Two addresses in one /64 share a bucket of 2.
    const a = ctxFor('2001:db8:1:2::1');
    const b = ctxFor('2001:db8:1:2::2');
    const c = ctxFor('2001:db8:1:2::3');
    expect(run(access.passes, a)).toBeUndefined();
    expect(a.clientIp).toBe('2001:db8:1:2::1');
    expect(a.clientId).toBe('2001:db8:1:2::/64');
    expect(run(access.passes, b)).toBeUndefined();
    expect(run(access.passes, c)).toMatchObject({ reason: 'rate_limit_ip' });
  });
});

describe('stripNamedHeaders', () => {
  it('removes the named headers case-insensitively and keeps the rest in order', async () => {
    const { stripNamedHeaders } = await import('../../../src/policy/access.js');
    const list = ['Host', 'h', 'X-API-Key', 'k1', 'Accept', '*/*', 'authorization', 'Bearer x', 'x-api-key', 'k2', 'X-Api-Keys', 'keep'];
    stripNamedHeaders(list, 'x-api-key,authorization');
    expect(list).toEqual(['Host', 'h', 'Accept', '*/*', 'X-Api-Keys', 'keep']);
    const one = ['Authorization', 'Bearer backend', 'X-API-KEY', 'k'];
    stripNamedHeaders(one, 'x-api-key');
    expect(one).toEqual(['Authorization', 'Bearer backend']);
  });
});
