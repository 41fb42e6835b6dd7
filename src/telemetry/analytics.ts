// Owns the decision-log analytics shared by `pathhelm report` and `/_pathhelm/analytics`:
// totals by decision and reason, top clients and paths, latency percentiles, anomalies.
//
// Example:
//   const db = openDb('.pathhelm/pathhelm.db', { readonly: true });
//   const a = analytics(db, { since: parseSince('1h'), limit: 10 });
//   a.byDecision.BLOCK;   // 42
//   a.latency.p99;        // 8.4 (ms)
//
// Choices:
// - Time range is inclusive on both ends: since <= ts <= until (epoch ms). `until` defaults to now.
// - Percentiles are exact, nearest-rank: the value at rank ceil(p * n) in ascending order. They read
//   the append-only covering index (ts, latency_ms, upstream_ms) of migration 5, never the fat rows.
//   Small ranges are read once and sorted in memory; large ranges are bucketed by SQLite first and
//   only the buckets holding the wanted ranks are read and sorted.
// - Cost: the group-bys (reasons, clients, paths) scan the rows in the range, so the time grows with
//   the range (a few seconds per few million rows on a busy 2-core machine); callers serving HTTP
//   should pass a `since` window.
// - A "client" in topClients is a (client_ip, key_id) pair: one address with two keys shows twice.
// - Anomalies are the decisions that carry an explanation (the gateway writes `explain` only when
//   the anomaly score drove the decision), highest score first.

import { PathHelmError } from '../errors.js';
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import type { ClientAggregate } from './queries.js';

export interface AnalyticsOptions {
  /** Epoch ms, inclusive; default: all of the log. */
  since?: number;
  /** Epoch ms, inclusive; default: now. */
  until?: number;
  /** Top N for clients, paths, reasons and anomalies (default 10). */
  limit?: number;
  /** Clock for the default `until` (tests). */
  now?: number;
}

export interface Analytics {
  since: number | null;
  until: number;
  total: number;
  byDecision: { ALLOW: number; THROTTLE: number; BLOCK: number };
  byReason: Array<{ reason: string; decision: string; count: number }>;
  topClients: Array<Omit<ClientAggregate, 'lastTs'>>;
  topPaths: Array<{ path: string; requests: number; throttled: number; blocked: number }>;
  /** Gateway latency (latency_ms), ms. */
  latency: { p50: number | null; p90: number | null; p99: number | null; max: number | null };
  /** Backend latency (upstream_ms) of forwarded requests, ms. */
  upstreamLatency: { p50: number | null; p99: number | null };
  anomalies: Array<{ requestId: string; ts: number; clientIp: string; score: number; reason: string; explain: unknown }>;
}

/** Ranges with at most this many rows are percentiled in memory (one read, one typed-array sort). */
const IN_MEMORY_MAX = 200_000;

/**
 * Computes the analytics for a time range of the decision log.
 *
 * Example: `analytics(db, { since: Date.now() - 3_600_000 }).topClients[0].clientIp`
 */
export function analytics(db: Db, opts: AnalyticsOptions = {}): Analytics {
  // One read transaction: every number comes from the same snapshot while `serve` keeps writing.
  return db.transaction(() => compute(db, opts))();
}

function compute(db: Db, opts: AnalyticsOptions): Analytics {
  const since = opts.since ?? null;
  const until = opts.until ?? opts.now ?? Date.now();
  const limit = Math.max(1, Math.floor(opts.limit ?? 10));
  const lo = since ?? Number.MIN_SAFE_INTEGER;
  const range = { lo, hi: until };

  const byDecision = { ALLOW: 0, THROTTLE: 0, BLOCK: 0 };
  let total = 0;
  const reasons = db
    .prepare(
      `SELECT reason, decision, COUNT(*) AS count, COUNT(upstream_ms) AS forwarded FROM decisions
       WHERE ts >= @lo AND ts <= @hi GROUP BY reason, decision`,
    )
    .all(range) as Array<{ reason: string; decision: string; count: number; forwarded?: number }>;
  let upstreamCount = 0;
  for (const r of reasons) {
    total += r.count;
    upstreamCount += r.forwarded ?? 0;
    delete r.forwarded;
    if (r.decision === 'ALLOW' || r.decision === 'THROTTLE' || r.decision === 'BLOCK') byDecision[r.decision] += r.count;
  }
  reasons.sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason) || a.decision.localeCompare(b.decision));
  const byReason = reasons.slice(0, Math.max(limit, 20));

  const topClients = (
    db
      .prepare(
        `SELECT client_ip AS clientIp, key_id AS keyId, COUNT(*) AS requests,
                SUM(decision = 'THROTTLE') AS throttled, SUM(decision = 'BLOCK') AS blocked,
                MAX(score) AS maxScore
         FROM decisions WHERE ts >= @lo AND ts <= @hi
         GROUP BY client_ip, key_id ORDER BY requests DESC, clientIp ASC LIMIT @limit`,
      )
      .all({ ...range, limit }) as Analytics['topClients']
  ).map((c) => ({ ...c, keyId: c.keyId ?? null, maxScore: c.maxScore ?? null }));

  const topPaths = db
    .prepare(
      `SELECT path, COUNT(*) AS requests, SUM(decision = 'THROTTLE') AS throttled, SUM(decision = 'BLOCK') AS blocked
       FROM decisions WHERE ts >= @lo AND ts <= @hi
       GROUP BY path ORDER BY requests DESC, path ASC LIMIT @limit`,
    )
    .all({ ...range, limit }) as Analytics['topPaths'];

  const lat = percentiles(db, 'latency_ms', range, total, [0.5, 0.9, 0.99, 1]);
  const up = percentiles(db, 'upstream_ms', range, upstreamCount, [0.5, 0.99]);

  const anomalies = (
    db
      .prepare(
        `SELECT request_id AS requestId, ts, client_ip AS clientIp, score, reason, explain
         FROM decisions ${hasIndex(db, 'decisions_anomaly') ? 'INDEXED BY decisions_anomaly' : ''}
         WHERE explain IS NOT NULL AND score IS NOT NULL AND ts >= @lo AND ts <= @hi
         ORDER BY score DESC, ts DESC LIMIT @limit`,
      )
      .all({ ...range, limit }) as Array<{ requestId: string; ts: number; clientIp: string; score: number; reason: string; explain: string }>
  ).map((a) => ({ ...a, explain: parseJson(a.explain) }));

  return {
    since,
    until,
    total,
    byDecision,
    byReason,
    topClients,
    topPaths,
    latency: { p50: lat[0], p90: lat[1], p99: lat[2], max: lat[3] },
    upstreamLatency: { p50: up[0], p99: up[1] },
    anomalies,
  };
}

