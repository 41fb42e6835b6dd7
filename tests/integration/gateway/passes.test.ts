// The pipeline contract on real sockets: the first verdict wins in enforce mode (JSON refusal,
// pass headers, one BLOCK/THROTTLE row), monitor mode forwards and records would_decision,
// responseHeaders reach the client, after() sees the final status, a throwing pass fails closed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../../../src/config/types.js';
import type { Pass } from '../../../src/gateway/pipeline.js';
import { readRows, send, startTestGateway, startUpstream, type Upstream } from './helpers.js';

let up: Upstream;
beforeAll(async () => {
  up = await startUpstream();
});
afterAll(async () => {
  await up?.close();
});

const after: Array<[string, number, Decision]> = [];
const passes: Pass[] = [
  {
    name: 'tag',
    run(ctx) {
      ctx.responseHeaders.push(['ratelimit-remaining', '9']);
      ctx.keyId = ctx.req.headers['x-key'] === 'k1' ? 'key_1' : null;
      return undefined;
    },
    after(ctx, status, decision) {
      after.push([ctx.path, status, decision]);
    },
  },
  {
    name: 'deny',
    run(ctx) {
      if (ctx.path === '/denied') return { decision: 'BLOCK', status: 403, reason: 'denylist', message: 'forbidden' };
      if (ctx.path === '/busy') return { decision: 'THROTTLE', status: 429, reason: 'rate_limit_ip', message: 'slow down', headers: [['retry-after', '7']] };
      if (ctx.path === '/boom') throw new Error('pass bug');
      return undefined;
    },
  },
  {
    name: 'second',
    run(ctx) {
      if (ctx.path === '/denied') return { decision: 'THROTTLE', status: 429, reason: 'later_pass', message: 'x' };
      return undefined;
    },
  },
];

describe('enforce mode', () => {
  it('applies the first verdict, adds pass headers, runs after(), logs one row each', async () => {
    const t = await startTestGateway(up.url, {}, { passes });
    const before = up.seen.length;
    const denied = await send(t.gw.url, { path: '/denied', headers: ['X-Request-ID', 'p-denied'] });
    expect(denied.status).toBe(403);
    expect(denied.json()).toEqual({ error: 'denylist', message: 'forbidden', requestId: 'p-denied' });
    expect(denied.headers['ratelimit-remaining']).toBe('9');
    const busy = await send(t.gw.url, { path: '/busy' });
    expect(busy.status).toBe(429);
    expect(busy.headers['retry-after']).toBe('7');
    const boom = await send(t.gw.url, { path: '/boom' });
    expect(boom.status).toBe(500);
    expect(up.seen.length).toBe(before); // nothing refused reached the backend
    const ok = await send(t.gw.url, { path: '/fine', headers: ['x-key', 'k1'] });
    expect(ok.status).toBe(200);
    expect(ok.headers['ratelimit-remaining']).toBe('9');
    await t.close();
    const rows = readRows(t.dbPath);
    const by = (p: string) => rows.find((r) => r.path === p)!;
    expect(by('/denied')).toMatchObject({ status: 403, decision: 'BLOCK', reason: 'denylist', would_decision: null, upstream_status: null });
    expect(by('/busy')).toMatchObject({ status: 429, decision: 'THROTTLE', reason: 'rate_limit_ip' });
    expect(by('/boom')).toMatchObject({ status: 500, decision: 'BLOCK', reason: 'internal_error' });
    expect(by('/fine')).toMatchObject({ status: 200, decision: 'ALLOW', reason: 'ok' });
    expect((rows.find((r) => r.path === '/fine') as unknown as { key_id: string }).key_id).toBe('key_1');
    expect(after).toContainEqual(['/denied', 403, 'BLOCK']);
    expect(after).toContainEqual(['/fine', 200, 'ALLOW']);
    await t.dispose();
  });
});

describe('monitor mode', () => {
  it('forwards what enforce would refuse and records would_decision with the reason', async () => {
    const t = await startTestGateway(up.url, { mode: 'monitor', limits: { maxBodyBytes: 100 } }, { passes });
    // A request the gateway cannot forward is refused in monitor mode too.
    expect((await send(t.gw.url, { method: 'POST', path: '/too-big', body: Buffer.alloc(200) })).status).toBe(413);
    const denied = await send(t.gw.url, { path: '/denied' });
    expect(denied.status).toBe(200);
    expect(up.seen.at(-1)!.url).toBe('/denied');
    await send(t.gw.url, { path: '/fine' });
    await t.close();
    const rows = readRows(t.dbPath);
    expect(rows.find((r) => r.path === '/denied')).toMatchObject({ status: 200, decision: 'ALLOW', would_decision: 'BLOCK', reason: 'denylist', mode: 'monitor' });
    expect(rows.find((r) => r.path === '/fine')).toMatchObject({ decision: 'ALLOW', would_decision: 'ALLOW', reason: 'ok', mode: 'monitor' });
    expect(rows.find((r) => r.path === '/too-big')).toMatchObject({ status: 413, decision: 'BLOCK', would_decision: 'BLOCK', reason: 'body_too_large' });
    await t.dispose();
  });
});
