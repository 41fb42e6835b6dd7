// Owns the behaviour features: their names, order and the one incremental sliding-window extractor that the
// dataset generator, `dataset export`, training and the live gateway all share (documented in docs/features.md).
//
// Example:
//   const w = new BehaviourWindow(60_000);
//   w.push({ t: now, method: 'GET', path: '/api/items/7', status: 200, decision: 'ALLOW' });
//   const x = w.extract(now, scratch);      // Float64Array in FEATURE_NAMES order
//   const s = forest.score(x);

import { randomInt } from 'node:crypto';

/** Feature names in model order. A model file names these; changing them or their order needs a new model. */
export const FEATURE_NAMES = [
  'req_count_log',
  'unique_endpoints_log',
  'rps_log',
  'iat_var_log',
  'iat_cv_log',
  'iat_log_gap_var',
  'endpoint_entropy',
  'top_endpoint_share',
  'blocked_ratio',
  'throttled_ratio',
  'error_ratio',
  'not_found_distinct_log',
  'write_ratio',
  'seq_id_ratio',
] as const satisfies readonly string[];

export type FeatureName = (typeof FEATURE_NAMES)[number];
export const NUM_FEATURES: number = FEATURE_NAMES.length;

/** Index of each feature in a vector, e.g. `x[F.rps_log]`. */
export const F: Readonly<Record<FeatureName, number>> = Object.freeze(
  Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, i])) as Record<FeatureName, number>,
);

/** Sliding window the shipped model was trained with (the gateway's `behaviour.windowMs` default). */
export const DEFAULT_WINDOW_MS = 60_000;
/** Default cap on events held per client window (bounded memory: ~40 bytes per slot plus map entries). */
export const DEFAULT_MAX_EVENTS = 1_000;
/** `rps` divides by the observed span but never by less than this, so one page load is not a "flood". */
export const MIN_RATE_SPAN_MS = 10_000;

export type BehaviourDecision = 'ALLOW' | 'THROTTLE' | 'BLOCK';

export interface BehaviourEvent {
  /** Time in ms (any epoch; must not go backwards by much — earlier times are clamped to the last one). */
  t: number;
  method: string;
  /** Request path without the query string. */
  path: string;
  /** Status the client received (backend status, or the gateway's 429/401/403). */
  status: number;
  decision: BehaviourDecision;
  /**
   * `queryHash()` of the raw query string, 0 without one (default). Not a model feature and never stored: only the
   * steady-poller rule uses it, to tell `/api/search?q=a`, `?q=b`, ... apart.
   */
  queryHash?: number;
}

// Per-event flag bits kept in the ring.
const FL_BLOCK = 1;
const FL_THROTTLE = 2;
const FL_ERROR = 4;
const FL_404 = 8;
const FL_WRITE = 32;
const FL_SEQ = 64;

/** Recompute running sums from the ring after this many pushes per slot, so float drift stays bounded. */
const RESYNC_FACTOR = 4;
/** Floor of the coefficient of variation before the log (log10 → -3): a metronome is as regular as it gets. */
const MIN_CV = 1e-3;
/** Ring slots a new window starts with. */
const INITIAL_CAPACITY = 16;

/** FNV-1a 32-bit offset basis and prime. */
const FNV_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/**
 * The gateway's query-hash basis: FNV-1a's, mixed with a per-process random value, so nobody can precompute query
 * strings that collide (a collision would only make two targets count as one for the steady-poller rule).
 */
export const QUERY_HASH_BASIS: number = (FNV_BASIS ^ randomInt(2 ** 32)) >>> 0;
/** The plain FNV-1a basis: deterministic hashes for replays and tests. */
export const QUERY_HASH_FIXED_BASIS: number = FNV_BASIS;

/**
 * FNV-1a hash of `s.slice(start, end)` (a raw query string, without '?') as a non-zero 30-bit integer (a V8 small
 * integer, so storing it allocates nothing); 0 for an empty range. O(length), no allocation.
 *
 * Example: queryHash('/api/search?q=lamp', 12) !== queryHash('/api/search?q=desk', 12)
 */
