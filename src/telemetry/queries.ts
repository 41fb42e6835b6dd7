// Owns the read queries over the decision log used by `top` and `trace`: incremental reads by
// rowid, seeds for the live aggregates, client detail, request trace, key names and bans.
// All of them work on a read-only connection and degrade when optional tables are absent.
//
// Example:
//   const db = openDb(file, { readonly: true });
//   let after = latestId(db);
//   const rows = decisionsAfter(db, after, 5000);   // new rows since the last poll
//   if (rows.length) after = rows[rows.length - 1].id;
//   traceRequest(db, 'req-123');                    // { decisions: [...], backend: [...] }

import { uuidv7Ms } from '../gateway/request-id.js';
import type { Db } from './db.js';
import { decodeFeatures } from './features-codec.js';
import type { BackendEvent } from './types.js';

/** One decision as `top` shows it (no feature JSON: that is read on demand for a client's detail). */
export interface FeedRow {
  id: number;
  ts: number;
  requestId: string;
  clientIp: string;
  keyId: string | null;
  method: string;
  path: string;
  status: number;
  decision: 'ALLOW' | 'THROTTLE' | 'BLOCK';
  reason: string;
  wouldDecision: 'ALLOW' | 'THROTTLE' | 'BLOCK' | null;
  mode: string;
  score: number | null;
  latencyMs: number;
}

const FEED_COLUMNS = `id, ts, request_id AS requestId, client_ip AS clientIp, key_id AS keyId, method, path, status,
  decision, reason, would_decision AS wouldDecision, mode, score, latency_ms AS latencyMs`;

/** Highest rowid in the log (0 when empty). Example: `latestId(db)` → 18234 */
export function latestId(db: Db): number {
  return (db.prepare('SELECT MAX(id) FROM decisions').pluck().get() as number | null) ?? 0;
}

/** Rows with rowid > afterId in rowid order, at most `limit`. Example: `decisionsAfter(db, 100, 5000)` */
export function decisionsAfter(db: Db, afterId: number, limit: number): FeedRow[] {
  return db
    .prepare(`SELECT ${FEED_COLUMNS} FROM decisions WHERE id > ? ORDER BY id LIMIT ?`)
    .all(afterId, limit) as FeedRow[];
}

/** The last `n` rows up to and including rowid `uptoId`, oldest first. Example: `lastDecisions(db, 50)` */
export function lastDecisions(db: Db, n: number, uptoId: number = Number.MAX_SAFE_INTEGER): FeedRow[] {
  const rows = db
    .prepare(`SELECT ${FEED_COLUMNS} FROM decisions WHERE id <= ? ORDER BY id DESC LIMIT ?`)
    .all(uptoId, n) as FeedRow[];
  return rows.reverse();
}

export interface LogSummary {
  firstTs: number | null;
  lastTs: number | null;
  /** Rows counted below: those with fromId < rowid <= uptoId. */
  total: number;
  byDecision: { ALLOW: number; THROTTLE: number; BLOCK: number };
  /** Timestamp of the first counted row (null when none). */
  countedSinceTs: number | null;
  /** Mode of the newest row (what the gateway runs in now), null when empty. */
  mode: string | null;
}

/**
 * Counts by decision over the rowid range (fromId, uptoId] plus the log's first/last timestamps.
 * Everything here is an index or rowid-range read, so it stays cheap however large the log is.
 */
export function logSummary(db: Db, uptoId: number = Number.MAX_SAFE_INTEGER, fromId = 0): LogSummary {
  const byDecision = { ALLOW: 0, THROTTLE: 0, BLOCK: 0 };
  let total = 0;
  for (const r of db
    .prepare('SELECT decision, COUNT(*) AS n FROM decisions WHERE id > ? AND id <= ? GROUP BY decision')
    .all(fromId, uptoId) as Array<{ decision: keyof typeof byDecision; n: number }>) {
    if (r.decision in byDecision) byDecision[r.decision] += r.n;
    total += r.n;
  }
  const firstTs = (db.prepare('SELECT MIN(ts) FROM decisions').pluck().get() as number | null) ?? null;
  const lastTs = (db.prepare('SELECT MAX(ts) FROM decisions').pluck().get() as number | null) ?? null;
  const countedSinceTs = (db.prepare('SELECT ts FROM decisions WHERE id > ? ORDER BY id LIMIT 1').pluck().get(fromId) as number | undefined) ?? null;
  const last = db.prepare('SELECT mode FROM decisions ORDER BY id DESC LIMIT 1').get() as { mode: string } | undefined;
  return { firstTs, lastTs, total, byDecision, countedSinceTs, mode: last?.mode ?? null };
}

export interface ClientAggregate {
  clientIp: string;
  keyId: string | null;
  requests: number;
  throttled: number;
  blocked: number;
  maxScore: number | null;
  lastTs: number;
}

