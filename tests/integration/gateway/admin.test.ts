// Admin API on real sockets: endpoints, loopback-only by default, Bearer token when configured,
// never forwarded, not logged as decisions.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRows, send, startTestGateway, startUpstream, until, type TestGateway, type Upstream } from './helpers.js';

let up: Upstream;
beforeAll(async () => {
  up = await startUpstream();
});
afterAll(async () => {
  await up?.close();
});

describe('admin API (no token: loopback only)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(up.url);
  });
  afterAll(async () => {
    await t?.dispose();
  });
  const local = () => `http://127.0.0.1:${t.gw.port}`;

  it('answers health, status, metrics and analytics to loopback clients without forwarding', async () => {
    await send(local(), { path: '/api/one' });
    await send(local(), { path: '/api/two' });
    const seenBefore = up.seen.length;
    const health = await send(local(), { path: '/_pathhelm/health' });
    expect(health.status).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });

    const status = (await send(local(), { path: '/_pathhelm/status' })).json<Record<string, any>>();
    expect(status.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(status.uptimeMs).toBeGreaterThanOrEqual(0);
    expect(status.totals).toMatchObject({ requests: 2, ALLOW: 2, THROTTLE: 0, BLOCK: 0 });
    expect(status.inFlight).toBe(0);
    expect(status.telemetry).toMatchObject({ dropped: 0, failures: 0 });

    const metrics = await send(local(), { path: '/_pathhelm/metrics' });
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    const text = metrics.body.toString();
    expect(text).toContain('pathhelm_decisions_total{decision="ALLOW"} 2');
    expect(text).toContain('pathhelm_decision_reasons_total{reason="ok"} 2');
    expect(text).toMatch(/pathhelm_request_duration_seconds_bucket\{le="\+Inf"\} 2/);
    expect(text).toContain('pathhelm_in_flight_requests 0');

    await until(() => t.gw.telemetry().written >= 2); // the writer thread commits within ~1 s
    const a = await send(local(), { path: '/_pathhelm/analytics?since=15m&limit=5' });
    expect(a.status).toBe(200);
    const body = a.json<{ total: number; byDecision: { ALLOW: number }; topPaths: Array<{ path: string }> }>();
    expect(body.total).toBe(2);
    expect(body.topPaths.map((p) => p.path).sort()).toEqual(['/api/one', '/api/two']);

    expect(up.seen.length).toBe(seenBefore); // nothing under the prefix reached the backend
  });

  it('rejects a bad since= and unknown endpoints clearly', async () => {
    const bad = await send(local(), { path: '/_pathhelm/analytics?since=yesterday-ish' });
    expect(bad.status).toBe(400);
    expect(bad.json().message).toMatch(/since/);
    expect((await send(local(), { path: '/_pathhelm/nope' })).status).toBe(404);
    expect((await send(local(), { method: 'POST', path: '/_pathhelm/status', body: 'x' })).status).toBe(405);
  });

  it('refuses requests relayed by a proxy (X-Forwarded-For / Forwarded) with 403, but forwards their API requests', async () => {
    // Behind a reverse proxy on the same host every request arrives from 127.0.0.1; the forwarding
    // headers tell that it is not a local operator. (Loopback only: tests never send to other addresses.)
    const ext = await startTestGateway(up.url);
    try {
      for (const h of [['X-Forwarded-For', '203.0.113.9'], ['Forwarded', 'for=203.0.113.9']]) {
        const r = await send(ext.gw.url, { path: '/_pathhelm/status', headers: h });
        expect(r.status).toBe(403);
        expect(r.json()).toMatchObject({ error: 'admin_forbidden' });
      }
      expect((await send(ext.gw.url, { path: '/api/from-outside', headers: ['X-Forwarded-For', '203.0.113.9'] })).status).toBe(200);
    } finally {
      await ext.dispose();
    }
  });

  it('does not write admin requests to the decision log', async () => {
    await t.close();
    const rows = readRows(t.dbPath);
    expect(rows.map((r) => r.path).sort()).toEqual(['/api/one', '/api/two']);
  });
});

describe('admin API with admin.token', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(up.url, { admin: { token: 'admin-secret-token-123' } });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('needs Authorization: Bearer <token>, from loopback too', async () => {
    const url = `http://127.0.0.1:${t.gw.port}`;
    const none = await send(url, { path: '/_pathhelm/status' });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await send(url, { path: '/_pathhelm/status', headers: ['Authorization', 'Bearer wrong'] })).status).toBe(401);
    expect((await send(url, { path: '/_pathhelm/status', headers: ['Authorization', 'Bearer admin-secret-token-1234'] })).status).toBe(401);
    expect((await send(url, { path: '/_pathhelm/status', headers: ['Authorization', 'Bearer admin-secret-token-123'] })).status).toBe(200);
  });

  it('accepts relayed (remote) clients with the token, and only with it', async () => {
    const url = `http://127.0.0.1:${t.gw.port}`;
    const xff = ['X-Forwarded-For', '203.0.113.9'];
    expect((await send(url, { path: '/_pathhelm/health', headers: xff })).status).toBe(401);
    const r = await send(url, { path: '/_pathhelm/health', headers: [...xff, 'Authorization', 'Bearer admin-secret-token-123'] });
    expect(r.status).toBe(200);
  });
});

describe('admin analytics window', () => {
  let ta: TestGateway;
  beforeAll(async () => {
    ta = await startTestGateway(up.url);
  });
  afterAll(async () => {
    await ta?.dispose();
  });
  const localA = () => `http://127.0.0.1:${ta.gw.port}`;

  it('analytics covers the last hour unless since= says otherwise (since=all: the whole log)', async () => {
    const before = (await send(localA(), { path: '/_pathhelm/analytics?since=all' })).json<{ total: number }>().total;
    const db = new Database(ta.dbPath);
    db.prepare(
      `INSERT INTO decisions (ts, request_id, client_ip, method, path, status, decision, reason, mode, latency_ms)
       VALUES (?, 'old-row', '127.0.0.9', 'GET', '/old', 200, 'ALLOW', 'ok', 'enforce', 1)`,
    ).run(Date.now() - 3 * 3600_000);
    db.close();
    const all = (await send(localA(), { path: '/_pathhelm/analytics?since=all' })).json<{ total: number }>();
    expect(all.total).toBe(before + 1);
    const recent = (await send(localA(), { path: '/_pathhelm/analytics' })).json<{ total: number; since: number }>();
    expect(recent.total).toBe(before);
    expect(Date.now() - recent.since).toBeGreaterThanOrEqual(3600_000 - 60_000);
    const wide = (await send(localA(), { path: '/_pathhelm/analytics?since=4h' })).json<{ total: number }>();
    expect(wide.total).toBe(before + 1);
  });
});
