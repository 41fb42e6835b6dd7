// Owns test fixtures for the decision log readers (top, report, trace): a temp db and row inserts.
//
// Example:
//   const { db, file } = tempDb();
//   insertDecisions(db, [{ clientIp: '10.0.0.1', decision: 'BLOCK', reason: 'denylist' }]);
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../../../src/telemetry/db.js';
import type { BackendEvent, DecisionEvent } from '../../../src/telemetry/types.js';

export function tempDb(): { db: Db; file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pathhelm-top-'));
  const file = join(dir, 'pathhelm.db');
  return { db: openDb(file), file, dir };
}

let seq = 0;

export function decision(over: Partial<DecisionEvent> = {}): DecisionEvent {
  seq++;
  return {
    ts: Date.now(),
    requestId: `req-${seq}`,
    clientIp: '127.0.0.1',
    clientId: null,
    keyId: null,
    method: 'GET',
    path: '/api/items',
    status: 200,
    upstreamStatus: 200,
    decision: 'ALLOW',
    reason: 'ok',
    wouldDecision: null,
    mode: 'enforce',
    score: null,
    features: null,
    explain: null,
    latencyMs: 1,
    upstreamMs: 0.5,
    bytesIn: 0,
    bytesOut: 100,
    ...over,
  };
}

export function insertDecisions(db: Db, rows: Array<Partial<DecisionEvent>>): void {
  const stmt = db.prepare(
    `INSERT INTO decisions (ts, request_id, client_ip, client_id, key_id, method, path, status, upstream_status,
       decision, reason, would_decision, mode, score, features, explain, latency_ms, upstream_ms, bytes_in, bytes_out)
     VALUES (@ts, @requestId, @clientIp, @clientId, @keyId, @method, @path, @status, @upstreamStatus,
       @decision, @reason, @wouldDecision, @mode, @score, @features, @explain, @latencyMs, @upstreamMs, @bytesIn, @bytesOut)`,
  );
  db.transaction(() => {
    for (const r of rows) stmt.run(decision(r));
  })();
}

export function insertBackendEvents(db: Db, rows: BackendEvent[]): void {
  const stmt = db.prepare(
    `INSERT INTO backend_events (ts, request_id, method, path, status, latency_ms)
     VALUES (@ts, @requestId, @method, @path, @status, @latencyMs)`,
  );
  db.transaction(() => {
    for (const r of rows) stmt.run(r);
  })();
}
