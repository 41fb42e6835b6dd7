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
  close(): void;
}

/** Rows read per poll at most; a backlog (after a pause) is caught up over the next polls. */
export const POLL_BATCH = 50_000;
/** Rows used to seed the clients table and the sparkline at start (a rowid range: cheap at any size). */
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
      model.seed(logSummary(this.db, upto), upto, clientAggregates(this.db, from, upto, CLIENT_CAP), {
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
 * Reads a running gateway's admin API: `/_pathhelm/status` (uptime, mode, model) and
 * `/_pathhelm/recent?after=ID&limit=N` (new decision rows) when the gateway has it, else only
 * `/_pathhelm/analytics` totals (no live feed).
 */
export class UrlSource implements TopSource {
  readonly label: string;
  private base: string;
  private startedAt: number | null = null;
  private model: string | null = null;
  private hasRecent = true;
  private lastStatusAt = 0;

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
    this.base = u.origin + u.pathname.replace(/\/(_pathhelm\/?.*)?$/, '');
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
    if (!res.ok) throw new PathHelmError('PH_ERR_UPSTREAM_UNAVAILABLE', `${this.base}${path} answered ${res.status}`);
    return res.json();
  }

  async init(model: TopModel, now: number): Promise<void> {
    await this.status(now);
    const a = (await this.get('/_pathhelm/analytics')) as
      | { total?: number; byDecision?: { ALLOW: number; THROTTLE: number; BLOCK: number }; since?: number | null }
      | undefined;
    if (a && typeof a.total === 'number' && a.byDecision) {
      model.total = a.total;
      model.byDecision = { ...a.byDecision };
    }
    const r = await this.recent(0, FEED_CAP, true);
    if (r) {
      model.seedFeed(r.rows);
      model.lastId = r.lastId;
    }
  }

  async poll(model: TopModel, now: number): Promise<number> {
    if (now - this.lastStatusAt >= 2000) await this.status(now);
    if (!this.hasRecent) return 0;
    let n = 0;
    for (let round = 0; round < 10; round++) {
      const r = await this.recent(model.lastId, 5000, false);
      if (!r || r.rows.length === 0) break;
      model.ingest(r.rows);
      n += r.rows.length;
      if (r.rows.length < 5000) break;
    }
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

  private async status(now: number): Promise<void> {
    this.lastStatusAt = now;
    const s = (await this.get('/_pathhelm/status')) as Record<string, unknown> | undefined;
    if (!s) return;
    const up = pickNumber(s, ['uptimeMs', 'uptime_ms']) ?? (pickNumber(s, ['uptime', 'uptimeS']) ?? NaN) * 1000;
    if (Number.isFinite(up)) this.startedAt = now - up;
    const started = pickNumber(s, ['startedAt', 'started_at', 'startTime']);
    if (started !== null) this.startedAt = started;
    const m = s.model;
    this.model =
      typeof m === 'string' ? m
      : m && typeof m === 'object' ? String((m as Record<string, unknown>).path ?? (m as Record<string, unknown>).name ?? (m as Record<string, unknown>).file ?? 'loaded')
      : m === null ? 'none' : this.model;
  }

  async detail(): Promise<ClientDetail | null> {
    return null;
  }

  uptimeMs(now: number): number | null {
    return this.startedAt === null ? null : now - this.startedAt;
  }

  modelLabel(): string | null {
    return this.model;
  }

  close(): void {}
}

function pickNumber(o: Record<string, unknown>, keys: string[]): number | null {
  for (const k of keys) if (typeof o[k] === 'number') return o[k] as number;
  return null;
}