export function queryHash(s: string, start = 0, end = s.length, basis = QUERY_HASH_BASIS): number {
  if (end <= start) return 0;
  let h = basis | 0;
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return (h & 0x3fffffff) || 1;
}

/** Endpoint key of a request: the path for GET/HEAD, else "METHOD path". */
export function endpointKey(method: string, path: string): string {
  return method === 'GET' || method === 'HEAD' ? path : method + ' ' + path;
}

/** True for methods that change state (anything but GET, HEAD, OPTIONS). */
export function isWriteMethod(method: string): boolean {
  return !(method === 'GET' || method === 'HEAD' || method === 'OPTIONS');
}

/** Index where a trailing run of digits starts in `path` (path.length if none). */
export function trailingDigitsStart(path: string): number {
  let i = path.length;
  while (i > 0) {
    const c = path.charCodeAt(i - 1);
    if (c < 48 || c > 57) break;
    i--;
  }
  return i;
}

/**
 * Whether `path` continues an id sequence from `prev`: both end in "/<digits>" (at most 15 digits) with the same
 * prefix, and the ids differ by exactly 1 (a scraper walking ids up or down).
 */
export function isSequentialId(prev: string, path: string): boolean {
  const d = trailingDigitsStart(path);
  if (d === path.length || d === 0 || path.charCodeAt(d - 1) !== 47 /* / */ || path.length - d > 15) return false;
  const pd = trailingDigitsStart(prev);
  if (pd !== d || pd === prev.length || prev.length - pd > 15) return false;
  for (let i = 0; i < d; i++) if (prev.charCodeAt(i) !== path.charCodeAt(i)) return false;
  return Math.abs(Number(path.slice(d)) - Number(prev.slice(pd))) === 1;
}

function flagsOf(ev: BehaviourEvent): number {
  let f = 0;
  if (ev.decision === 'BLOCK') f |= FL_BLOCK;
  else if (ev.decision === 'THROTTLE') f |= FL_THROTTLE;
  if (ev.status >= 400) f |= FL_ERROR;
  if (ev.status === 404) f |= FL_404;
  if (isWriteMethod(ev.method)) f |= FL_WRITE;
  return f;
}

/** Requests the count-based history keeps per client, whatever the time window (see `regularity`). */
export const DEFAULT_HISTORY = 32;

/**
 * The regular-crawl rule (docs/features.md "Regular crawling"): over a client's last `requests` gaps, whatever the
 * time window, the gaps vary by at most `maxCv` (sd/mean), average at least `minGapMs`, and the requests touched at
 * least `minDistinct` distinct endpoints. A metronome walking many URLs is a bot; a poller hitting a few is not.
 */
export interface RegularRule {
  /** Gaps judged (the client needs requests + 1 requests in its history; at most DEFAULT_HISTORY - 1). */
  requests: number;
  maxCv: number;
  minDistinct: number;
  minGapMs: number;
}

/** Defaults of the rule (the gateway's `behaviour.regular`). */
export const DEFAULT_REGULAR_RULE: Readonly<RegularRule> = Object.freeze({ requests: 24, maxCv: 0.1, minDistinct: 8, minGapMs: 500 });

/** What `BehaviourWindow.regularity` measured over the last gaps. */
export interface Regularity {
  /** Gaps measured (0 when the history holds fewer than requested). */
  gaps: number;
  /** Coefficient of variation (sd/mean) of those gaps. */
  cv: number;
  /** Mean gap in ms. */
  meanGapMs: number;
  /** Distinct endpoints among the requests around them (gaps + 1 requests; only counted when `cv <= cvLimit`). */
  distinct: number;
}

/**
 * The steady-poller rule (docs/features.md "Steady pollers"): a client that, over its last `requests` requests,
 * asked for at most `maxDistinct` distinct targets (endpoint + query string), of which at most `maxExceptions` were
 * refused, answered 4xx or writes, and polled each target no faster than every `minPeriodMs` (median), while its
 * whole time window holds at most `maxWindowDistinct` distinct endpoints and as many distinct query strings, is a
 * dashboard or a monitor: the model's flag and block are not enforced for it. The mirror image of the regular-crawl
 * rule.
 */
