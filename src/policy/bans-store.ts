// Owns the persistence of bans in SQLite (table `bans`, migration 3): deferred writes off the request path,
// loading standing bans at start, polling a change marker so `pathhelm bans lift` reaches a running `serve`
// within about a second, and the plain queries behind `pathhelm bans list|lift` and the admin API.
//
// Example:
//   const store = new BanStore(openDb(config.db));
//   const bans = new BanManager({ ...config.bans, sink: store });
//   store.loadInto(bans, Date.now());                 // standing bans + escalation history survive a restart
//   store.startPolling(bans, 500);                    // lifts/bans written by other processes
//   listBans(db, Date.now());  liftBan(db, '203.0.113.9', Date.now());
//
// The `seq` column is a change marker: every insert/update sets seq = max(seq) + 1 in its transaction, so a
// poll is one indexed `SELECT max(seq)` and a re-read of only the changed rows.

import type { Db } from '../telemetry/db.js';
import type { Ban, BanManager, BanSink } from './bans.js';

interface BanRow {
  id: number;
  client_id: string;
  reason: string;
  created: number;
  expires: number;
  offences: number;
  lifted: number | null;
  detail: string | null;
  seq: number;
}

function fromRow(r: BanRow): Ban {
  return { clientId: r.client_id, reason: r.reason, created: r.created, expires: r.expires, offences: r.offences, lifted: r.lifted, detail: r.detail };
}

const NEXT_SEQ = '(SELECT coalesce(max(seq), 0) + 1 FROM bans)';

/** Inserts a ban row (own transaction). */
export function insertBan(db: Db, b: Ban): void {
  db.prepare(
    `INSERT INTO bans (client_id, reason, created, expires, offences, lifted, detail, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ${NEXT_SEQ})`,
  ).run(b.clientId, b.reason, b.created, b.expires, b.offences, b.lifted, b.detail);
}

/**
 * Lifts the client's standing bans at `now`. Returns how many were lifted (0 when the client was not banned).
 *
 * Example: liftBan(db, 'key_3f9a', Date.now()) // 1
 */
export function liftBan(db: Db, clientId: string, now: number): number {
  const r = db
    .prepare(`UPDATE bans SET lifted = ?, seq = ${NEXT_SEQ} WHERE client_id = ? AND lifted IS NULL AND expires > ?`)
    .run(now, clientId, now);
  return r.changes;
}

/**
 * Standing bans at `now` (or every ban row with `all`), newest first.
 *
 * Example: listBans(db, Date.now()).map((b) => b.clientId)
 */
export function listBans(db: Db, now: number, opts: { all?: boolean; limit?: number } = {}): Ban[] {
  const limit = opts.limit ?? 1000;
  const rows = opts.all
    ? (db.prepare('SELECT * FROM bans ORDER BY created DESC, id DESC LIMIT ?').all(limit) as BanRow[])
    : (db.prepare('SELECT * FROM bans WHERE lifted IS NULL AND expires > ? ORDER BY created DESC, id DESC LIMIT ?').all(now, limit) as BanRow[]);
  return rows.map(fromRow);
}

/** Deferred, batched writer of ban changes + loader/poller for a running gateway. */
export class BanStore implements BanSink {
  private readonly db: Db;
  private queue: Array<{ kind: 'ban'; ban: Ban } | { kind: 'lift'; clientId: string; at: number }> = [];
  private scheduled = false;
  private lastSeq = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Failed writes (the ban still holds in memory). */
  failures = 0;
  lastError: string | null = null;

  constructor(db: Db) {
    this.db = db;
  }

  saveBan(ban: Ban): void {
    this.queue.push({ kind: 'ban', ban: { ...ban } });
    this.schedule();
  }

  saveLift(clientId: string, at: number): void {
    this.queue.push({ kind: 'lift', clientId, at });
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Writes every queued change in one transaction (called via setImmediate; tests may call it directly). */
  flush(): void {
    this.scheduled = false;
    const q = this.queue;
    if (q.length === 0) return;
    this.queue = [];
    try {
      this.db.transaction(() => {
        for (const c of q) {
          if (c.kind === 'ban') insertBan(this.db, c.ban);
          else liftBan(this.db, c.clientId, c.at);
        }
      }).immediate();
    } catch (err) {
      this.failures++;
      this.lastError = err instanceof Error ? err.message : String(err);
    }
  }

  /**
   * Loads standing bans and the history escalation needs (bans that ended less than maxMs ago) into `bans`.
   * Returns how many standing bans were loaded.
   */
  loadInto(bans: BanManager, now: number): number {
    const rows = this.db
      .prepare('SELECT * FROM bans WHERE expires > ? ORDER BY created ASC, id ASC')
      .all(now - bans.maxMs) as BanRow[];
    let standing = 0;
    for (const r of rows) {
      bans.apply(fromRow(r), now);
      if (r.lifted === null && r.expires > now) standing++;
      if (r.seq > this.lastSeq) this.lastSeq = r.seq;
    }
    const max = this.db.prepare('SELECT coalesce(max(seq), 0) AS m FROM bans').get() as { m: number };
    this.lastSeq = Math.max(this.lastSeq, max.m);
    return standing;
  }

  /** Applies rows changed since the last poll (by any process; re-applying our own is harmless). Returns them. */
  poll(bans: BanManager, now: number): Ban[] {
    const max = (this.db.prepare('SELECT coalesce(max(seq), 0) AS m FROM bans').get() as { m: number }).m;
    if (max <= this.lastSeq) return [];
    const rows = this.db.prepare('SELECT * FROM bans WHERE seq > ? ORDER BY seq ASC').all(this.lastSeq) as BanRow[];
    const changed = rows.map(fromRow);
    for (const b of changed) bans.apply(b, now);
    this.lastSeq = max;
    return changed;
  }

  /** Polls every `intervalMs` (unref'd timer); onLift is called with each client whose ban was lifted. */
  startPolling(bans: BanManager, intervalMs = 500, onLift?: (clientId: string) => void): void {
    this.stopPolling();
    this.timer = setInterval(() => {
      try {
        for (const b of this.poll(bans, Date.now())) if (b.lifted !== null && onLift) onLift(b.clientId);
      } catch (err) {
        this.failures++;
        this.lastError = err instanceof Error ? err.message : String(err);
      }
    }, intervalMs);
    this.timer.unref();
  }

  stopPolling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Flushes pending writes and stops polling (call on shutdown, before closing the db). */
  close(): void {
    this.stopPolling();
    this.flush();
  }
}
