// The decision log under load and at shutdown: exactly one row per request with 2,000 concurrent
// requests, nothing lost when close() drains in-flight requests, and a failing disk never stops proxying.
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../../src/telemetry/db.js';
import { readRows, send, startTestGateway, startUpstream, until, type Upstream } from './helpers.js';

let up: Upstream;
let delayMs = 0;

beforeAll(async () => {
  up = await startUpstream((req, res) => {
    req.resume();
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    }, delayMs);
  });
});
afterAll(async () => {
  await up?.close();
});

describe('one row per request', () => {
  it('logs exactly one row per request under 2,000 concurrent requests', async () => {
    // The upstream holds every request until all 2,000 are in flight at once, then answers them all.
    const N = 2000;
    const held: Array<() => void> = [];
    const gate = await startUpstream((req, res) => {
      req.resume();
      held.push(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
      if (held.length === N) for (const release of held) release();
    });
    const t = await startTestGateway(gate.url, { limits: { upstreamConnections: N } });
    const agent = new Agent({ connections: N });
    const fallback = setTimeout(() => held.forEach((release) => release()), 20_000);
    try {
      const ids = Array.from({ length: N }, (_, i) => `conc-${i}`);
      const statuses = await Promise.all(
        ids.map(async (id) => {
          const r = await request(`${t.gw.url}/c/${id}`, { dispatcher: agent, headers: { 'x-request-id': id } });
          await r.body.text();
          return r.statusCode;
        }),
      );
      expect(statuses.every((s) => s === 200)).toBe(true);
      expect(held.length).toBe(N); // all were in flight together before any was answered
      await t.close();
      const rows = readRows(t.dbPath);
      expect(rows).toHaveLength(N);
      expect(new Set(rows.map((r) => r.request_id))).toEqual(new Set(ids));
      const s = t.gw.stats();
      expect(s.totals.requests).toBe(N);
      expect(s.telemetry).toMatchObject({ written: N, dropped: 0, failures: 0, queued: 0 });
    } finally {
      clearTimeout(fallback);
      await agent.close();
      await t.dispose();
      await gate.close();
    }
  }, 60_000);
});

describe('graceful shutdown', () => {
  it('completes and logs requests that are in flight when close() is called; refuses new connections', async () => {
    delayMs = 300;
    const t = await startTestGateway(up.url);
    try {
      const pending = Array.from({ length: 50 }, (_, i) => send(t.gw.url, { path: `/drain/${i}`, headers: ['X-Request-ID', `drain-${i}`] }));
      await until(() => t.gw.stats().inFlight === 50);
      const closing = t.close();
      await new Promise((r) => setTimeout(r, 20));
      await expect(send(t.gw.url, { path: '/late' })).rejects.toThrow(/ECONNREFUSED/);
      const replies = await Promise.all(pending);
      expect(replies.map((r) => r.status)).toEqual(Array(50).fill(200));
      await closing;
      const rows = readRows(t.dbPath).filter((r) => r.request_id.startsWith('drain-'));
      expect(rows).toHaveLength(50);
      expect(rows.every((r) => r.status === 200 && r.reason === 'ok')).toBe(true);
    } finally {
      await t.dispose();
      delayMs = 0;
    }
  });

  it('cuts requests still running after limits.shutdownGraceMs, and still logs them', async () => {
    delayMs = 5_000;
    const t = await startTestGateway(up.url, { limits: { shutdownGraceMs: 100 } });
    try {
      const pending = send(t.gw.url, { path: '/stuck', headers: ['X-Request-ID', 'stuck-1'] }).catch((e: Error) => e);
      await until(() => t.gw.stats().inFlight === 1);
      const started = Date.now();
      await t.close();
      expect(Date.now() - started).toBeLessThan(2000);
      expect(await pending).toBeInstanceOf(Error);
      const rows = readRows(t.dbPath).filter((r) => r.request_id === 'stuck-1');
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 0, reason: 'client_abort' });
    } finally {
      await t.dispose();
      delayMs = 0;
    }
  });
});

describe('telemetry failures', () => {
  it('keeps proxying while writes fail, counts the failure in status, and recovers', async () => {
    const t = await startTestGateway(up.url);
    const other = openDb(t.dbPath);
    try {
      other.exec(`CREATE TRIGGER ph_fail BEFORE INSERT ON decisions BEGIN SELECT RAISE(ABORT, 'database or disk is full (simulated)'); END`);
      for (let i = 0; i < 20; i++) expect((await send(t.gw.url, { path: `/f/${i}` })).status).toBe(200);
      await until(() => t.gw.stats().telemetry.dropped === 20);
      const status = (await send(t.gw.url, { path: '/_pathhelm/status' })).json<{ telemetry: { failures: number; dropped: number; lastError: string } }>();
      expect(status.telemetry.failures).toBeGreaterThan(0);
      expect(status.telemetry.dropped).toBeGreaterThan(0);
      expect(status.telemetry.lastError).toMatch(/disk is full/);
      other.exec('DROP TRIGGER ph_fail');
      expect((await send(t.gw.url, { path: '/after', headers: ['X-Request-ID', 'after-recovery'] })).status).toBe(200);
      await t.close();
      const rows = readRows(t.dbPath);
      expect(rows.some((r) => r.request_id === 'after-recovery')).toBe(true);
      expect(rows.some((r) => r.path.startsWith('/f/'))).toBe(false);
      expect(t.gw.stats().telemetry.dropped).toBe(20);
    } finally {
      other.close();
      await t.dispose();
    }
  });

  it('keeps proxying when the database file is locked by another writer', async () => {
    const t = await startTestGateway(up.url);
    const other = openDb(t.dbPath);
    try {
      other.exec('BEGIN IMMEDIATE');
      const started = Date.now();
      for (let i = 0; i < 20; i++) expect((await send(t.gw.url, { path: `/l/${i}` })).status).toBe(200);
      await until(() => t.gw.stats().telemetry.failures > 0);
      expect(Date.now() - started).toBeLessThan(3000);
      // Locked (SQLITE_BUSY) rows stay queued and are written once the lock is gone.
      expect(t.gw.stats().telemetry.dropped).toBe(0);
      other.exec('COMMIT');
      await t.close();
      expect(readRows(t.dbPath).filter((r) => r.path.startsWith('/l/'))).toHaveLength(20);
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      await t.dispose();
    }
  });
});