export interface PollerRule {
  /** Requests judged (the client needs that many in its history; at most DEFAULT_HISTORY); 0 turns the rule off. */
  requests: number;
  /** Most distinct targets (endpoint + query string) among them. */
  maxDistinct: number;
  /**
   * Most distinct endpoints, and most distinct query strings, in the client's time window (≤ POLLER_MAX_DISTINCT):
   * room for a page load before the polling, none for a client that rotates through new URLs a few at a time.
   */
  maxWindowDistinct: number;
  /** Most of them that were refused (BLOCK/THROTTLE), answered 400-499, or writes (POST, PUT, ...). */
  maxExceptions: number;
  /** Smallest median time between two requests for the same target. */
  minPeriodMs: number;
}

/** Defaults of the rule (the gateway's `behaviour.poller`). */
export const DEFAULT_POLLER_RULE: Readonly<PollerRule> = Object.freeze({ requests: 20, maxDistinct: 6, maxWindowDistinct: 16, maxExceptions: 1, minPeriodMs: 400 });

/** Largest `maxWindowDistinct` (the size of the window's distinct-query table). */
export const POLLER_MAX_DISTINCT = 16;

/** What `BehaviourWindow.isSteadyPoller` measured (only the checks it got to; see `failed`). */
export interface PollerCheck {
  /** Requests judged (0 when the history holds fewer than `requests`). */
  requests: number;
  /** Distinct targets (endpoint + query hash) among them (counting stops past maxDistinct). */
  distinct: number;
  /** Requests among them that were refused, answered 4xx or writes. */
  exceptions: number;
  /** Median time between two requests for the same target, ms (0 when not measured). */
  periodMs: number;
  /** Distinct endpoints and query strings in the time window (queries: POLLER_MAX_DISTINCT + 1 = "more"). */
  windowEndpoints: number;
  windowQueries: number;
  /** The first condition that failed, or '' when the client is a steady poller. */
  failed: '' | 'history' | 'window_endpoints' | 'window_queries' | 'exceptions' | 'distinct' | 'period';
}

/** Scratch of isSteadyPoller (single-threaded): first slot of each distinct target, its last time, the gaps. */
const POLL_SEEN = new Int32Array(1025);
const POLL_LAST = new Float64Array(1025);
const POLL_GAPS = new Float64Array(1024);

/** Ring slots of the distinct keys `regularity` has seen (single-threaded scratch; a linear scan beats a Set here). */
const DISTINCT_SCRATCH = new Int32Array(1024);

/** Shortest gap on the log scale: requests fired within 10 ms of each other count as "parallel". */
const MIN_GAP_S = 0.01;

/** ln of an inter-arrival time in seconds, floored at MIN_GAP_S. */
function logGap(dt: number): number {
  return Math.log(dt > MIN_GAP_S ? dt : MIN_GAP_S);
}

/** c·ln c, with 0·ln 0 = 0. */
function cLogC(c: number): number {
  return c > 1 ? c * Math.log(c) : 0;
}

/**
 * One client's sliding window of requests. `push` and `extract` are O(1) amortised; memory is bounded by
 * `maxEvents` (when full, the oldest event is evicted early).
 *
 * Example:
 *   const w = new BehaviourWindow(60_000, { maxEvents: 500 });
 *   w.push({ t: 1000, method: 'POST', path: '/api/login', status: 401, decision: 'ALLOW' });
 *   w.extract(1000)[F.write_ratio]; // 1
 */
export class BehaviourWindow {
  readonly windowMs: number;
  readonly maxEvents: number;

  // Ring buffer; starts small and doubles up to maxEvents, so quiet clients stay cheap.
  private times: Float64Array;
  private flags: Uint8Array;
  private keys: string[];
  private capacity: number;
  private head = 0; // index of the oldest event
  private count = 0;

  private lastT = -Infinity;
  private lastPath = '';
  private hasLast = false;

