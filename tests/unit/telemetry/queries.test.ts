// Tests the read queries behind top/trace: incremental reads by rowid, summary, client aggregates,
// rate buckets, client detail, trace, key names (api_keys) and active bans (bans), degrading when absent.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../../src/telemetry/db.js';
import {
  activeBans, clientAggregates, clientDetail, decisionsAfter, keyNames, lastDecisions, latestId, logSummary, rateBuckets, traceRequest,
} from '../../../src/telemetry/queries.js';
import { insertBackendEvents, insertDecisions, tempDb } from '../tui/fixtures.js';

const T0 = Date.parse('2026-11-21T07:00:00.000Z');

describe('decision log queries', () => {
  it('reads incrementally by rowid and summarises the log', () => {
    const { db, file } = tempDb();
    insertDecisions(db, [
      { ts: T0, clientIp: 'a', mode: 'monitor', wouldDecision: 'BLOCK' },
      { ts: T0 + 1, clientIp: 'b', decision: 'BLOCK', reason: 'denylist', status: 403 },
      { ts: T0 + 2, clientIp: 'a', decision: 'THROTTLE', reason: 'rate_limit_ip', status: 429, mode: 'enforce' },
    ]);
    const ro = openDb(file, { readonly: true });
    expect(latestId(ro)).toBe(3);
    expect(decisionsAfter(ro, 1, 10).map((r) => r.id)).toEqual([2, 3]);
    expect(decisionsAfter(ro, 0, 1)).toHaveLength(1);
    expect(decisionsAfter(ro, 0, 10)[0]).toMatchObject({ clientIp: 'a', mode: 'monitor', wouldDecision: 'BLOCK', decision: 'ALLOW' });
    expect(lastDecisions(ro, 2).map((r) => r.id)).toEqual([2, 3]);
    expect(logSummary(ro)).toEqual({ firstTs: T0, lastTs: T0 + 2, total: 3, byDecision: { ALLOW: 1, THROTTLE: 1, BLOCK: 1 }, countedSinceTs: T0, mode: 'enforce' });
    expect(logSummary(ro, 1).total).toBe(1);
    expect(logSummary(ro, 3, 1)).toMatchObject({ total: 2, byDecision: { ALLOW: 0, THROTTLE: 1, BLOCK: 1 }, countedSinceTs: T0 + 1, firstTs: T0 });
    expect(clientAggregates(ro, 0, 3, 10)).toEqual([
      { clientIp: 'a', keyId: null, requests: 2, throttled: 1, blocked: 0, maxScore: null, lastTs: T0 + 2 },
      { clientIp: 'b', keyId: null, requests: 1, throttled: 0, blocked: 1, maxScore: null, lastTs: T0 + 1 },
    ]);
    // a read-only connection sees rows written after it opened (WAL)
    insertDecisions(db, [{ ts: T0 + 3, clientIp: 'c' }]);
    expect(decisionsAfter(ro, 3, 10).map((r) => r.clientIp)).toEqual(['c']);
    ro.close();
  });

  it('counts requests per bucket', () => {
    const { db } = tempDb();
    insertDecisions(db, [T0, T0 + 10, T0 + 999, T0 + 1000, T0 + 2500, T0 + 5000].map((ts) => ({ ts })));
    expect(rateBuckets(db, T0, T0 + 3000, 1000)).toEqual([3, 1, 1]);
    expect(rateBuckets(db, T0, T0 + 3000, 1000, 1, 4)).toEqual([2, 1, 0]); // rowid range (1, 4]
  });

  it('builds a client detail: recent rows, reasons, latest features and refusal', () => {
    const { db } = tempDb();
    insertDecisions(db, [
      { ts: T0, clientIp: '10.0.0.9', keyId: 'k1', features: JSON.stringify({ rps: 1 }), score: 0.2 },
      { ts: T0 + 1, clientIp: '10.0.0.9', keyId: 'k1', decision: 'BLOCK', reason: 'anomaly', features: JSON.stringify({ rps: 9 }), score: 0.9, explain: JSON.stringify([{ feature: 'rps' }]) },
      { ts: T0 + 2, clientIp: '10.0.0.9', keyId: null },
      { ts: T0 + 3, clientIp: '10.0.0.8', keyId: 'k1' },
    ]);
    const d = clientDetail(db, '10.0.0.9', 'k1');
    expect(d.recent.map((r) => r.ts)).toEqual([T0, T0 + 1]);
    expect(d.reasons).toEqual([
      { decision: 'ALLOW', reason: 'ok', count: 1, lastTs: T0 },
      { decision: 'BLOCK', reason: 'anomaly', count: 1, lastTs: T0 + 1 },
    ]);
    expect(d.latestScored).toEqual({ ts: T0 + 1, score: 0.9, features: { rps: 9 }, explain: [{ feature: 'rps' }] });
    expect(d.latestRefused).toMatchObject({ decision: 'BLOCK', reason: 'anomaly', score: 0.9 });
    expect(d.latestExplained).toMatchObject({ ts: T0 + 1, reason: 'anomaly', explain: [{ feature: 'rps' }] });
    const keyless = clientDetail(db, '10.0.0.9', null);
    expect(keyless.recent).toHaveLength(1);
    expect(keyless.latestScored).toBeNull();
    expect(keyless.latestRefused).toBeNull();
    expect(keyless.latestExplained).toBeNull();
  });

  it('traces a request id across decisions and backend events', () => {
    const { db } = tempDb();
    insertDecisions(db, [{ ts: T0, requestId: 'x1', features: '{"rps":2}', explain: null }, { ts: T0, requestId: 'other' }]);
    insertBackendEvents(db, [{ ts: T0 + 1, requestId: 'x1', method: 'GET', path: '/api/items', status: 200, latencyMs: 3 }]);
    const t = traceRequest(db, 'x1');
    expect(t.decisions).toHaveLength(1);
    expect(t.decisions[0].features).toEqual({ rps: 2 });
    expect(t.backend).toHaveLength(1);
    expect(traceRequest(db, 'nope')).toEqual({ requestId: 'nope', decisions: [], backend: [] });
  });
});

describe('optional tables', () => {
  it('reads key names from api_keys and active bans from bans', () => {
    const { db } = tempDb();
    db.prepare(`INSERT INTO api_keys (id, name, hash, created_at) VALUES ('k1', 'mobile-app', x'00', 1), ('k2', 'batch', x'00', 1)`).run();
    const now = T0;
    db.prepare(`INSERT INTO bans (client_id, reason, created, expires, lifted) VALUES (?, 'anomaly', ?, ?, NULL)`).run('203.0.113.9', now - 10, now + 60_000);
    db.prepare(`INSERT INTO bans (client_id, reason, created, expires, lifted) VALUES (?, 'anomaly', ?, ?, NULL)`).run('198.51.100.1', now - 10, now - 1);
    db.prepare(`INSERT INTO bans (client_id, reason, created, expires, lifted) VALUES (?, 'anomaly', ?, ?, ?)`).run('k2', now - 10, now + 60_000, now - 5);
    expect(keyNames(db)).toEqual(new Map([['k1', 'mobile-app'], ['k2', 'batch']]));
    expect(activeBans(db, now)).toEqual(new Set(['203.0.113.9']));
  });

  it('degrades to nothing when the tables do not exist', () => {
    const db = new Database(':memory:');
    expect(keyNames(db)).toEqual(new Map());
    expect(activeBans(db, T0)).toEqual(new Set());
  });
});