/** Per-(client_ip, key_id) aggregates over rows fromId < rowid <= uptoId, busiest first (a rowid range is cheap). */
export function clientAggregates(db: Db, fromId: number, uptoId: number, limit: number): ClientAggregate[] {
  return db
    .prepare(
      `SELECT client_ip AS clientIp, key_id AS keyId, COUNT(*) AS requests,
              SUM(decision = 'THROTTLE') AS throttled, SUM(decision = 'BLOCK') AS blocked,
              MAX(score) AS maxScore, MAX(ts) AS lastTs
       FROM decisions WHERE id > ? AND id <= ?
       GROUP BY client_ip, key_id ORDER BY requests DESC LIMIT ?`,
    )
    .all(fromId, uptoId, limit) as ClientAggregate[];
}

/**
 * Requests per bucket for [since, until) among rows fromId < rowid <= uptoId: counts[i] covers
 * since + i*bucketMs. Example: `rateBuckets(db, now - 60_000, now, 1000)` → 60 per-second counts.
 */
export function rateBuckets(
  db: Db,
  since: number,
  until: number,
  bucketMs: number,
  fromId = 0,
  uptoId = Number.MAX_SAFE_INTEGER,
): number[] {
  const n = Math.max(0, Math.ceil((until - since) / bucketMs));
  const counts = new Array<number>(n).fill(0);
  const rows = db
    .prepare(
      `SELECT (ts - @since) / @bucket AS b, COUNT(*) AS n FROM decisions
       WHERE id > @from AND id <= @upto AND ts >= @since AND ts < @until GROUP BY b`,
    )
    .all({ since, until, bucket: bucketMs, from: fromId, upto: uptoId }) as Array<{ b: number; n: number }>;
  for (const r of rows) {
    const i = Math.floor(r.b);
    if (i >= 0 && i < n) counts[i] += r.n;
  }
  return counts;
}

function tableColumns(db: Db, table: string): string[] {
  try {
    return (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name);
  } catch {
    return [];
  }
}

function pick(columns: string[], candidates: string[]): string | null {
  for (const c of candidates) if (columns.includes(c)) return c;
  return null;
}

/** Key id → name from the `api_keys` table when it exists (empty map otherwise). */
export function keyNames(db: Db): Map<string, string> {
  const cols = tableColumns(db, 'api_keys');
  const id = pick(cols, ['key_id', 'id']);
  const name = pick(cols, ['name', 'label']);
  const out = new Map<string, string>();
  if (!id || !name) return out;
  try {
    for (const r of db.prepare(`SELECT ${id} AS id, ${name} AS name FROM api_keys`).all() as Array<{ id: unknown; name: unknown }>) {
      if (r.id !== null && r.name !== null) out.set(String(r.id), String(r.name));
    }
  } catch {
    /* a table we do not understand: no names */
  }
  return out;
}

/**
 * Clients (ip, key id or client id) under an active ban at `now`, from a `bans` table when it exists.
 * The bans table belongs to a later issue, so its columns are discovered, not assumed.
 */
export function activeBans(db: Db, now: number): Set<string> {
  const cols = tableColumns(db, 'bans');
  const who = pick(cols, ['client_id', 'client_ip', 'client', 'subject', 'ip', 'target']);
  const until = pick(cols, ['until', 'expires_at', 'expires', 'ends_at', 'until_ts', 'expires_ts']);
  const out = new Set<string>();
  if (!who) return out;
  const lifted = pick(cols, ['lifted_at', 'revoked_at', 'lifted']);
  try {
    const where = [until ? `(${until} IS NULL OR ${until} > @now)` : '1', lifted ? `${lifted} IS NULL OR ${lifted} = 0` : '1'];
    for (const r of db.prepare(`SELECT ${who} AS who FROM bans WHERE ${where.map((w) => `(${w})`).join(' AND ')}`).all({ now }) as Array<{ who: unknown }>) {
      if (r.who !== null) out.add(String(r.who));
    }
  } catch {
    /* unknown layout: nobody shown as banned */
  }
  return out;
}

export interface ClientDetail {
  clientIp: string;
  keyId: string | null;
  recent: FeedRow[];
  /** Decision/reason counts over the client's rows in the log (most frequent first). */
  reasons: Array<{ decision: string; reason: string; count: number; lastTs: number }>;
  /** Feature values of the client's latest scored request, with its score and explanation. */
  latestScored: { ts: number; score: number | null; features: Record<string, number>; explain: unknown } | null;
  /** Latest request that was throttled or blocked, with its explanation. */
  latestRefused: { ts: number; decision: string; reason: string; score: number | null; explain: unknown } | null;
  /** Latest request that carries an anomaly explanation (any decision: monitor mode allows them). */
  latestExplained: { ts: number; decision: string; reason: string; score: number | null; explain: unknown } | null;
}

