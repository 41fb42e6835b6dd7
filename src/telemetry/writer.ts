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
//
//   const threaded = createThreadedDecisionWriter('./.pathhelm/pathhelm.db', opts); // what `serve` uses:
//   // SQLite work on a worker thread, so a slow disk or a big commit never blocks the event loop.

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { idCarriesTs } from '../gateway/request-id.js';
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

const DEFAULTS = { flushIntervalMs: 100, batchSize: 20_000, maxQueue: 100_000, tickBudgetMs: 50 };

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

// Positional parameters: binding 21 values from an array is cheaper than named lookups on an object.
// rid_by_ts (migration 7) is 1 when the request id is a UUIDv7 carrying the row's ts (minted by serve), so the row
// stays out of the partial request-id index and trace finds it through ts; NULL otherwise (indexed).
const DECISION_SQL = `INSERT INTO decisions (ts, request_id, client_ip, client_id, key_id, method, path, status,
  upstream_status, decision, reason, would_decision, mode, score, features, explain, latency_ms, upstream_ms,
  bytes_in, bytes_out, rid_by_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/**
 * rid_by_ts of a row: 1 when its request id carries its ts, else null. An id serve says it minted (uuidv7(ts)) carries
 * an integer ts by construction; one the client sent stays null (indexed; trace finds it there whatever it holds).
 */
function ridByTs(e: DecisionEvent): 1 | null {
  const minted = e.requestIdMinted;
  if (minted === true) return Math.floor(e.ts) === e.ts ? 1 : null;
  if (minted === false) return null;
  return idCarriesTs(e.requestId, e.ts) ? 1 : null;
}

/** A DecisionEvent as the positional row of DECISION_SQL. */
export function decisionRow(e: DecisionEvent): unknown[] {
  return [
    e.ts, e.requestId, e.clientIp, e.clientId, e.keyId, e.method, e.path, e.status, e.upstreamStatus, e.decision,
    e.reason, e.wouldDecision, e.mode, e.score, e.features, e.explain, e.latencyMs, e.upstreamMs, e.bytesIn, e.bytesOut,
    ridByTs(e),
  ];
}

/** Batched writer for the `decisions` table (one row per request), on the calling thread. */
export function createDecisionWriter(db: Db, opts?: WriterOptions): BatchWriter<DecisionEvent> {
  return createBatchWriter<DecisionEvent>(db, DECISION_SQL, decisionRow, opts);
}

/** DecisionEvent → the columns of DECISION_SQL for the threaded writer's hand-over (no per-row array). */
export const DECISION_CODEC: RowCodec<DecisionEvent> = rowCodec((e: DecisionEvent, c) => {
  c.n(e.ts); c.s(e.requestId); c.s(e.clientIp); c.s(e.clientId); c.s(e.keyId); c.s(e.method); c.s(e.path);
  c.n(e.status); c.n(e.upstreamStatus); c.s(e.decision); c.s(e.reason); c.s(e.wouldDecision); c.s(e.mode);
  c.n(e.score); c.s(e.features); c.s(e.explain); c.n(e.latencyMs); c.n(e.upstreamMs); c.n(e.bytesIn); c.n(e.bytesOut);
  c.n(ridByTs(e));
});

/** Batched writer for the `decisions` table whose SQLite work runs on a worker thread. */
export function createThreadedDecisionWriter(file: string, opts?: ThreadedWriterOptions): ThreadedBatchWriter<DecisionEvent> {
  return createThreadedWriter<DecisionEvent>(file, DECISION_SQL, DECISION_CODEC, opts);
}

const BACKEND_SQL = `INSERT INTO backend_events (ts, request_id, method, path, status, latency_ms)
  VALUES (@ts, @requestId, @method, @path, @status, @latencyMs)`;

const identity = <T>(ev: T): T => ev;

/** Batched writer for the `backend_events` table (the demo backend's view of each request). */
export function createBackendEventWriter(db: Db, opts?: WriterOptions): BatchWriter<BackendEvent> {
  return createBatchWriter<BackendEvent>(db, BACKEND_SQL, identity, opts);
}

const BACKEND_SQL_POSITIONAL = `INSERT INTO backend_events (ts, request_id, method, path, status, latency_ms) VALUES (?, ?, ?, ?, ?, ?)`;

/** A BackendEvent as the positional row of the threaded backend writer. */
export function backendEventRow(e: BackendEvent): unknown[] {
  return [e.ts, e.requestId, e.method, e.path, e.status, e.latencyMs];
}

/**
 * `backend_events` writer on a worker thread (same API): for a backend sharing its event loop with
 * the gateway (`serve --demo`), so its commits never block proxying. `file` must exist (openDb first).
 */
export function createThreadedBackendEventWriter(file: string, opts?: ThreadedWriterOptions): BatchWriter<BackendEvent> {
  return createThreadedWriter<BackendEvent>(file, BACKEND_SQL_POSITIONAL, BACKEND_CODEC, opts);
}

/** BackendEvent → the columns of BACKEND_SQL_POSITIONAL. */
export const BACKEND_CODEC: RowCodec<BackendEvent> = rowCodec((e: BackendEvent, c) => {
  c.n(e.ts); c.s(e.requestId); c.s(e.method); c.s(e.path); c.n(e.status); c.n(e.latencyMs);
});

// ----------------------------------------------------------------------------------------------
// Threaded writer. The event loop packs each event as it is pushed into a columnar form and, flushIntervalMs
// after the first waiting row, hands it over: one Float64Array (numbers, NaN for null; for strings their
// length, -1 for null, -2 for "same as the row above") transferred without a copy, plus the batch's strings
// concatenated into one string.
// No number is formatted and no string escaped or parsed on either side (JSON hand-over cost
// ~2.5 µs per row on the event loop; this ~1 µs). The worker thread owns
// its own SQLite connection and commits when batchSize rows wait or maxDelayMs after the oldest
// one: bigger transactions touch each index page once for many rows, which matters for indexes on
// random keys (latency), and however long a commit or a locked file takes, proxying goes on.

/** Where a RowCodec writes one row's positional parameters, in order. */
export interface ColumnSink {
  /** A number column (null → NULL). */
  n(v: number | null): void;
  /** A text column (null → NULL). */
  s(v: string | null): void;
}

/**
 * How an event becomes the positional parameters of an INSERT for the threaded writer: `kinds` has one
 * letter per parameter ('n' number, 's' string) and `encode` calls the sink once per parameter in order.
 */
export interface RowCodec<T> {
  readonly kinds: string;
  encode(ev: T, sink: ColumnSink): void;
}

/** A RowCodec for `encode`; its kinds are recorded by running it once on a probe (so they always match). */
export function rowCodec<T>(encode: (ev: T, sink: ColumnSink) => void): RowCodec<T> {
  let kinds = '';
  const probe = new Proxy({}, { get: () => '' }) as T; // every field reads as '' (only the call order matters)
  encode(probe, { n: () => void (kinds += 'n'), s: () => void (kinds += 's') });
  return { kinds, encode };
}

/**
 * Packs rows, as they are pushed, into one Float64Array + one string (see the comment above). A text column that
 * repeats the previous row's value is sent as -2 ("same as above"): method, decision, reason, mode, client and
 * often path and features repeat, so most rows append one or two strings, not ten. One packer per hand-over.
 */
class ColumnPacker implements ColumnSink {
  nums: Float64Array;
  p = 0;
  rows = 0;
  str = '';
  private readonly cols: number;
  private readonly kinds: string;
  private readonly last: Array<string | null | undefined>;
  constructor(kinds: string, rows: number) {
    const cols = kinds.length;
    this.kinds = kinds;
    this.cols = cols;
    this.nums = new Float64Array(cols * rows);
    this.last = new Array(cols).fill(undefined);
  }
  /** Makes room for one more row (doubling). */
  reserve(): void {
    if (this.p + this.cols <= this.nums.length) return;
    const bigger = new Float64Array(this.nums.length * 2);
    bigger.set(this.nums);
    this.nums = bigger;
  }
  /** Forgets a row whose encoding threw half-way (and every "same as above", which may name its values). */
  abortRow(p0: number): void {
    this.p = p0;
    this.last.fill(undefined);
    this.str = this.str.slice(0, this.strLengthAt(p0));
  }
  private strLengthAt(p0: number): number {
    let len = 0;
    for (let i = 0; i < p0; i++) if (this.textSlot(i) && this.nums[i] >= 0) len += this.nums[i];
    return len;
  }
  private textSlot(i: number): boolean {
    return this.kinds.charCodeAt(i % this.cols) === 115; // 's'
  }
  n(v: number | null): void {
    this.nums[this.p++] = v == null ? NaN : v; // undefined too, as JSON did
  }
  s(v: string | null): void {
    const c = this.p % this.cols;
    if (v == null) this.nums[this.p++] = -1;
    else if (v === this.last[c]) this.nums[this.p++] = -2;
    else {
      this.last[c] = v;
      this.nums[this.p++] = v.length;
      this.str += v;
    }
  }
}

export interface ThreadedWriterOptions extends WriterOptions {
  /** Longest time a row waits in the worker before its transaction commits (default min(1 s, 10 × flushIntervalMs)). */
  maxDelayMs?: number;
  /** busy_timeout of the worker's connection (default 1000 ms; it blocks only the worker). */
  busyTimeoutMs?: number;
}

/**
 * An `INSERT ... VALUES (?, ?, ...)` split into what comes before its row and the row's placeholders, so the writer
 * thread can build statements of many rows: `multiRowSql('INSERT INTO t (a, b) VALUES (?, ?)')` →
 * `{ head: 'INSERT INTO t (a, b) VALUES ', row: ['?', '?'] }`. Null for any other shape (rows then go one by one).
 * (This runs here, not in the worker source: inside that template string a regex's backslashes were eaten once, so
 * the worker never matched and inserted every row with its own statement.)
 */
export function multiRowSql(sql: string): { head: string; row: string[] } | null {
  const m = /^([\s\S]*VALUES\s*)\(([^()]*)\)\s*$/.exec(sql);
  if (m === null) return null;
  const row = m[2].split(',').map((x) => x.trim());
  // Only anonymous placeholders: a named one repeated in every row would bind one value to all of them.
  return row.every((x) => x === '?') ? { head: m[1], row } : null;
}

const WORKER_SOURCE = `
const { parentPort, workerData: W } = require('node:worker_threads');
const Database = require(W.sqlite);
let db = null, stmt = null, tx = null;
let batches = [], pending = 0, oldestAt = 0;
let written = 0, dropped = 0, failures = 0, lastError = null, multiRows = 0, sharedRows = 0;
function open() {
  db = new Database(W.file, { fileMustExist: true });
  db.pragma('busy_timeout = ' + W.busyTimeoutMs);
  db.pragma('synchronous = NORMAL');
  stmt = db.prepare(W.sql);
  const s = stmt;
  // Rows go in 32 per statement where they can (about a fifth cheaper per row than one by one).
  // W.multi (multiRowSql, on the main thread): the statement's head up to VALUES and its row's placeholders.
  const M = W.multi;
  const sK = M !== null ? db.prepare(M.head + Array(32).fill('(' + M.row.join(', ') + ')').join(', ')) : null;
  const K = W.kinds, C = K.length;
  const isNum = []; for (let c = 0; c < C; c++) isNum.push(K.charCodeAt(c) === 110);
  const flat = new Array(32 * C), one = new Array(C);
  // A text column that holds the same value in all 32 rows of a group is bound once, as a named parameter every row
  // of the statement refers to, instead of 32 times (binding a text value converts and copies it: measured 4.8 ->
  // 3.7 us per row with ten such columns). One statement per set of shared columns, prepared when first met; past
  // SHARED_MAX sets the plain statement serves.
  const textCols = []; for (let c = 0; c < C; c++) if (!isNum[c]) textCols.push(c);
  const SHARED_MAX = 32;
  const shared = new Map();
  const rowSql = M !== null ? M.row : null;
  const sharedStmt = (mask) => {
    let e = shared.get(mask);
    if (e !== undefined) return e;
    if (rowSql === null || rowSql.length !== C || shared.size >= SHARED_MAX) return null;
    const cols = [];
    const parts = [];
    for (let c = 0; c < C; c++) {
      const on = !isNum[c] && (mask & (2 ** textCols.indexOf(c))) !== 0;
      if (on) cols.push(c);
      parts.push(on ? '@s' + c : rowSql[c]);
    }
    const keep = []; for (let c = 0; c < C; c++) if (!cols.includes(c)) keep.push(c);
    e = { stmt: db.prepare(M.head + Array(32).fill('(' + parts.join(', ') + ')').join(', ')), cols, keep, flat: new Array(32 * keep.length), named: {} };
    shared.set(mask, e);
    return e;
  };
  /** Runs the 32 decoded rows in flat, binding text columns equal in every row once. */
  function run32() {
    let mask = 0;
    for (let k = 0; k < textCols.length && k < 31; k++) {
      const c = textCols[k];
      const v = flat[c];
      let r = 1;
      while (r < 32 && flat[r * C + c] === v) r++;
      if (r === 32) mask |= 2 ** k;
    }
    const e = mask === 0 ? null : sharedStmt(mask);
    multiRows += 32;
    if (e === null) return void sK.run(flat);
    sharedRows += 32;
    const keep = e.keep, n = keep.length, out = e.flat;
    for (let r = 0, w = 0; r < 32; r++) for (let j = 0; j < n; j++) out[w++] = flat[r * C + keep[j]];
    for (let j = 0; j < e.cols.length; j++) e.named['s' + e.cols[j]] = flat[e.cols[j]];
    e.stmt.run(out, e.named);
  }
  // Decodes \`count\` rows of batch b from its cursor into \`out\`.
  // A text slot holds its length, -1 for NULL or -2 for "the previous row's value of this column".
  function decode(b, count, out) {
    const nums = b.nums, str = b.str, last = b.last;
    let p = b.p, o = b.o, w = 0;
    for (let r = 0; r < count; r++) {
      for (let c = 0; c < C; c++) {
        const v = nums[p++];
        if (isNum[c]) out[w++] = v !== v ? null : v;
        else if (v === -1) out[w++] = null;
        else if (v === -2) out[w++] = last[c];
        else { out[w++] = last[c] = str.slice(o, o + v); o += v; }
      }
    }
    b.p = p; b.o = o;
  }
  tx = db.transaction((lists) => {
    for (let k = 0; k < lists.length; k++) {
      const b = lists[k];
      b.p = 0; b.o = 0; b.last = new Array(C); // a retried batch (SQLITE_BUSY) decodes again from the start
      const n = b.n;
      let i = 0;
      if (sK !== null) for (; i + 32 <= n; i += 32) { decode(b, 32, flat); run32(); }
      for (; i < n; i++) { decode(b, 1, one); s.run(one); }
    }
  });
}
function transient(e) {
  const c = e && e.code;
  return c === 'SQLITE_BUSY' || c === 'SQLITE_LOCKED' || c === 'SQLITE_BUSY_SNAPSHOT';
}
function report() {
  parentPort.postMessage({ type: 'stats', written, dropped, failures, lastError, pending, lagMs: pending ? Date.now() - oldestAt : 0, multiRows, sharedRows });
}
/** Commits everything waiting, batchSize rows per transaction. Returns false on a transient error. */
function commit() {
  let ok = true;
  while (pending > 0) {
    let n = 0, k = 0;
    while (k < batches.length && (n === 0 || n + batches[k].n <= W.batchSize)) n += batches[k++].n;
    try {
      if (tx === null) open();
      tx(batches.slice(0, k));
      written += n;
    } catch (e) {
      failures++;
      lastError = String((e && e.message) || e);
      if (transient(e)) { ok = false; break; }
      if (stmt === null && db !== null) { try { db.close(); } catch {} db = null; tx = null; }
      dropped += n;
    }
    batches = batches.slice(k);
    pending -= n;
  }
  if (pending === 0) oldestAt = 0;
  report();
  return ok;
}
// Armed only while rows wait (an idle gateway's writer thread never wakes up); after a transient failure it
// retries every tickMs.
let timer = null;
function arm() {
  if (timer !== null || pending === 0) return;
  timer = setTimeout(() => {
    timer = null;
    if (pending > 0 && (pending >= W.batchSize || Date.now() - oldestAt >= W.maxDelayMs)) commit();
    arm();
  }, Math.max(W.tickMs, W.maxDelayMs - (Date.now() - oldestAt)));
}
parentPort.on('message', async (m) => {
  if (m.type === 'rows') {
    if (pending === 0) oldestAt = m.at;
    batches.push({ nums: m.nums, str: m.str, n: m.n, p: 0, o: 0, last: null });
    pending += m.n;
    if (pending >= W.batchSize) commit();
    else if (m.report) report();
    arm();
  } else if (m.type === 'flush') {
    commit();
    arm();
  } else if (m.type === 'close') {
    if (timer !== null) clearTimeout(timer);
    for (let i = 0; i < 40 && !commit(); i++) await new Promise((r) => setTimeout(r, 50));
    if (pending > 0) { dropped += pending; pending = 0; batches = []; }
    report();
    try { if (db) db.close(); } catch {}
    parentPort.postMessage({ type: 'closed' });
  }
});
`;

interface WorkerStats {
  type: 'stats';
  written: number;
  dropped: number;
  failures: number;
  lastError: string | null;
  pending: number;
  lagMs: number;
  multiRows: number;
  sharedRows: number;
}

/** A BatchWriter whose SQLite work runs on a worker thread. */
export interface ThreadedBatchWriter<T> extends BatchWriter<T> {
  /** Counters as of the worker's last report (it reports after each commit). */
  insertPaths(): InsertPaths;
}

/** How the writer thread's rows went in (for tests and benchmarks): through 32-row INSERTs, and of those through
 * ones that bound the text columns shared by the group once. Rows of a transaction that was rolled back count too. */
export interface InsertPaths {
  multiRow: number;
  sharedBind: number;
}

/**
 * A batched writer whose transactions run on a worker thread with its own connection to `file`
 * (which must exist with its schema: open it with openDb first). `codec` maps an event to the
 * positional parameters of `insertSql` (see RowCodec). flush() hands everything over and returns 0 (the count
 * arrives in stats()); close() waits until the worker has committed and closed its connection.
 */
export function createThreadedWriter<T>(
  file: string,
  insertSql: string,
  codec: RowCodec<T>,
  opts: ThreadedWriterOptions = {},
): ThreadedBatchWriter<T> {
  const flushIntervalMs = opts.flushIntervalMs ?? DEFAULTS.flushIntervalMs;
  const batchSize = Math.max(1, opts.batchSize ?? DEFAULTS.batchSize);
  const maxQueue = Math.max(1, opts.maxQueue ?? DEFAULTS.maxQueue);
  // Default: commit at most every 10 hand-overs, and at least once a second.
  const maxDelayMs = Math.max(flushIntervalMs, opts.maxDelayMs ?? Math.min(1000, 10 * flushIntervalMs));
  const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, sql: insertSql, multi: multiRowSql(insertSql), kinds: codec.kinds, sqlite, batchSize, maxDelayMs, tickMs: Math.min(100, maxDelayMs), busyTimeoutMs: opts.busyTimeoutMs ?? 1000 },
  });
  worker.unref();

  // Rows are encoded when pushed, so the events themselves die young (a queue of event objects held for a
  // flush interval survived scavenges and was promoted to the old generation).
  let packer = new ColumnPacker(codec.kinds, 256);
  let oldestAt = 0;
  let sent = 0; // rows handed to the worker
  let lost = 0; // dropped on this side (queue full, worker gone)
  let w: WorkerStats = { type: 'stats', written: 0, dropped: 0, failures: 0, lastError: null, pending: 0, lagMs: 0, multiRows: 0, sharedRows: 0 };
  let workerError: string | null = null;
  let closing: Promise<void> | null = null;
  let onClosed: (() => void) | null = null;

  worker.on('message', (m: WorkerStats | { type: 'closed' }) => {
    if (m.type === 'stats') w = m;
    else onClosed?.();
  });
  worker.on('error', (err) => {
    workerError = err instanceof Error ? err.message : String(err);
  });
  worker.on('exit', () => {
    if (workerError === null && closing === null) workerError = 'the telemetry writer thread exited';
    onClosed?.();
  });

  const inWorker = () => Math.max(0, sent - w.written - w.dropped);

  function handOver(report: boolean): void {
    const n = packer.rows;
    if (n === 0) return;
    if (workerError !== null) {
      lost += n;
      packer = new ColumnPacker(codec.kinds, 256);
      return;
    }
    const { nums, str } = packer;
    worker.postMessage({ type: 'rows', nums, str, n, at: oldestAt, report }, [nums.buffer as ArrayBuffer]);
    sent += n;
    // Start the next hand-over with room for as many rows as this one had.
    packer = new ColumnPacker(codec.kinds, Math.max(256, Math.min(n, 1 << 16)));
  }

  // The hand-over timer is armed by the first row after a hand-over, so an idle gateway does not wake up for it.
  let timer: NodeJS.Timeout | null = null;
  const fire = (): void => {
    timer = null;
    handOver(false);
  };

  return {
    push(ev: T): void {
      // Beyond maxQueue, with the thread gone, or after close() began (nothing would hand it over): dropped, counted.
      if (packer.rows + inWorker() >= maxQueue || workerError !== null || closing !== null) {
        lost++;
        return;
      }
      if (packer.rows === 0) oldestAt = Date.now();
      packer.reserve();
      const p0 = packer.p;
      try {
        codec.encode(ev, packer);
      } catch {
        packer.abortRow(p0); // a malformed event is counted as lost, never half-written
        lost++;
        return;
      }
      packer.rows++;
      if (timer === null) {
        timer = setTimeout(fire, flushIntervalMs);
        timer.unref();
      }
    },
    flush(): number {
      handOver(true);
      if (workerError === null) worker.postMessage({ type: 'flush' });
      return 0;
    },
    close(): Promise<void> {
      closing ??= (async () => {
        if (timer !== null) clearTimeout(timer);
        handOver(false);
        if (workerError === null) {
          await new Promise<void>((resolve) => {
            onClosed = resolve;
            worker.postMessage({ type: 'close' });
          });
        }
        // Rows the worker never acknowledged (it died) are lost.
        lost += inWorker();
        sent = w.written + w.dropped;
        await worker.terminate();
      })();
      return closing;
    },
    insertPaths(): InsertPaths {
      return { multiRow: w.multiRows, sharedBind: w.sharedRows };
    },
    stats(): TelemetryStats {
      const queued = packer.rows + inWorker();
      const lagHere = packer.rows ? Date.now() - oldestAt : 0;
      return {
        written: w.written,
        dropped: w.dropped + lost,
        failures: w.failures + (workerError !== null ? 1 : 0),
        queued,
        lagMs: Math.max(lagHere, w.pending ? w.lagMs : 0),
        lastError: workerError ?? w.lastError,
      };
    },
  };
}
