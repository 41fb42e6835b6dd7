// Tests analytics(): totals, reasons, top clients/paths, exact nearest-rank percentiles (both the
// in-memory and the index path), anomalies, time ranges; and parseSince.
import { describe, expect, it } from 'vitest';
import { analytics, parseSince, rankOffset } from '../../../src/telemetry/analytics.js';
import { PathHelmError } from '../../../src/errors.js';
import { insertDecisions, tempDb } from '../tui/fixtures.js';

const T0 = Date.parse('2026-11-21T07:00:00Z');

describe('analytics', () => {
  it('counts decisions, reasons, clients and paths in the range', () => {
    const { db } = tempDb();
    insertDecisions(db, [
      ...Array.from({ length: 6 }, (_, i) => ({ ts: T0 + i, clientIp: '10.0.0.1', keyId: 'k1', latencyMs: i + 1 })),
      { ts: T0 + 10, clientIp: '10.0.0.2', decision: 'THROTTLE', reason: 'rate_limit_ip', status: 429, upstreamMs: null, latencyMs: 7 },
      { ts: T0 + 11, clientIp: '10.0.0.2', decision: 'BLOCK', reason: 'anomaly', status: 403, upstreamMs: null, latencyMs: 8,
        score: 0.91, explain: JSON.stringify([{ feature: 'paths_404_ratio', share: 0.7 }]), path: '/login' },
      { ts: T0 + 12, clientIp: '10.0.0.3', decision: 'BLOCK', reason: 'auth_missing', status: 401, upstreamMs: null, latencyMs: 9, path: '/login' },
      { ts: T0 + 13, clientIp: '10.0.0.3', latencyMs: 10, score: 0.4 },
      { ts: T0 + 100_000, clientIp: '10.9.9.9', latencyMs: 1000 }, // outside the range below
    ]);
    const a = analytics(db, { since: T0, until: T0 + 1000 });
    expect(a.since).toBe(T0);
    expect(a.until).toBe(T0 + 1000);
    expect(a.total).toBe(10);
    expect(a.byDecision).toEqual({ ALLOW: 7, THROTTLE: 1, BLOCK: 2 });
    expect(a.byReason[0]).toEqual({ reason: 'ok', decision: 'ALLOW', count: 7 });
    expect(a.byReason).toContainEqual({ reason: 'anomaly', decision: 'BLOCK', count: 1 });
    expect(a.topClients[0]).toEqual({ clientIp: '10.0.0.1', keyId: 'k1', requests: 6, throttled: 0, blocked: 0, maxScore: null });
    expect(a.topClients).toContainEqual({ clientIp: '10.0.0.2', keyId: null, requests: 2, throttled: 1, blocked: 1, maxScore: 0.91 });
    expect(a.topPaths[0]).toEqual({ path: '/api/items', requests: 8, throttled: 1, blocked: 0 });
    expect(a.topPaths[1]).toEqual({ path: '/login', requests: 2, throttled: 0, blocked: 2 });
    // latencies 1..10: nearest rank p50 = 5, p90 = 9, p99 = 10, max 10
    expect(a.latency).toEqual({ p50: 5, p90: 9, p99: 10, max: 10 });
    // upstream 0.5 on the 7 forwarded rows
    expect(a.upstreamLatency).toEqual({ p50: 0.5, p99: 0.5 });
    expect(a.anomalies).toHaveLength(1);
    expect(a.anomalies[0]).toMatchObject({ clientIp: '10.0.0.2', score: 0.91, reason: 'anomaly' });
    expect(a.anomalies[0].explain).toEqual([{ feature: 'paths_404_ratio', share: 0.7 }]);

    const all = analytics(db, { now: T0 + 10_000_000 });
    expect(all.since).toBeNull();
    expect(all.total).toBe(11);
    expect(all.latency.max).toBe(1000);
  });

  it('returns nulls and zeros on an empty range', () => {
    const { db } = tempDb();
    const a = analytics(db, { since: T0, until: T0 + 1 });
    expect(a.total).toBe(0);
    expect(a.latency).toEqual({ p50: null, p90: null, p99: null, max: null });
    expect(a.upstreamLatency).toEqual({ p50: null, p99: null });
    expect(a.topClients).toEqual([]);
  });

  it('gives the same exact percentiles on the index path for large ranges', () => {
    const { db } = tempDb();
    const n = 210_000; // above the in-memory bound
    const rows = [];
    for (let i = 0; i < n; i++) rows.push({ ts: T0 + (i % 1000), latencyMs: ((i * 7919) % n) + 1, upstreamMs: i % 2 ? null : i });
    insertDecisions(db, rows);
    const a = analytics(db, { since: T0, until: T0 + 1000 });
    expect(a.total).toBe(n);
    expect(a.latency.p50).toBe(Math.ceil(0.5 * n));
    expect(a.latency.p90).toBe(Math.ceil(0.9 * n));
    expect(a.latency.p99).toBe(Math.ceil(0.99 * n));
    expect(a.latency.max).toBe(n);
    // upstream values 0, 2, 4, ... (n/2 of them)
    const m = n / 2;
    expect(a.upstreamLatency.p50).toBe(2 * (Math.ceil(0.5 * m) - 1));
  }, 60_000);

  it('reads latencies from the append-only covering index (migration 5), not random-key ones', () => {
    const { db } = tempDb();
    const names = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'decisions'`).pluck().all() as string[]);
    expect(names).toContain('decisions_ts_latency');
    expect(names).toContain('decisions_anomaly');
    expect(names).not.toContain('decisions_latency_ts');
    expect(names).not.toContain('decisions_upstream_ts');
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN SELECT latency_ms FROM decisions INDEXED BY decisions_ts_latency WHERE ts >= 0 AND ts <= 1 AND latency_ms IS NOT NULL`)
      .all() as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/COVERING INDEX decisions_ts_latency/);
  });

  it('rankOffset is nearest-rank', () => {
    expect(rankOffset(0.5, 10)).toBe(4);
    expect(rankOffset(0.99, 10)).toBe(9);
    expect(rankOffset(1, 3)).toBe(2);
    expect(rankOffset(0.5, 1)).toBe(0);
  });
});

describe('parseSince', () => {
  const now = Date.parse('2026-11-21T08:00:00Z');
  it('parses durations, ISO dates and epoch ms', () => {
    expect(parseSince('15m', now)).toBe(now - 15 * 60_000);
    expect(parseSince('1h', now)).toBe(now - 3_600_000);
    expect(parseSince('2d', now)).toBe(now - 2 * 86_400_000);
    expect(parseSince('1h30m', now)).toBe(now - 90 * 60_000);
    expect(parseSince('500ms', now)).toBe(now - 500);
    expect(parseSince('2026-11-21T07:00:00Z', now)).toBe(Date.parse('2026-11-21T07:00:00Z'));
    expect(parseSince('1763708400000', now)).toBe(1763708400000);
  });
  it('rejects anything else with a usage error', () => {
    for (const bad of ['', 'yesterday', '15', '-5m', '2026-13-45']) {
      expect(() => parseSince(bad, now)).toThrow(PathHelmError);
    }
    expect(() => parseSince('soon', now)).toThrow(/--since must be a duration/);
  });
});
