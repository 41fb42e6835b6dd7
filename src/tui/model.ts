// Owns the in-memory state of `pathhelm top`: bounded aggregates fed incrementally with new decision
// rows (feed ring, per-client LRU aggregates, per-second rate ring, latency ring), plus filter and sort.
// No I/O here: a source (src/tui/source.ts) seeds and feeds it; the views render what view() returns.
//
// Example:
//   const m = new TopModel();
//   m.ingest(decisionsAfter(db, m.lastId, 20_000));
//   const v = m.view(Date.now(), { filter: parseFilter('decision:BLOCK'), sort: 'requests' });
//   v.clients[0].clientIp; v.feed.at(-1)?.reason; v.rate; v.spark;
//
// Memory is bounded whatever the traffic: FEED_CAP rows, CLIENT_CAP clients (least recently seen
// evicted), RATE_SECONDS per-second counters, LATENCY_CAP latencies.

import type { ClientAggregate, FeedRow, LogSummary } from '../telemetry/queries.js';

export const FEED_CAP = 500;
export const CLIENT_CAP = 5_000;
export const RATE_SECONDS = 600;
export const LATENCY_CAP = 10_000;

export type SortKey = 'requests' | 'blocked' | 'throttled' | 'score' | 'recent';
export const SORT_KEYS: SortKey[] = ['requests', 'blocked', 'throttled', 'score', 'recent'];

export interface ClientRow extends ClientAggregate {
  keyName: string | null;
  banned: boolean;
}

export interface Filter {
  text: string;
  feed(row: FeedRow, keyName: string | null): boolean;
  client(row: ClientRow): boolean;
}

export const NO_FILTER: Filter = { text: '', feed: () => true, client: () => true };

const DECISIONS = new Set(['ALLOW', 'THROTTLE', 'BLOCK']);

/**
 * Parses a filter: space-separated terms, all must match. A term is `ip:TEXT`, `key:TEXT`,
 * `decision:ALLOW|THROTTLE|BLOCK` (or just the decision word), `path:TEXT`, or bare text matching
 * ip, key id, key name or path (case-insensitive substring).
 *
 * Example: `parseFilter('block path:/login').feed(row, null)`
 */
export function parseFilter(text: string): Filter {
  const terms = text
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((t) => {
      const m = /^(ip|key|decision|dec|path|reason):(.*)$/i.exec(t);
      let field = m ? m[1].toLowerCase() : 'any';
      let value = (m ? m[2] : t).toLowerCase();
      if (field === 'dec') field = 'decision';
      if (field === 'any' && DECISIONS.has(value.toUpperCase())) field = 'decision';
      if (field === 'decision') value = value.toUpperCase();
      return { field, value };
    });
  if (terms.length === 0) return NO_FILTER;
  const has = (s: string | null, v: string) => s !== null && s.toLowerCase().includes(v);
  return {
    text: text.trim(),
    feed(row, keyName) {
      for (const t of terms) {
        const ok =
          t.field === 'ip' ? has(row.clientIp, t.value)
          : t.field === 'key' ? has(row.keyId, t.value) || has(keyName, t.value)
          : t.field === 'decision' ? row.decision === t.value
          : t.field === 'path' ? has(row.path, t.value)
          : t.field === 'reason' ? has(row.reason, t.value)
          : has(row.clientIp, t.value) || has(row.keyId, t.value) || has(keyName, t.value) || has(row.path, t.value);
        if (!ok) return false;
      }
      return true;
    },
    client(row) {
      for (const t of terms) {
        const ok =
          t.field === 'ip' ? has(row.clientIp, t.value)
          : t.field === 'key' ? has(row.keyId, t.value) || has(row.keyName, t.value)
          : t.field === 'decision'
            ? t.value === 'BLOCK' ? row.blocked > 0
            : t.value === 'THROTTLE' ? row.throttled > 0
            : row.requests - row.blocked - row.throttled > 0
          : t.field === 'path' || t.field === 'reason' ? true // clients are not per path: keep them
          : has(row.clientIp, t.value) || has(row.keyId, t.value) || has(row.keyName, t.value);
        if (!ok) return false;
      }
      return true;
    },
  };
}