  private readonly endpointCounts = new Map<string, number>();
  private readonly notFoundCounts = new Map<string, number>();
  /** countFreq[c] = number of endpoints seen exactly c times in the window. */
  private countFreq: Int32Array;
  private maxCount = 0;
  private sumCLogC = 0;

  // Flag totals over the window.
  private nBlock = 0;
  private nThrottle = 0;
  private nError = 0;
  private nWrite = 0;
  private nSeq = 0;

  // Inter-arrival times (seconds) between consecutive events in the window: count - 1 of them.
  private iatSum = 0;
  private iatSumSq = 0;
  // The same intervals on a log scale: ln(max(dt, 10 ms)).
  private lgSum = 0;
  private lgSumSq = 0;
  private pushesSinceResync = 0;

  // Count-based history of the last `history` requests (time and endpoint key), kept whatever the time window,
  // so a slow client's regularity can be judged over more requests than a window holds.
  private readonly history: number;
  private readonly histTimes: Float64Array;
  private readonly histKeys: string[];
  // ... and, for the steady-poller rule, each request's query hash and whether it was an exception (refused, 4xx,
  // or a write).
  private readonly histQuery: Int32Array;
  private readonly histExc: Uint8Array;
  private histHead = 0;
  private histCount = 0;

  // Distinct query hashes in the time window, for the steady-poller rule: up to POLLER_MAX_DISTINCT (hash, last
  // seen) pairs, the least recently seen replaced; while a replaced hash could still be in the window
  // (t <= qOverUntil) the window holds more distinct queries than the table.
  private readonly qHash = new Int32Array(POLLER_MAX_DISTINCT);
  private readonly qSeen = new Float64Array(POLLER_MAX_DISTINCT);
  private qUsed = 0;
  private qOverUntil = -Infinity;

  constructor(windowMs: number, opts: { maxEvents?: number; history?: number } = {}) {
    if (!(windowMs > 0) || !Number.isFinite(windowMs)) throw new RangeError(`windowMs must be a finite number > 0, got ${windowMs}`);
    const maxEvents = opts.maxEvents ?? DEFAULT_MAX_EVENTS;
    if (!Number.isInteger(maxEvents) || maxEvents < 2) throw new RangeError(`maxEvents must be an integer >= 2, got ${maxEvents}`);
    this.windowMs = windowMs;
    this.maxEvents = maxEvents;
    this.capacity = Math.min(maxEvents, INITIAL_CAPACITY);
    this.times = new Float64Array(this.capacity);
    this.flags = new Uint8Array(this.capacity);
    this.keys = new Array<string>(this.capacity).fill('');
    this.countFreq = new Int32Array(this.capacity + 2);
    const history = opts.history ?? DEFAULT_HISTORY;
    if (!Number.isInteger(history) || history < 3 || history > 1024) throw new RangeError(`history must be an integer in 3..1024, got ${history}`);
    this.history = history;
    this.histTimes = new Float64Array(history);
    this.histKeys = new Array<string>(history).fill('');
    this.histQuery = new Int32Array(history);
    this.histExc = new Uint8Array(history);
  }

  /** Requests in the count-based history (at most `history`; not evicted by time, only by `clear`). */
  get historySize(): number {
    return this.histCount;
  }

