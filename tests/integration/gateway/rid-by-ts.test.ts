// The decision-log writers mark rows whose request id is a UUIDv7 minted from the row's ts (rid_by_ts = 1, not in the
// request-id index) and leave every other id indexed (NULL); traceRequest finds all of them (real SQLite files).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { uuidv7 } from '../../../src/gateway/request-id.js';
import { openDb, type Db } from '../../../src/telemetry/db.js';
import { traceRequest } from '../../../src/telemetry/queries.js';
import type { DecisionEvent } from '../../../src/telemetry/types.js';
import { createDecisionWriter, createThreadedDecisionWriter, type BatchWriter } from '../../../src/telemetry/writer.js';

const T = 1_700_000_000_000;

function event(ts: number, requestId: string, path = '/x'): DecisionEvent {
  return {
    ts, requestId, clientIp: '127.0.0.1', clientId: null, keyId: null, method: 'GET', path, status: 200, upstreamStatus: 200,
    decision: 'ALLOW', reason: 'ok', wouldDecision: null, mode: 'enforce', score: null, features: null, explain: null,
    latencyMs: 1.5, upstreamMs: 1, bytesIn: 0, bytesOut: 10,
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
  dir = mkdtempSync(join(tmpdir(), 'ph-ridts-'));
  db = openDb(join(dir, 'log.db'));
  return db;
}

const writers: Array<[string, (d: Db) => BatchWriter<DecisionEvent>]> = [
  ['in-thread writer', (d) => createDecisionWriter(d, { flushIntervalMs: 60_000 })],
  ['threaded writer', (d) => createThreadedDecisionWriter(d.name, { flushIntervalMs: 5, maxDelayMs: 10 })],
];

describe.each(writers)('%s: rid_by_ts', (_name, make) => {
  it('is 1 for a minted id, NULL for a client id and for a UUIDv7 of another ms; trace finds each', async () => {
    const d = open();
    const w = make(d);
    const minted = uuidv7(T);
    const otherMs = uuidv7(T - 250); // a client that sends a UUIDv7 minted elsewhere / earlier
    // noise in the same ms as the minted id (trace reads every row of that ms through the ts index)
    const noise = Array.from({ length: 50 }, () => uuidv7(T));
    for (const id of noise.slice(0, 25)) w.push(event(T, id, '/noise'));
    w.push(event(T, minted, '/minted'));
    for (const id of noise.slice(25)) w.push(event(T, id, '/noise'));
    w.push(event(T + 1, 'req-abc', '/client'));
    w.push(event(T + 2, otherMs, '/other-ms'));
    // the same minted id sent back later as an inbound X-Request-ID: a second row, not carrying its ts
    w.push(event(T + 3000, minted, '/reused'));
    await w.close();
    expect(w.stats()).toMatchObject({ written: 54, dropped: 0, failures: 0 });

    const flag = (id: string) =>
      (d.prepare('SELECT path, rid_by_ts AS f FROM decisions WHERE request_id = ? ORDER BY id').all(id) as Array<{ path: string; f: number | null }>)
        .map((r) => [r.path, r.f]);
    expect(flag(minted)).toEqual([['/minted', 1], ['/reused', null]]);
    expect(flag('req-abc')).toEqual([['/client', null]]);
    expect(flag(otherMs)).toEqual([['/other-ms', null]]);
    expect(d.prepare('SELECT count(*) FROM decisions WHERE rid_by_ts = 1').pluck().get()).toBe(51);
    expect(d.prepare('SELECT count(*) FROM decisions WHERE rid_by_ts IS NULL').pluck().get()).toBe(3);

    const ro = openDb(d.name, { readonly: true });
    try {
      const paths = (id: string) => traceRequest(ro, id).decisions.map((r) => [r.path, r.ts, r.requestId]);
      expect(paths(minted)).toEqual([['/minted', T, minted], ['/reused', T + 3000, minted]]); // ordered by ts
      expect(paths('req-abc')).toEqual([['/client', T + 1, 'req-abc']]);
      expect(paths(otherMs)).toEqual([['/other-ms', T + 2, otherMs]]);
      expect(paths(noise[7])).toEqual([['/noise', T, noise[7]]]);
      expect(paths(uuidv7(T))).toEqual([]); // same ms, never written
      expect(paths(minted.toUpperCase())).toEqual([]); // ids are case-sensitive, as before
      expect(paths('req-ab')).toEqual([]);
    } finally {
      ro.close();
    }
  });
});

describe.each(writers)('%s: requestIdMinted', (_name, make) => {
  it('true marks the row without reading the id, false keeps it indexed; a fractional ts is never marked; trace finds all', async () => {
    const d = open();
    const w = make(d);
    const minted = uuidv7(T);
    const echoed = uuidv7(T + 5); // a client sending back an id that happens to carry the row's ms
    const fractional = uuidv7(T + 7); // a fake clock with fractions: the id carries T + 7, the row T + 7.5
    w.push({ ...event(T, minted, '/minted'), requestIdMinted: true });
    w.push({ ...event(T + 5, echoed, '/echoed'), requestIdMinted: false });
    w.push({ ...event(T + 7.5, fractional, '/fractional'), requestIdMinted: true });
    await w.close();
    expect(w.stats()).toMatchObject({ written: 3, dropped: 0, failures: 0 });
    const rows = d.prepare('SELECT path, rid_by_ts AS f FROM decisions ORDER BY id').all() as Array<{ path: string; f: number | null }>;
    expect(rows.map((r) => [r.path, r.f])).toEqual([['/minted', 1], ['/echoed', null], ['/fractional', null]]);
    const ro = openDb(d.name, { readonly: true });
    try {
      expect(traceRequest(ro, minted).decisions.map((r) => r.path)).toEqual(['/minted']);
      expect(traceRequest(ro, echoed).decisions.map((r) => r.path)).toEqual(['/echoed']);
      expect(traceRequest(ro, fractional).decisions.map((r) => r.path)).toEqual(['/fractional']);
    } finally {
      ro.close();
    }
  });
});
