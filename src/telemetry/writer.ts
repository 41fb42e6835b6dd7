// Owns the batched SQLite writers: events are queued by an array push on the request path and
// committed off it, up to batchSize rows per transaction, on an unref'd interval tick.
//
// Example:
//   const writer = createDecisionWriter(db, { flushIntervalMs: 100, batchSize: 5000, maxQueue: 100000 });
//   writer.push(event);          // O(1), never touches SQLite
//   writer.stats();              // { written, dropped, failures, queued, lagMs, lastError }
//   await writer.close();        // final flush on shutdown
//
//   const backendWriter = createBackendEventWriter(db);   // for the demo backend
//   backendWriter.push({ ts, requestId, method, path, status, latencyMs });

import type { Db } from './db.js';
import type { BackendEvent, DecisionEvent, TelemetryStats } from './types.js';

export interface WriterOptions {
  /** Commit interval (one tick may commit several batches until the queue is empty). */
  flushIntervalMs?: number;
  /** Rows per transaction at most. */
  batchSize?: number;
  /** Events kept in memory while writes fail or lag; beyond it events are dropped and counted. */
  maxQueue?: number;
  /** Longest time one tick may spend writing before yielding to the event loop (ms). */
  tickBudgetMs?: number;
}

export interface BatchWriter<T> {
  /** Queues one event. Cheap and synchronous; never throws. */
  push(ev: T): void;
  /** Writes everything queued now (synchronously). Returns rows written. */
  flush(): number;
  /** Stops the tick and flushes what is left. Idempotent. */
  close(): Promise<void>;
  stats(): TelemetryStats;
}

const DEFAULTS = { flushIntervalMs: 100, batchSize: 5_000, maxQueue: 100_000, tickBudgetMs: 50 };

/** SQLite errors worth retrying on the next tick (the rows stay queued). */
function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_SNAPSHOT';
}

/**
 * A generic batched writer: `insertSql` is prepared once (lazily, so a schema problem is a
 * counted failure, not a crash) and run with `toParams(ev)` for every row.
 * Transient errors (SQLITE_BUSY/LOCKED) keep the batch for the next tick; any other failure
 * (read-only file, disk full, constraint) drops the batch and counts it.
 */
export function createBatchWriter<T>(
  db: Db,
  insertSql: string,
  toParams: (ev: T) => object,
  opts: WriterOptions = {},
): BatchWriter<T> {
  const flushIntervalMs = opts.flushIntervalMs ?? DEFAULTS.flushIntervalMs;
  const batchSize = Math.max(1, opts.batchSize ?? DEFAULTS.batchSize);
  const maxQueue = Math.max(1, opts.maxQueue ?? DEFAULTS.maxQueue);
  const tickBudgetMs = opts.tickBudgetMs ?? DEFAULTS.tickBudgetMs;

  let queue: T[] = [];
  let head = 0; // index of the oldest unwritten event in `queue`
  let oldestAt = 0; // Date.now() when the queue last went from empty to non-empty (lag upper bound)
  let written = 0;
  let dropped = 0;
  let failures = 0;
  let lastError: string | null = null;
  let closed = false;
  let stmt: ReturnType<Db['prepare']> | null = null;
  let writeBatch: ((rows: T[], from: number, to: number) => void) | null = null;

  function prepare(): (rows: T[], from: number, to: number) => void {
    if (writeBatch) return writeBatch;
    stmt = db.prepare(insertSql);
    const s = stmt;
    writeBatch = db.transaction((rows: T[], from: number, to: number) => {
      for (let i = from; i < to; i++) s.run(toParams(rows[i]) as never);
    }) as unknown as (rows: T[], from: number, to: number) => void;
    return writeBatch;
  }

  function push(ev: T): void {
    const queued = queue.length - head;
    if (queued >= maxQueue) {
      dropped++;
      return;
    }
    if (queued === 0) oldestAt = Date.now();
    queue.push(ev);
  }

  /** Writes batches until the queue is empty, a write fails, or the time budget is used. */
  function drain(budgetMs: number): number {
    const start = budgetMs > 0 ? performance.now() : 0;
    let total = 0;
    while (head < queue.length) {
      const to = Math.min(queue.length, head + batchSize);
      try {
        prepare()(queue, head, to);
      } catch (err) {
        failures++;
        lastError = err instanceof Error ? err.message : String(err);
        if (isTransient(err)) break; // keep the rows, retry next tick
        if (stmt === null) writeBatch = null; // prepare failed: try again next tick
        dropped += to - head;
        head = to;
        compact();
        break;
      }
      written += to - head;
      total += to - head;
      head = to;
      compact();
      if (budgetMs > 0 && performance.now() - start > budgetMs) break;
    }
    return total;
  }

  function compact(): void {
    if (head >= queue.length) {
      queue = [];
      head = 0;
    } else if (head > 4096 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  }

  const timer = setInterval(() => drain(tickBudgetMs), flushIntervalMs);
  timer.unref();

  return {
    push,
    flush: () => drain(0),
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      // Transient errors are retried a few times before giving up on the rest.
      for (let attempt = 0; attempt < 20 && head < queue.length; attempt++) {
        drain(0);
        if (head < queue.length) await new Promise((r) => setTimeout(r, 50));
      }
      if (head < queue.length) {
        dropped += queue.length - head;
        queue = [];
        head = 0;
      }
    },
    stats(): TelemetryStats {
      const queued = queue.length - head;
      return { written, dropped, failures, queued, lagMs: queued ? Date.now() - oldestAt : 0, lastError };
    },
  };
}

const DECISION_SQL = `INSERT INTO decisions (ts, request_id, client_ip, client_id, key_id, method, path, status,
  upstream_status, decision, reason, would_decision, mode, score, features, explain, latency_ms, upstream_ms,
  bytes_in, bytes_out) VALUES (@ts, @requestId, @clientIp, @clientId, @keyId, @method, @path, @status,
  @upstreamStatus, @decision, @reason, @wouldDecision, @mode, @score, @features, @explain, @latencyMs, @upstreamMs,
  @bytesIn, @bytesOut)`;

const identity = <T>(ev: T): T => ev;

/** Batched writer for the `decisions` table (one row per request). */
export function createDecisionWriter(db: Db, opts?: WriterOptions): BatchWriter<DecisionEvent> {
  return createBatchWriter<DecisionEvent>(db, DECISION_SQL, identity, opts);
}

const BACKEND_SQL = `INSERT INTO backend_events (ts, request_id, method, path, status, latency_ms)
  VALUES (@ts, @requestId, @method, @path, @status, @latencyMs)`;

/** Batched writer for the `backend_events` table (the demo backend's view of each request). */
export function createBackendEventWriter(db: Db, opts?: WriterOptions): BatchWriter<BackendEvent> {
  return createBatchWriter<BackendEvent>(db, BACKEND_SQL, identity, opts);
}
