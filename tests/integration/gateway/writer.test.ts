// Batched decision-log writer against real SQLite: batching, overflow, failure counting, recovery.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../../src/telemetry/db.js';
import type { DecisionEvent } from '../../../src/telemetry/types.js';
import { createBackendEventWriter, createDecisionWriter, createThreadedBackendEventWriter, createThreadedDecisionWriter, multiRowSql } from '../../../src/telemetry/writer.js';

function event(i: number): DecisionEvent {
  return {
    ts: 1_700_000_000_000 + i, requestId: `req-${i}`, clientIp: '127.0.0.1', clientId: null, keyId: null,
    method: 'GET', path: '/x', status: 200, upstreamStatus: 200, decision: 'ALLOW', reason: 'ok',
    wouldDecision: null, mode: 'enforce', score: null, features: null, explain: null, latencyMs: 1.5,
    upstreamMs: 1, bytesIn: 0, bytesOut: 10,
  };
}

let dir: string;
let db: Db | null = null;
afterEach(() => {
  db?.close();
  db = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function open(): Db {
  dir = mkdtempSync(join(tmpdir(), 'ph-writer-'));
  db = openDb(join(dir, 'log.db'));
  return db;
}

const count = (d: Db, table = 'decisions') => (d.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('multiRowSql', () => {
  it('splits an INSERT with anonymous placeholders into head and row; refuses other shapes', () => {
    expect(multiRowSql('INSERT INTO t (a, b)\n  VALUES (?, ?)')).toEqual({ head: 'INSERT INTO t (a, b)\n  VALUES ', row: ['?', '?'] });
    expect(multiRowSql('INSERT INTO t (a, b) VALUES (@a, @b)')).toBeNull(); // a named one would repeat in every row
    expect(multiRowSql('INSERT INTO t SELECT * FROM u')).toBeNull();
    expect(multiRowSql('INSERT INTO t (a) VALUES (lower(?))')).toBeNull();
  });
});

describe('batched writer', () => {
  it('writes nothing on push and everything on flush, in batches', () => {
    const d = open();
    const w = createDecisionWriter(d, { flushIntervalMs: 60_000, batchSize: 7 });
    for (let i = 0; i < 100; i++) w.push(event(i));
    expect(count(d)).toBe(0);
    expect(w.stats().queued).toBe(100);
    expect(w.flush()).toBe(100);
    expect(count(d)).toBe(100);
    expect(w.stats()).toMatchObject({ written: 100, queued: 0, dropped: 0, failures: 0, lagMs: 0 });
    void w.close();
  });

  it('commits on its tick without flush', async () => {
    const d = open();
    const w = createDecisionWriter(d, { flushIntervalMs: 10 });
    w.push(event(1));
    for (let i = 0; i < 100 && count(d) === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(count(d)).toBe(1);
    await w.close();
  });

  it('drops and counts events beyond maxQueue', () => {
    const d = open();
    const w = createDecisionWriter(d, { flushIntervalMs: 60_000, maxQueue: 10 });
    for (let i = 0; i < 15; i++) w.push(event(i));
    expect(w.stats()).toMatchObject({ queued: 10, dropped: 5 });
    w.flush();
    expect(count(d)).toBe(10);
    void w.close();
  });

  it('counts a failing write, keeps going, and recovers', async () => {
    const d = open();
    const w = createDecisionWriter(d, { flushIntervalMs: 60_000 });
    d.exec(`CREATE TRIGGER fail BEFORE INSERT ON decisions BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END`);
    for (let i = 0; i < 5; i++) w.push(event(i));
    expect(() => w.flush()).not.toThrow();
    expect(w.stats()).toMatchObject({ written: 0, dropped: 5, failures: 1, queued: 0 });
    expect(w.stats().lastError).toMatch(/disk full/);
    d.exec('DROP TRIGGER fail');
    w.push(event(9));
    await w.close();
    expect(count(d)).toBe(1);
    expect(w.stats().written).toBe(1);
  });

  it('close() flushes what is queued', async () => {
    const d = open();
    const w = createDecisionWriter(d, { flushIntervalMs: 60_000 });
    for (let i = 0; i < 1234; i++) w.push(event(i));
    await w.close();
    expect(count(d)).toBe(1234);
  });

  it('writes backend events', async () => {
    const d = open();
    const w = createBackendEventWriter(d, { flushIntervalMs: 60_000 });
    w.push({ ts: 1, requestId: 'r1', method: 'GET', path: '/health', status: 200, latencyMs: 0.2 });
    await w.close();
    expect(d.prepare('SELECT request_id, path, status FROM backend_events').get()).toEqual({ request_id: 'r1', path: '/health', status: 200 });
  });
});

describe('threaded writer (what serve uses)', () => {
  const waitFor = async (fn: () => boolean) => {
    for (let i = 0; i < 300 && !fn(); i++) await new Promise((r) => setTimeout(r, 10));
  };

  it('commits on its worker thread and everything is there after close()', async () => {
    const d = open();
    const w = createThreadedDecisionWriter(d.name, { flushIntervalMs: 10, maxDelayMs: 20 });
    for (let i = 0; i < 3000; i++) w.push(event(i));
    await waitFor(() => w.stats().written === 3000);
    expect(count(d)).toBe(3000);
    for (let i = 3000; i < 3500; i++) w.push(event(i));
    await w.close();
    expect(count(d)).toBe(3500);
    expect(w.stats()).toMatchObject({ written: 3500, dropped: 0, failures: 0, queued: 0 });
    w.push(event(9999)); // too late: nothing will hand it over, so it is counted as dropped, not left queued
    expect(w.stats()).toMatchObject({ written: 3500, dropped: 1, queued: 0 });
    const row = d.prepare('SELECT * FROM decisions WHERE request_id = ?').get('req-7') as Record<string, unknown>;
    expect(row).toMatchObject({ ts: 1_700_000_000_007, client_ip: '127.0.0.1', status: 200, decision: 'ALLOW', latency_ms: 1.5, bytes_out: 10, key_id: null });
  });

  it('counts failed writes (dropped) and recovers', async () => {
    const d = open();
    const w = createThreadedDecisionWriter(d.name, { flushIntervalMs: 10, maxDelayMs: 10 });
    d.exec(`CREATE TRIGGER fail BEFORE INSERT ON decisions BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END`);
    for (let i = 0; i < 5; i++) w.push(event(i));
    await waitFor(() => w.stats().dropped === 5);
    expect(w.stats()).toMatchObject({ written: 0, dropped: 5 });
    expect(w.stats().failures).toBeGreaterThan(0);
    expect(w.stats().lastError).toMatch(/disk full/);
    d.exec('DROP TRIGGER fail');
    w.push(event(9));
    await w.close();
    expect(count(d)).toBe(1);
  });

  it('keeps rows while the file is locked and writes them once it is free', async () => {
    const d = open();
    const w = createThreadedDecisionWriter(d.name, { flushIntervalMs: 10, maxDelayMs: 10, busyTimeoutMs: 20 });
    d.exec('BEGIN IMMEDIATE');
    for (let i = 0; i < 10; i++) w.push(event(i));
    await waitFor(() => w.stats().failures > 0);
    expect(w.stats()).toMatchObject({ written: 0, dropped: 0, queued: 10 });
    d.exec('COMMIT');
    await w.close();
    expect(count(d)).toBe(10);
  });

  it('drops and counts beyond maxQueue', async () => {
    const d = open();
    const w = createThreadedDecisionWriter(d.name, { flushIntervalMs: 60_000, maxQueue: 10 });
    for (let i = 0; i < 15; i++) w.push(event(i));
    expect(w.stats()).toMatchObject({ queued: 10, dropped: 5 });
    await w.close();
    expect(count(d)).toBe(10);
  });

  it('round-trips repeated, changing and NULL text columns exactly (rows are sent as "same as above" when they repeat)', async () => {
    const d = open();
    const w = createThreadedDecisionWriter(d.name, { flushIntervalMs: 5, maxDelayMs: 10 });
    const paths = ['/a', '/a', '/b', '/b', '/a', '/é ü', '/é ü', '/a'];
    const keys = [null, null, 'ph_k1', 'ph_k1', null, 'ph_k2', 'ph_k1', 'ph_k1'];
    const sent: DecisionEvent[] = [];
    for (let i = 0; i < 3000; i++) {
      const ev = { ...event(i), path: paths[i % paths.length], keyId: keys[i % keys.length], clientId: keys[(i + 3) % keys.length],
        features: i % 5 < 3 ? 'set1|1,2,3' : i % 5 === 3 ? null : `set1|${i}`, reason: i % 7 === 0 ? 'rate_limit' : 'ok' };
      sent.push(ev);
      w.push(ev);
      // a malformed event (a getter that throws half-way through the row) is lost and counted, and does not shift
      // or corrupt the rows around it
      if (i === 1500) {
        const bad = { ...event(-1) } as DecisionEvent;
        Object.defineProperty(bad, 'reason', { get() { throw new Error('boom'); } });
        w.push(bad);
      }
      if (i % 700 === 0) await new Promise((r) => setTimeout(r, 15)); // several hand-overs, each starting fresh
    }
    await w.close();
    expect(w.stats()).toMatchObject({ written: 3000, dropped: 1 });
    expect(w.insertPaths().multiRow).toBeGreaterThan(2000); // rows go in 32 per statement where they can
    const rows = d.prepare('SELECT request_id, path, key_id, client_id, features, reason, method, mode FROM decisions ORDER BY id').all() as Array<Record<string, unknown>>;
    expect(rows.map((r) => [r.request_id, r.path, r.key_id, r.client_id, r.features, r.reason, r.method, r.mode]))
      .toEqual(sent.map((e) => [e.requestId, e.path, e.keyId, e.clientId, e.features, e.reason, 'GET', 'enforce']));
  });

  it('round-trips rows whose text columns are constant over runs of rows (bound once per 32-row statement) exactly', async () => {
    const d = open();
    const w = createThreadedDecisionWriter(d.name, { flushIntervalMs: 5, maxDelayMs: 10 });
    // Runs of 64 rows: in each run a seeded subset of the text columns keeps one value (sometimes NULL or non-ASCII),
    // the others change on every row, so the writer meets many different sets of shared columns (more than the
    // statements it keeps for them) and groups that straddle two runs.
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const sent: DecisionEvent[] = [];
    for (let run = 0; run < 90; run++) {
      const fixed = Array.from({ length: 8 }, () => rnd() < 0.5);
      const pick = <V extends string | null>(k: number, i: number, constant: V, varying: string): V | string => (fixed[k] ? constant : varying + i);
      for (let j = 0; j < 64; j++) {
        const i = run * 64 + j;
        const ev: DecisionEvent = {
          ...event(i),
          clientIp: pick(0, i, '10.0.0.' + run, '10.1.'),
          clientId: pick(1, i, run % 3 === 0 ? null : 'c' + run, 'cid'),
          keyId: pick(2, i, run % 4 === 0 ? null : 'ph_' + run, 'ph_k'),
          method: pick(3, i, 'GET', 'M'),
          path: pick(4, i, '/é/' + run, '/p/'),
          reason: pick(5, i, 'ok', 'r'),
          features: pick(6, i, run % 5 === 0 ? null : 'set|' + run, 'set|v'),
          explain: pick(7, i, null, '[]'),
        };
        sent.push(ev);
        w.push(ev);
      }
      if (run % 30 === 0) await new Promise((r) => setTimeout(r, 15));
    }
    await w.close();
    expect(w.stats()).toMatchObject({ written: sent.length, dropped: 0, failures: 0 });
    // most rows went through 32-row statements, some of them binding shared columns once
    const paths = w.insertPaths();
    expect(paths.multiRow).toBeGreaterThan(sent.length / 2);
    expect(paths.sharedBind).toBeGreaterThan(0);
    expect(paths.sharedBind).toBeLessThan(paths.multiRow);
    const rows = d.prepare('SELECT request_id, client_ip, client_id, key_id, method, path, reason, features, explain, mode, decision, would_decision FROM decisions ORDER BY id').all() as Array<Record<string, unknown>>;
    expect(rows.map((r) => Object.values(r))).toEqual(
      sent.map((e) => [e.requestId, e.clientIp, e.clientId, e.keyId, e.method, e.path, e.reason, e.features, e.explain, 'enforce', 'ALLOW', null]),
    );
  });

  it('writes backend events on a thread too', async () => {
    const d = open();
    const w = createThreadedBackendEventWriter(d.name, { flushIntervalMs: 10 });
    for (let i = 0; i < 40; i++) w.push({ ts: i, requestId: `b${i}`, method: 'GET', path: '/api/items/1', status: 200, latencyMs: 0.3 });
    w.push({ ts: 99, requestId: null, method: 'POST', path: '/api/login', status: 403, latencyMs: 0.1 });
    await w.close();
    expect(count(d, 'backend_events')).toBe(41);
    expect(d.prepare('SELECT request_id, method, status FROM backend_events WHERE ts = 99').get()).toEqual({ request_id: null, method: 'POST', status: 403 });
  });
});