  /**
   * Regularity of the last `gaps` inter-arrival times of the count-based history (O(gaps), no allocation when `out`
   * is given). `distinct` is only counted when `cv <= cvLimit` (pass Infinity to always count it), and only up to
   * `distinctCap` (counting stops there; a regular poller of a few URLs costs O(gaps × its URLs) string compares).
   *
   * Example: w.regularity(24, 0.1).cv // 0.02 for a bot firing every 2 s ± 2%
   */
  regularity(gaps: number, cvLimit = Infinity, out: Regularity = { gaps: 0, cv: 0, meanGapMs: 0, distinct: 0 }, distinctCap = Infinity): Regularity {
    out.gaps = 0;
    out.cv = 0;
    out.meanGapMs = 0;
    out.distinct = 0;
    if (!(gaps >= 2) || gaps + 1 > this.histCount) return out;
    const h = this.history;
    const first = (this.histHead + this.histCount - gaps - 1) % h;
    let prev = this.histTimes[first];
    let sum = 0;
    let sumSq = 0;
    for (let i = 1; i <= gaps; i++) {
      const t = this.histTimes[(first + i) % h];
      const d = t - prev;
      sum += d;
      sumSq += d * d;
      prev = t;
    }
    const mean = sum / gaps;
    const sd = Math.sqrt(Math.max(0, sumSq / gaps - mean * mean));
    out.gaps = gaps;
    out.meanGapMs = mean;
    out.cv = mean > 0 ? sd / mean : Infinity;
    if (out.cv <= cvLimit) {
      const seen = DISTINCT_SCRATCH; // slots of the first occurrence of each distinct key
      const keys = this.histKeys;
      let n = 0;
      let idx = first;
      for (let i = 0; i <= gaps && n < distinctCap; i++) {
        const k = keys[idx];
        let j = 0;
        while (j < n && keys[seen[j]] !== k) j++;
        if (j === n) seen[n++] = idx;
        if (++idx === h) idx = 0;
      }
      out.distinct = n;
    }
    return out;
  }

  /**
   * Whether the last `rule.requests` gaps look like a regular crawl (see RegularRule). Fills `out` when given (cv NaN
   * when the mean gap alone ruled it out).
   *
   * Example: if (w.isRegularCrawl(DEFAULT_REGULAR_RULE)) block('anomaly_regular');
   */
  isRegularCrawl(rule: Readonly<RegularRule>, out?: Regularity): boolean {
    // The mean gap first, in O(1) (the gaps telescope: (last - first) / gaps), so a client faster than minGapMs —
    // every busy one — costs no loop; then timing (O(gaps) arithmetic); only a slow metronome pays for counting
    // endpoints, and only up to the minimum; the exact count is taken when the rule matches (rare).
    const gaps = rule.requests;
    if (gaps >= 2 && gaps + 1 <= this.histCount) {
      const h = this.history;
      const first = (this.histHead + this.histCount - gaps - 1) % h;
      const last = (first + gaps) % h;
      const mean = (this.histTimes[last] - this.histTimes[first]) / gaps;
      if (mean < rule.minGapMs) {
        if (out !== undefined) {
          out.gaps = gaps;
          out.meanGapMs = mean;
          out.cv = NaN; // not measured
          out.distinct = 0;
        }
        return false;
      }
    }
    const r = this.regularity(rule.requests, -1, out);
    if (!(r.gaps > 0 && r.cv <= rule.maxCv && r.meanGapMs >= rule.minGapMs)) return false;
    if (this.regularity(rule.requests, rule.maxCv, r, rule.minDistinct).distinct < rule.minDistinct) return false;
    this.regularity(rule.requests, rule.maxCv, r);
    return true;
  }

