// Owns where `pathhelm top` gets its data: the SQLite decision log (read-only, incremental by rowid)
// or a running gateway's admin API. A source seeds a TopModel once, then feeds it new rows per poll.
//
// Example:
//   const src = new DbSource('.pathhelm/pathhelm.db');
//   const model = new TopModel();
//   await src.init(model, Date.now());
//   setInterval(() => src.poll(model, Date.now()), 500);

import { openDb, type Db } from '../telemetry/db.js';
import {
  activeBans,
  clientAggregates,
  clientDetail,
  decisionsAfter,
  keyNames,
  lastDecisions,
  latestId,
  logSummary,
  rateBuckets,
  type ClientDetail,
  type FeedRow,
} from '../telemetry/queries.js';
import { PathHelmError } from '../errors.js';
import { CLIENT_CAP, FEED_CAP, RATE_SECONDS, type TopModel } from './model.js';

export interface TopSource {
  /** Shown in the header, e.g. `db .pathhelm/pathhelm.db`. */
  readonly label: string;
  init(model: TopModel, now: number): Promise<void>;
  /** Reads what is new into the model; returns the number of new rows. */
  poll(model: TopModel, now: number): Promise<number>;
  detail(clientIp: string, keyId: string | null): Promise<ClientDetail | null>;
  /** Gateway uptime when the source knows it (admin API), else null. */
  uptimeMs(now: number): number | null;
  /** Model label reported by the gateway, when the source knows it. */
  modelLabel(): string | null;
  /** What this source cannot show, if anything (shown in the footer). */
  note?(): string | null;
  close(): void;
}

/** Rows read per poll at most; a backlog (after a pause) is caught up over the next polls. */
export const POLL_BATCH = 50_000;
/**
 * Rows used to seed the header counts, the clients table and the sparkline at start: a rowid range,
 * so starting is equally quick on a log of a day at 10k/s (~10^9 rows) as on a fresh one.
 */
export const SEED_ROWS = 200_000;
const REFRESH_NAMES_MS = 5_000;

export class DbSource implements TopSource {
  readonly label: string;
  private db: Db;
  private lastNamesAt = 0;

  constructor(readonly path: string) {
    this.db = openDb(path, { readonly: true });
    this.label = `db ${path}`;
  }

  async init(model: TopModel, now: number): Promise<void> {
    this.db.transaction(() => {
      const upto = latestId(this.db);
      const from = Math.max(0, upto - SEED_ROWS);
      const since = (Math.floor(now / 1000) - RATE_SECONDS + 1) * 1000;
      model.seed(logSummary(this.db, upto, from), upto, clientAggregates(this.db, from, upto, CLIENT_CAP), {
        since,
        counts: rateBuckets(this.db, since, now + 1, 1000, from, upto),
      });
      model.seedFeed(lastDecisions(this.db, FEED_CAP, upto));
    })();
    this.refreshNames(model, now);
  }

  async poll(model: TopModel, now: number): Promise<number> {
    const rows = decisionsAfter(this.db, model.lastId, POLL_BATCH);
    model.ingest(rows);
    if (now - this.lastNamesAt >= REFRESH_NAMES_MS) this.refreshNames(model, now);
    return rows.length;
  }

  async detail(clientIp: string, keyId: string | null): Promise<ClientDetail> {
    return clientDetail(this.db, clientIp, keyId);
  }

  uptimeMs(): number | null {
    return null;
  }

  modelLabel(): string | null {
    return null;
  }

  close(): void {
    this.db.close();
  }

  private refreshNames(model: TopModel, now: number): void {
    this.lastNamesAt = now;
    model.keyNames = keyNames(this.db);
    model.banned = activeBans(this.db, now);
  }
}

/**
 * Reads a running gateway's admin API: `/_pathhelm/status` (uptime, mode, totals since the gateway
 * started) and `/_pathhelm/recent?after=ID` (new decision rows: feed, clients, rates, latency).
 * A gateway without /recent still gives the header (status); the note says what is missing.
 * The client detail needs the decision log itself (`--db`).
 */
export class UrlSource implements TopSource {
  readonly label: string;
  private base: string;
  private startedAt: number | null = null;
  private hasRecent = true;
  private status: Record<string, unknown> | null = null;
  private behaviour: Record<string, unknown> | null = null;
  private behaviourAt = -Infinity;