export interface TopView {
  firstTs: number | null;
  /** Decisions counted in byDecision (since countsSinceTs). */
  total: number;
  /** Start of the counted window: the first seeded row (db) or the gateway's start (admin API). */
  countsSinceTs: number | null;
  byDecision: { ALLOW: number; THROTTLE: number; BLOCK: number };
  mode: string | null;
  /** Requests per second over the last 5 complete seconds. */
  rate: number;
  /** Requests in each of the last RATE_SECONDS complete seconds, oldest first. */
  perSecond: number[];
  /** Gateway latency percentiles over the last LATENCY_CAP decisions. */
  p50: number | null;
  p99: number | null;
  clients: ClientRow[];
  /** Matching clients before truncation to `maxClients`. */
  clientCount: number;
  /** Newest last. */
  feed: FeedRow[];
  lastId: number;
}

export interface ViewOptions {
  filter?: Filter;
  sort?: SortKey;
  maxClients?: number;
  maxFeed?: number;
}

export class TopModel {
  lastId = 0;
  firstTs: number | null = null;
  total = 0;
  countsSinceTs: number | null = null;
  byDecision = { ALLOW: 0, THROTTLE: 0, BLOCK: 0 };
  mode: string | null = null;
  keyNames = new Map<string, string>();
  banned = new Set<string>();

  private feed: FeedRow[] = [];
  private feedHead = 0; // index of the oldest row once the ring is full
  private clients = new Map<string, ClientAggregate>();
  private rateSec = new Float64Array(RATE_SECONDS);
  private rateCount = new Uint32Array(RATE_SECONDS);
  private lat = new Float64Array(LATENCY_CAP);
  private latN = 0;
  private latHead = 0;

  constructor(
    private readonly caps = { feed: FEED_CAP, clients: CLIENT_CAP },
  ) {}

  /** Starts from a summary of the log plus recent aggregates (rows up to summaryId are counted). */
  seed(summary: LogSummary, uptoId: number, clients: ClientAggregate[], perSecond: { since: number; counts: number[] }): void {
    this.firstTs = summary.firstTs;
    this.total = summary.total;
    this.countsSinceTs = summary.countedSinceTs;
    this.byDecision = { ...summary.byDecision };
    this.mode = summary.mode;
    this.lastId = uptoId;
    for (const c of clients.slice(0, this.caps.clients)) this.clients.set(clientKey(c.clientIp, c.keyId), { ...c });
    const sec0 = Math.floor(perSecond.since / 1000);
    perSecond.counts.forEach((n, i) => this.addRate(sec0 + i, n));
  }

  /** Adds rows to the feed only (history shown at start; already counted by seed()). */
  seedFeed(rows: FeedRow[]): void {
    for (const r of rows) {
      this.pushFeed(r);
      this.pushLatency(r.latencyMs);
    }
  }

  /** Counts new rows (rowid order) into every aggregate. */
  ingest(rows: FeedRow[]): void {
    for (const r of rows) {
      if (r.id <= this.lastId) continue;
      this.lastId = r.id;
      this.total++;
      if (r.decision in this.byDecision) this.byDecision[r.decision]++;
      if (this.firstTs === null || r.ts < this.firstTs) this.firstTs = r.ts;
      if (this.countsSinceTs === null) this.countsSinceTs = r.ts;
      this.mode = r.mode;
      this.pushFeed(r);
      this.pushLatency(r.latencyMs);
      this.addRate(Math.floor(r.ts / 1000), 1);
      const k = clientKey(r.clientIp, r.keyId);
      let c = this.clients.get(k);
      if (c) this.clients.delete(k); // re-insert: Map order is least-recently-seen first
      else c = { clientIp: r.clientIp, keyId: r.keyId, requests: 0, throttled: 0, blocked: 0, maxScore: null, lastTs: 0 };
      c.requests++;
      if (r.decision === 'THROTTLE') c.throttled++;
      else if (r.decision === 'BLOCK') c.blocked++;
      if (r.score !== null && (c.maxScore === null || r.score > c.maxScore)) c.maxScore = r.score;
      if (r.ts > c.lastTs) c.lastTs = r.ts;
      this.clients.set(k, c);
      if (this.clients.size > this.caps.clients) {
        const oldest = this.clients.keys().next().value;
        if (oldest !== undefined) this.clients.delete(oldest);
      }
    }
  }

  /** One client's aggregate with its key name and ban flag (for the detail view). */
  clientRow(clientIp: string, keyId: string | null): ClientRow | null {
    const c = this.clients.get(clientKey(clientIp, keyId));
    if (!c) return null;
    return {
      ...c,
      keyName: keyId !== null ? (this.keyNames.get(keyId) ?? null) : null,
      banned: this.banned.has(clientIp) || (keyId !== null && this.banned.has(keyId)),
    };
  }