  /**
   * Whether the client is a steady poller at `now` (see PollerRule): O(requests × maxDistinct) compares plus a sort
   * of at most `requests` gaps, no allocation; the cheap window-wide conditions are checked first. Fills `out`.
   *
   * Example: if (score >= flag && w.isSteadyPoller(DEFAULT_POLLER_RULE, now)) allow('steady_poller');
   */
  isSteadyPoller(rule: Readonly<PollerRule>, now: number, out?: PollerCheck): boolean {
    const n = rule.requests;
    const maxD = rule.maxDistinct;
    const o = out ?? { requests: 0, distinct: 0, exceptions: 0, periodMs: 0, windowEndpoints: 0, windowQueries: 0, failed: '' };
    o.requests = 0;
    o.distinct = 0;
    o.exceptions = 0;
    o.periodMs = 0;
    this.evictBefore(now - this.windowMs);
    o.windowEndpoints = this.endpointCounts.size;
    o.windowQueries = this.windowQueries(now);
    if (!(n >= 2) || n > this.histCount) {
      o.failed = 'history';
      return false;
    }
    o.requests = n;
    if (o.windowEndpoints > rule.maxWindowDistinct) {
      o.failed = 'window_endpoints';
      return false;
    }
    if (o.windowQueries > rule.maxWindowDistinct) {
      o.failed = 'window_queries';
      return false;
    }
    const h = this.history;
    const first = (this.histHead + this.histCount - n) % h;
    let exc = 0;
    for (let i = 0, idx = first; i < n; i++, idx = idx + 1 === h ? 0 : idx + 1) exc += this.histExc[idx];
    o.exceptions = exc;
    if (exc > rule.maxExceptions) {
      o.failed = 'exceptions';
      return false;
    }
    // Distinct targets, and the gap since each request's previous request for the same target.
    const keys = this.histKeys;
    const qs = this.histQuery;
    const times = this.histTimes;
    let d = 0;
    let gaps = 0;
    for (let i = 0, idx = first; i < n; i++, idx = idx + 1 === h ? 0 : idx + 1) {
      const k = keys[idx];
      const q = qs[idx];
      let j = 0;
      while (j < d && !(qs[POLL_SEEN[j]] === q && keys[POLL_SEEN[j]] === k)) j++;
      const t = times[idx];
      if (j === d) {
        if (d === maxD) {
          o.distinct = d + 1;
          o.failed = 'distinct';
          return false;
        }
        POLL_SEEN[d] = idx;
        d++;
      } else POLL_GAPS[gaps++] = t - POLL_LAST[j];
      POLL_LAST[j] = t;
    }
    o.distinct = d;
    // Median gap per target (insertion sort: at most requests - 1 values).
    for (let i = 1; i < gaps; i++) {
      const v = POLL_GAPS[i];
      let j = i - 1;
      while (j >= 0 && POLL_GAPS[j] > v) {
        POLL_GAPS[j + 1] = POLL_GAPS[j];
        j--;
      }
      POLL_GAPS[j + 1] = v;
    }
    o.periodMs = gaps === 0 ? 0 : gaps & 1 ? POLL_GAPS[gaps >> 1] : (POLL_GAPS[(gaps >> 1) - 1] + POLL_GAPS[gaps >> 1]) / 2;
    if (gaps === 0 || o.periodMs < rule.minPeriodMs) {
      o.failed = 'period';
      return false;
    }
    o.failed = '';
    return true;
  }

  /** Events currently in the window. */
  get size(): number {
    return this.count;
  }

  /** Time of the newest event pushed (-Infinity before the first). */
  get lastEventTime(): number {
    return this.lastT;
  }

  /** Adds one request; evicts events older than `ev.t - windowMs`, and the oldest one if the cap is reached. */
  push(ev: BehaviourEvent): void {
    const t = ev.t < this.lastT ? this.lastT : ev.t;
    this.evictBefore(t - this.windowMs);
    if (this.count === this.maxEvents) this.evictOldest();
    else if (this.count === this.capacity) this.grow();

    let f = flagsOf(ev);
    if (this.count > 0 && this.hasLast && isSequentialId(this.lastPath, ev.path)) f |= FL_SEQ;

    if (this.count > 0) {
      const dt = (t - this.lastT) / 1000;
      this.iatSum += dt;
      this.iatSumSq += dt * dt;
      const lg = logGap(dt);
      this.lgSum += lg;
      this.lgSumSq += lg * lg;
    }

    const key = endpointKey(ev.method, ev.path);
    const slot = (this.head + this.count) % this.capacity;
    this.times[slot] = t;
    this.flags[slot] = f;
    this.keys[slot] = key;
    this.count++;

    const c = (this.endpointCounts.get(key) ?? 0) + 1;
    this.endpointCounts.set(key, c);
    this.sumCLogC += cLogC(c) - cLogC(c - 1);
    this.countFreq[c - 1]--;
    this.countFreq[c]++;
    if (c > this.maxCount) this.maxCount = c;
    if (f & FL_404) this.notFoundCounts.set(key, (this.notFoundCounts.get(key) ?? 0) + 1);
    this.addFlags(f, 1);

    const h = this.history;
    let hs: number;
    if (this.histCount === h) {
      hs = this.histHead;
      this.histHead = (this.histHead + 1) % h;
    } else {
      hs = (this.histHead + this.histCount) % h;
      this.histCount++;
    }
    this.histTimes[hs] = t;
    this.histKeys[hs] = key;
    const qh = ev.queryHash ?? 0;
    this.histQuery[hs] = qh;
    this.histExc[hs] = (f & (FL_BLOCK | FL_THROTTLE | FL_WRITE)) !== 0 || (ev.status >= 400 && ev.status < 500) ? 1 : 0;
    if (qh !== 0) this.seeQuery(qh, t);

    this.lastT = t;
    this.lastPath = ev.path;
    this.hasLast = true;

    if (++this.pushesSinceResync >= RESYNC_FACTOR * this.maxEvents) this.resync();
  }