  constructor(
    url: string,
    private readonly token: string | null = process.env.PATHHELM_ADMIN_TOKEN ?? null,
  ) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new PathHelmError('PH_ERR_USAGE', `--url must be the gateway's base URL like http://127.0.0.1:8000, got "${url}"`);
    }
    this.base = (u.origin + u.pathname).replace(/\/+$/, '').replace(/\/_pathhelm(\/.*)?$/, '');
    this.label = `url ${this.base}`;
  }

  private async get(path: string): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(this.base + path, { headers, signal: AbortSignal.timeout(3000) });
    } catch (err) {
      throw new PathHelmError('PH_ERR_UPSTREAM_UNAVAILABLE', `cannot reach the admin API at ${this.base}${path}: ${(err as Error).message}`);
    }
    if (res.status === 404) return undefined;
    if (res.status === 401 || res.status === 403) {
      throw new PathHelmError('PH_ERR_USAGE', `${this.base}${path} answered ${res.status}: set PATHHELM_ADMIN_TOKEN to the gateway's admin.token`);
    }
    if (!res.ok) throw new PathHelmError('PH_ERR_UPSTREAM_UNAVAILABLE', `${this.base}${path} answered ${res.status}`);
    return res.json();
  }

  async init(model: TopModel, now: number): Promise<void> {
    await this.readStatus(now);
    const r = await this.recent(0, FEED_CAP, true);
    if (r) {
      // The newest rows seed the feed and the clients table (totals come from status below).
      if (r.rows.length) model.lastId = r.rows[0].id - 1;
      model.ingest(r.rows);
      model.lastId = Math.max(model.lastId, r.lastId);
    }
    this.applyTotals(model);
  }

  async poll(model: TopModel, now: number): Promise<number> {
    let n = 0;
    if (this.hasRecent) {
      for (let round = 0; round < 10; round++) {
        const r = await this.recent(model.lastId, 5000, false);
        if (!r || r.rows.length === 0) break;
        model.ingest(r.rows);
        n += r.rows.length;
        if (r.rows.length < 5000) break;
      }
    }
    await this.readStatus(now);
    this.applyTotals(model);
    return n;
  }

  private async recent(after: number, limit: number, tail: boolean): Promise<{ rows: FeedRow[]; lastId: number } | null> {
    const body = (await this.get(`/_pathhelm/recent?after=${after}&limit=${limit}${tail ? '&tail=1' : ''}`)) as
      | { rows: FeedRow[]; lastId: number }
      | undefined;
    if (!body || !Array.isArray(body.rows)) {
      this.hasRecent = false;
      return null;
    }
    return body;
  }

  private async readStatus(now: number): Promise<void> {
    if (now - this.behaviourAt >= 5000) {
      // The live model (path, thresholds) when the gateway runs the behaviour engine; 404 on older ones.
      this.behaviourAt = now;
      this.behaviour = ((await this.get('/_pathhelm/behaviour').catch(() => undefined)) as Record<string, unknown> | undefined) ?? null;
    }
    const s = (await this.get('/_pathhelm/status')) as Record<string, unknown> | undefined;
    if (!s) throw new PathHelmError('PH_ERR_NOT_FOUND', `${this.base}/_pathhelm/status not found: is this a PathHelm gateway?`);
    this.status = s;
    const up = pickNumber(s, ['uptimeMs']);
    if (up !== null) this.startedAt = now - up;
  }

  /** The gateway's own counters (since it started) are the header totals in this mode. */
  private applyTotals(model: TopModel): void {
    if (typeof this.status?.mode === 'string') model.mode = this.status.mode;
    const t = this.status?.totals as Record<string, unknown> | undefined;
    if (!t) return;
    const n = (k: string) => (typeof t[k] === 'number' ? (t[k] as number) : 0);
    model.byDecision = { ALLOW: n('ALLOW'), THROTTLE: n('THROTTLE'), BLOCK: n('BLOCK') };
    model.total = typeof t.requests === 'number' ? t.requests : n('ALLOW') + n('THROTTLE') + n('BLOCK');
    if (this.startedAt !== null) model.countsSinceTs = this.startedAt;
  }

  async detail(): Promise<ClientDetail | null> {
    return null;
  }

  uptimeMs(now: number): number | null {
    return this.startedAt === null ? null : now - this.startedAt;
  }

  modelLabel(): string | null {
    if (this.behaviour && 'model' in this.behaviour) {
      const bm = this.behaviour.model as { path?: unknown } | null;
      if (bm === null) return 'none';
      if (typeof bm.path === 'string') return bm.path.split('/').pop()!;
    }
    const m = this.status?.model;
    if (typeof m === 'string') return m;
    if (m && typeof m === 'object') {
      const o = m as Record<string, unknown>;
      const v = o.file ?? o.path ?? o.name;
      return typeof v === 'string' ? v.split('/').pop()! : 'loaded';
    }
    return null;
  }

  /** What this source cannot show (shown in the footer). */
  note(): string | null {
    return this.hasRecent ? null : 'this gateway has no /_pathhelm/recent: header only (use --db for the feed)';
  }

  close(): void {}
}

function pickNumber(o: Record<string, unknown>, keys: string[]): number | null {
  for (const k of keys) if (typeof o[k] === 'number') return o[k] as number;
  return null;
}