  get clientCount(): number {
    return this.clients.size;
  }

  get feedSize(): number {
    return this.feed.length;
  }

  view(now: number, opts: ViewOptions = {}): TopView {
    const filter = opts.filter ?? NO_FILTER;
    const sort = opts.sort ?? 'requests';
    const nowSec = Math.floor(now / 1000);
    let last5 = 0;
    for (let s = nowSec - 5; s < nowSec; s++) last5 += this.rateAt(s);

    const perSecond: number[] = new Array(RATE_SECONDS);
    for (let i = 0; i < RATE_SECONDS; i++) perSecond[i] = this.rateAt(nowSec - RATE_SECONDS + i);

    const rows: ClientRow[] = [];
    for (const c of this.clients.values()) {
      const row: ClientRow = {
        ...c,
        keyName: c.keyId !== null ? (this.keyNames.get(c.keyId) ?? null) : null,
        banned: this.banned.has(c.clientIp) || (c.keyId !== null && this.banned.has(c.keyId)),
      };
      if (filter.client(row)) rows.push(row);
    }
    rows.sort(comparator(sort));
    const clients = rows.slice(0, opts.maxClients ?? 50);

    const maxFeed = opts.maxFeed ?? 100;
    const feed: FeedRow[] = [];
    const n = this.feed.length;
    for (let i = n - 1; i >= 0 && feed.length < maxFeed; i--) {
      const r = this.feed[(this.feedHead + i) % n];
      if (filter.feed(r, r.keyId !== null ? (this.keyNames.get(r.keyId) ?? null) : null)) feed.push(r);
    }
    feed.reverse();

    const [p50, p99] = this.latencyPercentiles([0.5, 0.99]);
    return {
      firstTs: this.firstTs,
      total: this.total,
      countsSinceTs: this.countsSinceTs,
      byDecision: { ...this.byDecision },
      mode: this.mode,
      rate: last5 / 5,
      perSecond,
      p50,
      p99,
      clients,
      clientCount: rows.length,
      feed,
      lastId: this.lastId,
    };
  }

  private pushFeed(r: FeedRow): void {
    if (this.feed.length < this.caps.feed) {
      this.feed.push(r);
    } else {
      this.feed[this.feedHead] = r;
      this.feedHead = (this.feedHead + 1) % this.caps.feed;
    }
  }

  private pushLatency(ms: number): void {
    this.lat[this.latHead] = ms;
    this.latHead = (this.latHead + 1) % LATENCY_CAP;
    if (this.latN < LATENCY_CAP) this.latN++;
  }

  private latencyPercentiles(qs: number[]): Array<number | null> {
    if (this.latN === 0) return qs.map(() => null);
    const sorted = this.lat.slice(0, this.latN).sort();
    return qs.map((q) => sorted[Math.min(this.latN - 1, Math.max(0, Math.ceil(q * this.latN) - 1))]);
  }

  private addRate(sec: number, n: number): void {
    const i = ((sec % RATE_SECONDS) + RATE_SECONDS) % RATE_SECONDS;
    if (this.rateSec[i] !== sec) {
      if (this.rateSec[i] > sec && this.rateCount[i] > 0) return; // older than the ring: drop
      this.rateSec[i] = sec;
      this.rateCount[i] = 0;
    }
    this.rateCount[i] += n;
  }

  private rateAt(sec: number): number {
    const i = ((sec % RATE_SECONDS) + RATE_SECONDS) % RATE_SECONDS;
    return this.rateSec[i] === sec ? this.rateCount[i] : 0;
  }
}

export function clientKey(ip: string, keyId: string | null): string {
  return keyId === null ? ip : `${ip}\u0000${keyId}`;
}

function comparator(sort: SortKey): (a: ClientRow, b: ClientRow) => number {
  const tie = (a: ClientRow, b: ClientRow) => b.requests - a.requests || a.clientIp.localeCompare(b.clientIp);
  switch (sort) {
    case 'blocked':
      return (a, b) => b.blocked - a.blocked || tie(a, b);
    case 'throttled':
      return (a, b) => b.throttled - a.throttled || tie(a, b);
    case 'score':
      return (a, b) => (b.maxScore ?? -1) - (a.maxScore ?? -1) || tie(a, b);
    case 'recent':
      return (a, b) => b.lastTs - a.lastTs || tie(a, b);
    default:
      return tie;
  }
}