  /**
   * Feature vector at time `now` in FEATURE_NAMES order (evicts events older than `now - windowMs` first).
   * Writes into `out` when given (no allocation); an empty window gives all zeros.
   */
  extract(now: number, out: Float64Array = new Float64Array(NUM_FEATURES)): Float64Array {
    this.evictBefore(now - this.windowMs);
    const n = this.count;
    if (n === 0) {
      out.fill(0, 0, NUM_FEATURES);
      return out;
    }
    const span = Math.max(now - this.times[this.head], MIN_RATE_SPAN_MS) / 1000;

    let iatVarLog = 0;
    let iatCvLog = 0; // "no evidence": log10 of 1, the coefficient of variation of a Poisson process
    let iatLogVar = 0;
    const m = n - 1;
    if (m >= 2) {
      const mean = this.iatSum / m;
      const variance = Math.max(0, this.iatSumSq / m - mean * mean);
      iatVarLog = Math.log1p(variance);
      const cv = mean > 0 ? Math.sqrt(variance) / mean : 0;
      iatCvLog = Math.log10(cv > MIN_CV ? cv : MIN_CV);
      const lm = this.lgSum / m;
      iatLogVar = Math.max(0, this.lgSumSq / m - lm * lm);
    }
    const entropy = Math.max(0, (Math.log(n) - this.sumCLogC / n) / Math.LN2);

    out[0] = Math.log1p(n);
    out[1] = Math.log1p(this.endpointCounts.size);
    out[2] = Math.log1p(n / span);
    out[3] = iatVarLog;
    out[4] = iatCvLog;
    out[5] = iatLogVar;
    out[6] = entropy;
    out[7] = this.maxCount / n;
    out[8] = this.nBlock / n;
    out[9] = this.nThrottle / n;
    out[10] = this.nError / n;
    out[11] = Math.log1p(this.notFoundCounts.size);
    out[12] = this.nWrite / n;
    out[13] = this.nSeq / n;
    return out;
  }

  /** Forgets every event (e.g. after a ban ends). */
  clear(): void {
    while (this.count > 0) this.evictOldest();
    this.histKeys.fill('');
    this.histHead = 0;
    this.histCount = 0;
    this.qUsed = 0;
    this.qOverUntil = -Infinity;
    this.hasLast = false;
    this.lastT = -Infinity;
  }

  /** Records query hash `qh` seen at `t` in the distinct-query table (O(table size), no allocation). */
  private seeQuery(qh: number, t: number): void {
    const hashes = this.qHash;
    const seen = this.qSeen;
    const used = this.qUsed;
    let lru = 0;
    for (let j = 0; j < used; j++) {
      if (hashes[j] === qh) {
        seen[j] = t;
        return;
      }
      if (seen[j] < seen[lru]) lru = j;
    }
    if (used < POLLER_MAX_DISTINCT) {
      hashes[used] = qh;
      seen[used] = t;
      this.qUsed = used + 1;
      return;
    }
    const gone = seen[lru] + this.windowMs; // the replaced query stays in the window until then
    if (gone >= t && gone > this.qOverUntil) this.qOverUntil = gone;
    hashes[lru] = qh;
    seen[lru] = t;
  }