/** Nearest-rank rank (0-based offset) of quantile q among n sorted values. */
export function rankOffset(q: number, n: number): number {
  return Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
}

/**
 * Bucket of a latency in SQL: 0.1 ms wide below 100 ms, 1 ms wide above. The same expression groups and
 * later selects a bucket's rows, so float rounding can never put a row in two buckets.
 */
function bucketExpr(column: string): string {
  return `(CASE WHEN ${column} < 100 THEN CAST(${column} * 10 AS INTEGER) ELSE 1000 + CAST(${column} AS INTEGER) END)`;
}

/** Exact nearest-rank percentiles of a non-null numeric column over a ts range; null when empty. */
function percentiles(
  db: Db,
  column: 'latency_ms' | 'upstream_ms',
  range: { lo: number; hi: number },
  n: number,
  qs: number[],
): Array<number | null> {
  if (n === 0) return qs.map(() => null);
  const index = hasIndex(db, 'decisions_ts_latency') ? 'INDEXED BY decisions_ts_latency' : '';
  const where = `ts >= @lo AND ts <= @hi AND ${column} IS NOT NULL`;
  if (n <= IN_MEMORY_MAX) {
    const values = readValues(db.prepare(`SELECT ${column} FROM decisions ${index} WHERE ${where}`).pluck(), range, n);
    return values.length === 0 ? qs.map(() => null) : qs.map((q) => values[rankOffset(q, values.length)]);
  }
  // Large ranges: a histogram in SQLite (one index-only pass, no sort), then only the rows of the
  // buckets that hold the wanted ranks are read and sorted. Exact, and memory stays small.
  const hist = db
    .prepare(`SELECT ${bucketExpr(column)} AS b, COUNT(*) AS n FROM decisions ${index} WHERE ${where} GROUP BY b ORDER BY b`)
    .raw()
    .all(range) as Array<[number, number]>;
  let total = 0;
  for (const [, c] of hist) total += c;
  const wanted = qs.map((q) => {
    const rank = rankOffset(q, total);
    let below = 0;
    for (const [b, c] of hist) {
      if (rank < below + c) return { bucket: b, offset: rank - below };
      below += c;
    }
    return null;
  });
  const inBucket = db.prepare(`SELECT ${column} FROM decisions ${index} WHERE ${where} AND ${bucketExpr(column)} = @b`).pluck();
  const cache = new Map<number, Float64Array>();
  return wanted.map((w) => {
    if (!w) return null;
    let values = cache.get(w.bucket);
    if (!values) {
      const count = hist.find(([b]) => b === w.bucket)![1];
      values = readValues(inBucket, { ...range, b: w.bucket }, count);
      cache.set(w.bucket, values);
    }
    return values[Math.min(w.offset, values.length - 1)] ?? null;
  });
}

/** Reads up to `max` numbers from a plucked statement into a sorted Float64Array. */
function readValues(stmt: Statement, params: Record<string, number>, max: number): Float64Array {
  const values = new Float64Array(max);
  let i = 0;
  for (const v of stmt.iterate(params) as Iterable<number>) {
    if (i === max) break;
    values[i++] = v;
  }
  return values.subarray(0, i).sort();
}

function hasIndex(db: Db, name: string): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?`).get(name) !== undefined;
}

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * Parses a `--since` value into epoch ms: a duration back from `now` ('90s', '15m', '1h', '2d', '1w',
 * '1h30m'), an ISO date ('2026-11-21', '2026-11-21T07:00:00Z') or epoch ms ('1763708400000').
 *
 * Example: `parseSince('15m', Date.parse('2026-01-01T00:15:00Z')) === Date.parse('2026-01-01T00:00:00Z')`
 */
export function parseSince(text: string, now: number = Date.now()): number {
  const s = String(text).trim();
  if (/^\d{10,}$/.test(s)) return Number(s);
  const dur = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/i;
  if (dur.test(s)) {
    let total = 0;
    for (const m of s.toLowerCase().matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) total += Number(m[1]) * UNIT_MS[m[2]];
    return now - Math.round(total);
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) {
    const t = Date.parse(s);
    if (Number.isFinite(t)) return t;
  }
  throw new PathHelmError(
    'PH_ERR_USAGE',
    `--since must be a duration like 15m, 1h, 2d, an ISO date like 2026-11-21T07:00:00Z, or epoch ms; got "${text}"`,
  );
}
