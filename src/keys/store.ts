// Owns API keys in SQLite: add, list, revoke, rotate, the change counter `serve` polls, and the
// one-time demo key. Only a hash of each key is stored; the key itself is returned once.
//
// Example:
//   const db = openDb('./.pathhelm/pathhelm.db');
//   const { key, record } = addKey(db, { name: 'mobile-app', rates: [{ limit: 50, windowMs: 1000 }] }, Date.now());
//   console.log(key);                        // shown once, never stored
//   listKeys(db, Date.now());                // [{ id, name, status: 'active', ... }] (no secrets, no hashes)
//   rotateKey(db, record.id, 3_600_000, Date.now()); // new key; the old one works for 1 h more

import type { RateWindow } from '../config/types.js';
import { PathHelmError } from '../errors.js';
import type { Db } from '../telemetry/db.js';
import { generateKey, generateKeyFor, hashKey } from './format.js';

export type KeyStatus = 'active' | 'revoked' | 'expired' | 'rotating';

/** A key as stored (hashes included): what the in-memory table of `serve` holds. */
export interface StoredKey {
  id: string;
  name: string;
  hash: Buffer;
  prevHash: Buffer | null;
  prevValidUntil: number | null;
  rates: RateWindow[] | null;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  rotatedAt: number | null;
}

/** A key as shown to people: never a secret or a hash. */
export interface KeyInfo {
  id: string;
  name: string;
  status: KeyStatus;
  rates: RateWindow[] | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  rotatedAt: string | null;
  /** While rotating: when the previous secret stops working. */
  previousValidUntil: string | null;
}

interface Row {
  id: string;
  name: string;
  hash: Buffer;
  prev_hash: Buffer | null;
  prev_valid_until: number | null;
  rates: string | null;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  rotated_at: number | null;
}

export const MAX_KEY_NAME = 100;

function fromRow(r: Row): StoredKey {
  return {
    id: r.id,
    name: r.name,
    hash: r.hash,
    prevHash: r.prev_hash,
    prevValidUntil: r.prev_valid_until,
    rates: r.rates ? (JSON.parse(r.rates) as RateWindow[]) : null,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    rotatedAt: r.rotated_at,
  };
}