/** Everything `top` shows for one client. Example: `clientDetail(db, '10.0.0.7', null)` */
export function clientDetail(db: Db, clientIp: string, keyId: string | null, limit = 20): ClientDetail {
  const keyCond = keyId === null ? 'key_id IS NULL' : 'key_id = @keyId';
  const p = { ip: clientIp, keyId, limit };
  const recent = (
    db
      .prepare(`SELECT ${FEED_COLUMNS} FROM decisions WHERE client_ip = @ip AND ${keyCond} ORDER BY ts DESC, id DESC LIMIT @limit`)
      .all(p) as FeedRow[]
  ).reverse();
  const reasons = db
    .prepare(
      `SELECT decision, reason, COUNT(*) AS count, MAX(ts) AS lastTs FROM decisions
       WHERE client_ip = @ip AND ${keyCond} GROUP BY decision, reason ORDER BY count DESC LIMIT 10`,
    )
    .all(p) as ClientDetail['reasons'];
  const scored = db
    .prepare(
      `SELECT ts, score, features, explain FROM decisions
       WHERE client_ip = @ip AND ${keyCond} AND features IS NOT NULL ORDER BY ts DESC, id DESC LIMIT 1`,
    )
    .get(p) as { ts: number; score: number | null; features: string; explain: string | null } | undefined;
  const refused = db
    .prepare(
      `SELECT ts, decision, reason, score, explain FROM decisions
       WHERE client_ip = @ip AND ${keyCond} AND decision != 'ALLOW' ORDER BY ts DESC, id DESC LIMIT 1`,
    )
    .get(p) as { ts: number; decision: string; reason: string; score: number | null; explain: string | null } | undefined;
  const explained = db
    .prepare(
      `SELECT ts, decision, reason, score, explain FROM decisions
       WHERE client_ip = @ip AND ${keyCond} AND explain IS NOT NULL ORDER BY ts DESC, id DESC LIMIT 1`,
    )
    .get(p) as { ts: number; decision: string; reason: string; score: number | null; explain: string | null } | undefined;
  const features: Record<string, number> = (scored && decodeFeatures(db, scored.features)) || {};
  return {
    clientIp,
    keyId,
    recent,
    reasons,
    latestScored: scored ? { ts: scored.ts, score: scored.score, features, explain: parseJson(scored.explain) } : null,
    latestRefused: refused ? { ...refused, explain: parseJson(refused.explain) } : null,
    latestExplained: explained ? { ...explained, explain: parseJson(explained.explain) } : null,
  };
}

export interface TraceDecision extends FeedRow {
  clientId: string | null;
  upstreamStatus: number | null;
  features: unknown;
  explain: unknown;
  upstreamMs: number | null;
  bytesIn: number;
  bytesOut: number;
}

/** A backend_events row: the demo backend's view of the request, with its row id. */
export type TraceBackendEvent = BackendEvent & { id: number };

export interface Trace {
  requestId: string;
  /** Usually one; more when a client reused an inbound X-Request-ID. */
  decisions: TraceDecision[];
  backend: TraceBackendEvent[];
}

const TRACE_COLUMNS = `${FEED_COLUMNS}, client_id AS clientId, upstream_status AS upstreamStatus, features, explain,
  upstream_ms AS upstreamMs, bytes_in AS bytesIn, bytes_out AS bytesOut`;

/**
 * The SQL and parameters that find the decision rows of `requestId` (exported so tests can EXPLAIN it).
 * Since migration 7 a row whose id is a UUIDv7 carrying its own ts (rid_by_ts = 1: serve minted it) is not in
 * the request-id index; it is found through ts (the id's ms) with decisions_ts_latency. Every other row
 * (rid_by_ts NULL: client-supplied ids, rows older than the migration) is in the partial index decisions_request_id.
 * The two branches are disjoint. A log without migration 7 (opened read-only, so never migrated) gets the plain query.
 */
export function traceDecisionsQuery(db: Db, requestId: string): { sql: string; params: unknown[] } {
  if (!tableColumns(db, 'decisions').includes('rid_by_ts')) {
    return { sql: `SELECT ${TRACE_COLUMNS} FROM decisions WHERE request_id = ? ORDER BY ts, id`, params: [requestId] };
  }
  const indexed = `SELECT ${TRACE_COLUMNS} FROM decisions WHERE request_id = ? AND rid_by_ts IS NULL`;
  const ms = uuidv7Ms(requestId);
  if (ms < 0) return { sql: `${indexed} ORDER BY ts, id`, params: [requestId] };
  return {
    sql: `SELECT ${TRACE_COLUMNS} FROM decisions WHERE ts = ? AND request_id = ? AND rid_by_ts = 1
          UNION ALL ${indexed} ORDER BY ts, id`,
    params: [ms, requestId, requestId],
  };
}

/** The decision row(s) and backend event(s) for one request id. Example: `traceRequest(db, 'req-1')` */
export function traceRequest(db: Db, requestId: string): Trace {
  const q = traceDecisionsQuery(db, requestId);
  const decisions = (
    db.prepare(q.sql).all(...q.params) as Array<TraceDecision & { features: string | null; explain: string | null }>
  ).map((d) => ({ ...d, features: d.features === null ? null : (decodeFeatures(db, d.features) ?? d.features), explain: parseJson(d.explain) }));
  const backend = db
    .prepare(
      `SELECT id, ts, request_id AS requestId, method, path, status, latency_ms AS latencyMs
       FROM backend_events WHERE request_id = ? ORDER BY ts, id`,
    )
    .all(requestId) as TraceBackendEvent[];
  return { requestId, decisions, backend };
}

function parseJson(text: string | null): unknown {
  if (text === null || text === undefined) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
