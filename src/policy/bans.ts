// Owns temporary bans: the in-memory ban manager of `serve` (escalating durations, O(1) check per request,
// capped), and the cheap `ban` pass that refuses banned clients with 403 BLOCK `banned` early in the pipeline.
//
// Example:
//   const bans = new BanManager({ baseMs: 300_000, maxMs: 86_400_000 });
//   bans.ban('203.0.113.9', 'anomaly', now);       // 5 min; next offence 10 min, then 20, ... up to maxMs
//   bans.check('203.0.113.9', now);                 // the active Ban, or undefined
//   const pass = banPass(bans);                     // put it right after identity/auth in the passes array
//
// Escalation: a ban counts as a repeat offence when the client's previous ban ended (expired) less than
// `maxMs` before the new one starts; otherwise the count starts again at 1. A ban an operator lifted does
// not count (lifting says "this was a mistake"). Duration = min(baseMs * 2^(offences-1), maxMs).
// Persistence is not done here: a BanSink (bans-store.ts) receives every change off the request path.

import type { Pass, RequestContext, Verdict } from '../gateway/pipeline.js';

export interface Ban {
  clientId: string;
  /** Why: 'anomaly' for behaviour bans, or an operator's reason. */
  reason: string;
  /** ms since the epoch. */
  created: number;
  expires: number;
  /** 1 for a first offence, 2 for the first repeat, ... */
  offences: number;
  /** ms when an operator lifted it; null while it stands. */
  lifted: number | null;
  /** Optional JSON (the explain of the decision that caused it). */
  detail: string | null;
}

/** Receives ban changes to persist them (called synchronously; implementations must defer the I/O). */
export interface BanSink {
  saveBan(ban: Ban): void;
  saveLift(clientId: string, at: number): void;
}

export interface BanManagerOptions {
  baseMs: number;
  maxMs: number;
  /** Most clients with ban history kept in memory (default 100,000); beyond it, expired entries go first. */
  maxEntries?: number;
  sink?: BanSink;
}

interface Entry {
  ban: Ban;
}

export class BanManager {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly maxEntries: number;
  sink: BanSink | undefined;
  /** client id → its latest ban (active, expired or lifted), the history escalation needs. */
  private readonly entries = new Map<string, Entry>();

  constructor(opts: BanManagerOptions) {
    if (!(opts.baseMs > 0)) throw new RangeError(`bans.baseMs must be > 0, got ${opts.baseMs}`);
    if (!(opts.maxMs >= opts.baseMs)) throw new RangeError(`bans.maxMs must be >= bans.baseMs, got ${opts.maxMs}`);
    this.baseMs = opts.baseMs;
    this.maxMs = opts.maxMs;
    this.maxEntries = opts.maxEntries ?? 100_000;
    this.sink = opts.sink;
  }

  /** Ban duration for the n-th offence. */
  durationFor(offences: number): number {
    const d = this.baseMs * Math.pow(2, Math.max(0, offences - 1));
    return Math.min(d, this.maxMs);
  }

  /** The client's standing ban at `now`, else undefined. One Map lookup: safe for the request path. */
  check(clientId: string, now: number): Ban | undefined {
    const e = this.entries.get(clientId);
    if (e === undefined) return undefined;
    const b = e.ban;
    return b.lifted === null && now < b.expires ? b : undefined;
  }

  /** Bans a client (or extends the standing ban as a repeat offence). Returns the new ban. */
  ban(clientId: string, reason: string, now: number, detail: string | null = null): Ban {
    const prev = this.entries.get(clientId)?.ban;
    let offences = 1;
    if (prev !== undefined && prev.lifted === null && now - prev.expires < this.maxMs) offences = prev.offences + 1;
    const ban: Ban = { clientId, reason, created: now, expires: now + this.durationFor(offences), offences, lifted: null, detail };
    this.put(ban, now);
    this.sink?.saveBan(ban);
    return ban;
  }

  /** Lifts a standing ban. Returns the lifted ban, or undefined when the client was not banned. */
  lift(clientId: string, now: number): Ban | undefined {
    const b = this.check(clientId, now);
    if (b === undefined) return undefined;
    b.lifted = now;
    this.sink?.saveLift(clientId, now);
    return b;
  }

  /** Applies a ban or lift that happened elsewhere (loaded at start, or seen by polling the store). */
  apply(ban: Ban, now: number): void {
    const prev = this.entries.get(ban.clientId)?.ban;
    if (prev !== undefined && prev.created > ban.created) return; // older news
    if (prev !== undefined && prev.created === ban.created) {
      prev.lifted = ban.lifted;
      prev.expires = ban.expires;
      return;
    }
    this.put({ ...ban }, now);
  }

  /** Standing bans at `now`, soonest expiry first. */
  list(now: number): Ban[] {
    const out: Ban[] = [];
    for (const e of this.entries.values()) if (e.ban.lifted === null && now < e.ban.expires) out.push({ ...e.ban });
    return out.sort((a, b) => a.expires - b.expires);
  }

  /** Clients with ban history in memory. */
  get size(): number {
    return this.entries.size;
  }

  private put(ban: Ban, now: number): void {
    const map = this.entries;
    map.delete(ban.clientId);
    if (map.size >= this.maxEntries) this.prune(now);
    map.set(ban.clientId, { ban });
  }

  /** Drops history that can no longer escalate, then (still at the cap) the oldest entries. */
  private prune(now: number): void {
    const map = this.entries;
    for (const [id, e] of map) {
      const b = e.ban;
      if (b.lifted !== null || now - b.expires >= this.maxMs) map.delete(id);
    }
    const it = map.keys();
    while (map.size >= this.maxEntries) {
      const k = it.next();
      if (k.done) break;
      map.delete(k.value);
    }
  }
}

/** Seconds left on a ban, for Retry-After (at least 1). */
export function retryAfterSeconds(ban: Ban, now: number): number {
  return Math.max(1, Math.ceil((ban.expires - now) / 1000));
}

/**
 * The pass that refuses banned clients: 403 BLOCK `banned` with Retry-After. Allow-listed clients are never
 * refused. Cost: one Map lookup per request (plus a small header array only when refusing).
 */
export function banPass(bans: BanManager): Pass {
  return {
    name: 'ban',
    run(ctx: RequestContext): Verdict | undefined {
      if (ctx.allowListed || ctx.clientId === null) return undefined;
      const b = bans.check(ctx.clientId, ctx.now);
      if (b === undefined) return undefined;
      return {
        decision: 'BLOCK',
        status: 403,
        reason: 'banned',
        message: `client is temporarily banned (${b.reason}); retry after ${new Date(b.expires).toISOString()}`,
        headers: [['retry-after', String(retryAfterSeconds(b, ctx.now))]],
      };
    },
  };
}
