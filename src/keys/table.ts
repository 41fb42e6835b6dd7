// Owns the in-memory key table `serve` authenticates against: a Map id → stored key, verified
// with a constant-time hash comparison, refreshed from SQLite when the change counter moves.
//
// Example:
//   const table = new KeyTable();
//   const watcher = watchKeys(db, table, { intervalMs: 250 }); // loads now, then polls the counter
//   const r = table.verify(presentedKey, now);                 // AUTH_OK / AUTH_INVALID / ...
//   if (r === AUTH_OK) ctx.keyId = table.last!.id;
//   watcher.stop();

import type { Db } from '../telemetry/db.js';
import { hashKey, keyIdOf, sameHash } from './format.js';
import { keysVersion, loadKeys, type StoredKey } from './store.js';

export const AUTH_OK = 0;
export const AUTH_INVALID = 1;
export const AUTH_REVOKED = 2;
export const AUTH_EXPIRED = 3;
export type AuthResult = typeof AUTH_OK | typeof AUTH_INVALID | typeof AUTH_REVOKED | typeof AUTH_EXPIRED;

/** A loaded key plus the exact key strings that already passed the hash check (see verify()). */
interface Entry {
  rec: StoredKey;
  verified: string | null;
  verifiedPrev: string | null;
}

/** Constant-time equality of two strings of equal length (no early exit on the first difference). */
function sameString(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export class KeyTable {
  private byId = new Map<string, Entry>();
  /** Change counter of the loaded snapshot (-1 before the first load). */
  version = -1;
  /** The key found by the last verify() (set for every result except AUTH_INVALID). */
  last: StoredKey | null = null;

  get size(): number {
    return this.byId.size;
  }

  get(id: string): StoredKey | undefined {
    return this.byId.get(id)?.rec;
  }

  /** Replaces the whole table at once (readers never see a half-loaded table). */
  replace(keys: readonly StoredKey[], version: number): void {
    const next = new Map<string, Entry>();
    for (const k of keys) next.set(k.id, { rec: k, verified: null, verifiedPrev: null });
    this.byId = next;
    this.version = version;
  }

  /**
   * Checks a presented key at `now`. A wrong secret is AUTH_INVALID whatever the key's status (no
   * status leaks without the secret); a right secret of a revoked/expired key says so. The previous
   * secret of a rotated key is accepted until its grace ends.
   *
   * The first request with a key pays a SHA-256 and a constant-time hash comparison; the key string
   * is then remembered with its entry (in memory only, until the next reload), and later requests
   * compare against it in constant time instead of hashing again (~0.75 µs saved per request).
   */
  verify(presented: string, now: number): AuthResult {
    this.last = null;
    const id = keyIdOf(presented);
    if (id === null) return AUTH_INVALID;
    const e = this.byId.get(id);
    if (e === undefined) return AUTH_INVALID;
    const k = e.rec;
    const prevLive = k.prevHash !== null && k.prevValidUntil !== null && now < k.prevValidUntil;
    if (e.verified !== null && sameString(presented, e.verified)) {
      // current secret, checked before
    } else if (prevLive && e.verifiedPrev !== null && sameString(presented, e.verifiedPrev)) {
      // previous secret within its grace, checked before
    } else {
      const h = hashKey(presented);
      if (sameHash(h, k.hash)) e.verified = presented;
      else if (prevLive && sameHash(h, k.prevHash as Buffer)) e.verifiedPrev = presented;
      else return AUTH_INVALID;
    }
    this.last = k;
    if (k.revokedAt !== null && now >= k.revokedAt) return AUTH_REVOKED;
    if (k.expiresAt !== null && now >= k.expiresAt) return AUTH_EXPIRED;
    return AUTH_OK;
  }
}

/** Loads the table from `db` if the change counter moved (or on first load). Returns true when it reloaded. */
export function refreshKeys(db: Db, table: KeyTable): boolean {
  const v = keysVersion(db);
  if (v === table.version) return false;
  // Read counter and rows in one snapshot so a write in between is picked up next time.
  db.transaction(() => {
    table.replace(loadKeys(db), keysVersion(db));
  })();
  return true;
}

export interface KeyWatcher {
  stop(): void;
  /** Reloads now if the counter moved (what the timer does). */
  check(): boolean;
  /** Reload failures so far (the previous table stays in use). */
  readonly errors: number;
  readonly lastError: string | null;
}

/**
 * Loads `table` from `db` now and re-checks the change counter every `intervalMs` (default 250 ms):
 * one tiny indexed read per tick, a full reload only when a key was added, revoked or rotated.
 * PRAGMA data_version is not used because telemetry writes from other connections move it too.
 */
export function watchKeys(db: Db, table: KeyTable, opts: { intervalMs?: number } = {}): KeyWatcher {
  refreshKeys(db, table);
  const state = { errors: 0, lastError: null as string | null };
  const check = (): boolean => {
    if (!db.open) {
      clearInterval(timer); // the owner closed the db (gateway shut down): stop polling
      return false;
    }
    try {
      return refreshKeys(db, table);
    } catch (err) {
      state.errors++;
      state.lastError = err instanceof Error ? err.message : String(err);
      return false;
    }
  };
  const timer = setInterval(check, opts.intervalMs ?? 250);
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    check,
    get errors() {
      return state.errors;
    },
    get lastError() {
      return state.lastError;
    },
  };
}