  /** Distinct query strings among the window's events at `now` (POLLER_MAX_DISTINCT + 1 means "more"). */
  windowQueries(now: number): number {
    if (now <= this.qOverUntil) return POLLER_MAX_DISTINCT + 1;
    const cutoff = now - this.windowMs;
    let n = 0;
    for (let j = 0; j < this.qUsed; j++) if (this.qSeen[j] >= cutoff) n++;
    return n;
  }

  private addFlags(f: number, d: number): void {
    if (f & FL_BLOCK) this.nBlock += d;
    if (f & FL_THROTTLE) this.nThrottle += d;
    if (f & FL_ERROR) this.nError += d;
    if (f & FL_WRITE) this.nWrite += d;
    if (f & FL_SEQ) this.nSeq += d;
  }

  private evictBefore(cutoff: number): void {
    while (this.count > 0 && this.times[this.head] < cutoff) this.evictOldest();
  }

  private evictOldest(): void {
    const slot = this.head;
    const key = this.keys[slot];
    const f = this.flags[slot];
    this.keys[slot] = ''; // drop the reference
    this.head = (slot + 1) % this.capacity;
    this.count--;

    if (this.count > 0) {
      // The interval between the evicted event and the new oldest one leaves the window.
      const dt = (this.times[this.head] - this.times[slot]) / 1000;
      this.iatSum -= dt;
      this.iatSumSq -= dt * dt;
      const lg = logGap(dt);
      this.lgSum -= lg;
      this.lgSumSq -= lg * lg;
    } else {
      this.iatSum = 0;
      this.iatSumSq = 0;
      this.lgSum = 0;
      this.lgSumSq = 0;
    }

    const c = this.endpointCounts.get(key)!;
    if (c === 1) this.endpointCounts.delete(key);
    else this.endpointCounts.set(key, c - 1);
    this.sumCLogC += cLogC(c - 1) - cLogC(c);
    this.countFreq[c]--;
    this.countFreq[c - 1]++;
    if (c === this.maxCount && this.countFreq[c] === 0) this.maxCount = c - 1;
    if (f & FL_404) {
      const k = this.notFoundCounts.get(key)!;
      if (k === 1) this.notFoundCounts.delete(key);
      else this.notFoundCounts.set(key, k - 1);
    }
    this.addFlags(f, -1);
    if (this.count === 0) {
      this.sumCLogC = 0;
      this.countFreq.fill(0);
      this.maxCount = 0;
    }
  }

  /** Doubles the ring (up to maxEvents), unrolling it so the oldest event is at slot 0. */
  private grow(): void {
    const cap = Math.min(this.maxEvents, this.capacity * 2);
    const times = new Float64Array(cap);
    const flags = new Uint8Array(cap);
    const keys = new Array<string>(cap).fill('');
    for (let i = 0; i < this.count; i++) {
      const j = (this.head + i) % this.capacity;
      times[i] = this.times[j];
      flags[i] = this.flags[j];
      keys[i] = this.keys[j];
    }
    const freq = new Int32Array(cap + 2);
    freq.set(this.countFreq);
    this.times = times;
    this.flags = flags;
    this.keys = keys;
    this.countFreq = freq;
    this.capacity = cap;
    this.head = 0;
  }

  /** Recomputes the floating-point running sums exactly from the ring (amortised O(1) per push). */
  private resync(): void {
    this.pushesSinceResync = 0;
    let s = 0;
    let sq = 0;
    let ls = 0;
    let lsq = 0;
    for (let i = 1; i < this.count; i++) {
      const a = this.times[(this.head + i - 1) % this.capacity];
      const b = this.times[(this.head + i) % this.capacity];
      const dt = (b - a) / 1000;
      s += dt;
      sq += dt * dt;
      const lg = logGap(dt);
      ls += lg;
      lsq += lg * lg;
    }
    this.iatSum = s;
    this.iatSumSq = sq;
    this.lgSum = ls;
    this.lgSumSq = lsq;
    let e = 0;
    for (const c of this.endpointCounts.values()) e += cLogC(c);
    this.sumCLogC = e;
  }
}