/** Status at `now`: revoked > expired > rotating (previous secret still valid) > active. */
export function keyStatus(k: StoredKey, now: number): KeyStatus {
  if (k.revokedAt !== null) return 'revoked';
  if (k.expiresAt !== null && now >= k.expiresAt) return 'expired';
  if (k.prevHash !== null && k.prevValidUntil !== null && now < k.prevValidUntil) return 'rotating';
  return 'active';
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function toInfo(k: StoredKey, now: number): KeyInfo {
  const status = keyStatus(k, now);
  return {
    id: k.id,
    name: k.name,
    status,
    rates: k.rates,
    createdAt: iso(k.createdAt) as string,
    expiresAt: iso(k.expiresAt),
    revokedAt: iso(k.revokedAt),
    rotatedAt: iso(k.rotatedAt),
    previousValidUntil: status === 'rotating' ? iso(k.prevValidUntil) : null,
  };
}

export interface AddKeyOptions {
  name: string;
  /** Per-key windows overriding config rateLimit.key; null/empty = config defaults. */
  rates?: RateWindow[] | null;
  /** Lifetime in ms from now; null = never expires. */
  expiresInMs?: number | null;
}

function checkName(name: string): void {
  if (!name || name.length > MAX_KEY_NAME || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new PathHelmError('PH_ERR_USAGE', `key name must be 1–${MAX_KEY_NAME} printable characters, got ${JSON.stringify(name)}`);
  }
}

/** Stores a new key (hash only) and returns the key, shown once. */
export function addKey(db: Db, opts: AddKeyOptions, now: number): { key: string; record: StoredKey } {
  checkName(opts.name);
  if (opts.expiresInMs !== undefined && opts.expiresInMs !== null && !(opts.expiresInMs > 0)) {
    throw new PathHelmError('PH_ERR_USAGE', `--expires must be a positive duration like "30d", got ${opts.expiresInMs} ms`);
  }
  const rates = opts.rates && opts.rates.length ? opts.rates : null;
  const insert = db.prepare(
    `INSERT INTO api_keys (id, name, hash, rates, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  for (let attempt = 0; attempt < 5; attempt++) {
    const { id, key } = generateKey();
    try {
      const expiresAt = opts.expiresInMs ? now + opts.expiresInMs : null;
      insert.run(id, opts.name, hashKey(key), rates ? JSON.stringify(rates) : null, now, expiresAt);
      return { key, record: getKey(db, id) };
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') continue; // id collision: draw again
      throw err;
    }
  }
  throw new PathHelmError('PH_ERR_INTERNAL', 'could not draw a unique key id after 5 attempts');
}

export function getKey(db: Db, id: string): StoredKey {
  const row = db.prepare('SELECT * FROM api_keys WHERE id = ?').get(id) as Row | undefined;
  if (!row) throw new PathHelmError('PH_ERR_KEY_NOT_FOUND', `no API key with id "${id}" (see \`pathhelm keys list\`)`);
  return fromRow(row);
}

/** Every stored key, oldest first (hashes included; for the in-memory table). */
export function loadKeys(db: Db): StoredKey[] {
  return (db.prepare('SELECT * FROM api_keys ORDER BY created_at, id').all() as Row[]).map(fromRow);
}

/** Every key as shown to people (no secrets, no hashes). */
export function listKeys(db: Db, now: number): KeyInfo[] {
  return loadKeys(db).map((k) => toInfo(k, now));
}

/** Revokes a key at `now` (both its current and any previous secret). Revoking twice is a no-op. */
export function revokeKey(db: Db, id: string, now: number): { record: StoredKey; alreadyRevoked: boolean } {
  const k = getKey(db, id);
  if (k.revokedAt !== null) return { record: k, alreadyRevoked: true };
  db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ?').run(now, id);
  return { record: getKey(db, id), alreadyRevoked: false };
}

/**
 * Gives a key a new secret; the current one keeps working for `graceMs` (0 = stops at once).
 * Only one previous secret is kept: rotating again within the grace ends the older one.
 */
export function rotateKey(db: Db, id: string, graceMs: number, now: number): { key: string; record: StoredKey } {
  if (!(graceMs >= 0)) throw new PathHelmError('PH_ERR_USAGE', `--grace must be a duration ≥ 0 like "1h", got ${graceMs} ms`);
  const k = getKey(db, id);
  const status = keyStatus(k, now);
  if (status === 'revoked') throw new PathHelmError('PH_ERR_USAGE', `key ${id} is revoked and cannot be rotated; add a new key with \`pathhelm keys add\``);
  if (status === 'expired') throw new PathHelmError('PH_ERR_USAGE', `key ${id} has expired and cannot be rotated; add a new key with \`pathhelm keys add\``);
  const key = generateKeyFor(id);
  db.prepare(
    'UPDATE api_keys SET hash = ?, prev_hash = ?, prev_valid_until = ?, rotated_at = ? WHERE id = ?',
  ).run(hashKey(key), graceMs > 0 ? k.hash : null, graceMs > 0 ? now + graceMs : null, now, id);
  return { key, record: getKey(db, id) };
}

/** The change counter: bumped by triggers on every insert/update/delete of api_keys. */
export function keysVersion(db: Db): number {
  const row = db.prepare(`SELECT value FROM api_key_meta WHERE name = 'version'`).get() as { value: number } | undefined;
  return row ? Number(row.value) : 0;
}

export type DemoKeyResult =
  | { created: true; id: string; key: string }
  | { created: false; id: string | null };

/**
 * Creates the demo key (name `demo`) on the first `serve --demo` against this file; later runs
 * get `{ created: false, id }` (the key was shown once and is not stored).
 */
export function ensureDemoKey(db: Db, now: number): DemoKeyResult {
  return db
    .transaction((): DemoKeyResult => {
      const row = db.prepare(`SELECT value FROM api_key_meta WHERE name = 'demo_key_id'`).get() as { value: string } | undefined;
      if (row) return { created: false, id: String(row.value) };
      const { key, record } = addKey(db, { name: 'demo' }, now);
      db.prepare(`INSERT INTO api_key_meta (name, value) VALUES ('demo_key_id', ?)`).run(record.id);
      return { created: true, id: record.id, key };
    })
    .immediate();
}
