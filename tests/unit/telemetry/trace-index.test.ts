// Migration 7 and traceRequest's two index branches: rows written before the migration stay findable, a log
// not yet migrated can still be traced read-only, and neither branch scans the decisions table (query plans).
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { uuidv7 } from '../../../src/gateway/request-id.js';
import { migrate, openDb, type Db } from '../../../src/telemetry/db.js';
import { MIGRATIONS } from '../../../src/telemetry/migrations.js';
import { traceDecisionsQuery, traceRequest } from '../../../src/telemetry/queries.js';
import { createDecisionWriter } from '../../../src/telemetry/writer.js';
import { decision } from '../tui/fixtures.js';

const T = Date.parse('2026-11-21T07:00:00.000Z');

let dir = '';
const open: Db[] = [];
afterEach(() => {
  while (open.length) open.pop()!.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
});
const keep = (d: Db): Db => (open.push(d), d);
const tempFile = () => join((dir = mkdtempSync(join(tmpdir(), 'ph-trace-idx-'))), 'pathhelm.db');

/** A log at schema version 6 (before rid_by_ts), with rows inserted the way the old writer did. */
function v6Log(file: string, rows: Array<{ ts: number; requestId: string; path: string }>): void {
  const d = new Database(file);
  d.pragma('journal_mode = WAL');
  expect(migrate(d, MIGRATIONS.slice(0, 6))).toBe(6);
  const stmt = d.prepare(
    `INSERT INTO decisions (ts, request_id, client_ip, method, path, status, decision, reason, mode, latency_ms)
     VALUES (?, ?, '10.0.0.1', 'GET', ?, 200, 'ALLOW', 'ok', 'enforce', 1)`,
  );
  for (const r of rows) stmt.run(r.ts, r.requestId, r.path);
  d.close();
}

const plan = (d: Db, id: string): string[] => {
  const q = traceDecisionsQuery(d, id);
  return (d.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.params) as Array<{ detail: string }>).map((r) => r.detail);
};

describe('migration 7 (rid_by_ts) and traceRequest', () => {
  it('keeps rows written before the migration findable, and finds new rows of every kind', () => {
    const file = tempFile();
    const oldMinted = uuidv7(T); // minted by an old serve: rid_by_ts stays NULL, so it must stay indexed
    v6Log(file, [
      { ts: T, requestId: oldMinted, path: '/old-minted' },
      { ts: T + 1, requestId: 'old-client', path: '/old-client' },
    ]);

    // read-only on the unmigrated file (trace/top/report never migrate): the plain query still works
    const ro6 = keep(openDb(file, { readonly: true }));
    expect(ro6.pragma('user_version', { simple: true })).toBe(6);
    expect(traceRequest(ro6, oldMinted).decisions.map((r) => r.path)).toEqual(['/old-minted']);
    expect(traceRequest(ro6, 'old-client').decisions.map((r) => r.path)).toEqual(['/old-client']);
    ro6.close();
    open.pop();

    const d = keep(openDb(file)); // migration 7 runs here
    expect(d.pragma('user_version', { simple: true })).toBe(7);
    expect(d.prepare('SELECT count(*) FROM decisions WHERE rid_by_ts IS NULL').pluck().get()).toBe(2);
    const indexSql = d.prepare("SELECT sql FROM sqlite_master WHERE name = 'decisions_request_id'").pluck().get() as string;
    expect(indexSql).toMatch(/ON decisions \(request_id\) WHERE rid_by_ts IS NULL$/);

    const minted = uuidv7(T + 10);
    const otherMs = uuidv7(T + 5);
    const w = createDecisionWriter(d, { flushIntervalMs: 60_000 });
    w.push(decision({ ts: T + 10, requestId: minted, path: '/new-minted' }));
    w.push(decision({ ts: T + 11, requestId: 'req-abc', path: '/new-client' }));
    w.push(decision({ ts: T + 12, requestId: otherMs, path: '/new-other-ms' }));
    w.push(decision({ ts: T + 13, requestId: oldMinted, path: '/old-id-reused' })); // an old id sent back as X-Request-ID
    expect(w.flush()).toBe(4);
    void w.close();
    expect(d.prepare('SELECT request_id FROM decisions WHERE rid_by_ts = 1').pluck().all()).toEqual([minted]);

    const ro = keep(openDb(file, { readonly: true }));
    const paths = (id: string) => traceRequest(ro, id).decisions.map((r) => r.path);
    expect(paths(oldMinted)).toEqual(['/old-minted', '/old-id-reused']);
    expect(paths('old-client')).toEqual(['/old-client']);
    expect(paths(minted)).toEqual(['/new-minted']);
    expect(paths('req-abc')).toEqual(['/new-client']);
    expect(paths(otherMs)).toEqual(['/new-other-ms']);
    expect(paths(uuidv7(T + 10))).toEqual([]);
  });

  it('uses an index on both branches, never a scan of decisions', () => {
    const d = keep(openDb(tempFile()));
    const w = createDecisionWriter(d, { flushIntervalMs: 60_000 });
    for (let i = 0; i < 200; i++) w.push(decision({ ts: T + (i >> 2), requestId: i % 3 ? uuidv7(T + (i >> 2)) : `c-${i}` }));
    w.flush();
    void w.close();
    d.exec('ANALYZE'); // plans with statistics too, not just the planner's defaults

    const minted = plan(d, uuidv7(T + 3));
    expect(minted.join('\n')).toMatch(/SEARCH decisions USING INDEX decisions_ts_latency \(ts=\?\)/);
    expect(minted.join('\n')).toMatch(/SEARCH decisions USING INDEX decisions_request_id \(request_id=\?\)/);
    const client = plan(d, 'req-abc');
    expect(client.join('\n')).toMatch(/SEARCH decisions USING INDEX decisions_request_id \(request_id=\?\)/);
    expect(client.join('\n')).not.toMatch(/decisions_ts_latency/); // not a UUIDv7: one branch only
    for (const line of [...minted, ...client]) {
      expect(line, line).not.toMatch(/^SCAN decisions/);
      if (/ decisions\b/.test(line)) expect(line, line).toMatch(/^SEARCH decisions USING (COVERING )?INDEX /);
    }
  });
});
