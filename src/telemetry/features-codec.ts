// Owns the stored form of the `features` column of `decisions` and the one decode function every reader
// uses (`top`, `report`, `trace`, `dataset export`, the admin API).
//
// Two forms can be in a decision log:
// - compact (what `serve` writes): `<set>|<v1>,<v2>,...` — <set> is 8 hex digits naming the feature list
//   (FNV-1a of the names joined with ','), the values are in that list's order, rounded to 4 decimals
//   exactly as the JSON form was. About 100 bytes instead of ~300: cheaper to hand to the writer thread,
//   to insert and to keep. Each set's names are stored once in the `feature_sets` table (migration 6),
//   so a row stays explainable after the feature list changes.
// - JSON object `{"name":value,...}` (older rows, and engines run without a database).
//
// Example:
//   registerFeatureSet(db, FEATURE_NAMES);                 // once at start-up (serve does it)
//   decodeFeatures(db, '1a2b3c4d|3.1,0.25,0');             // → { req_count_log: 3.1, ... } or null
//   decodeFeatures(db, '{"rps_log":0.5}');                  // → { rps_log: 0.5 }

import { FEATURE_NAMES } from '../behaviour/features.js';
import type { Db } from './db.js';

/** 8-hex-digit id of a feature list: FNV-1a (32 bit) of the names joined with ','. */
export function featureSetId(names: readonly string[]): string {
  const s = names.join(',');
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The id of this pathhelm's feature list (the prefix of every compact features value it writes). */
export const FEATURE_SET_ID = featureSetId(FEATURE_NAMES);

/**
 * Records `names` under their id in `feature_sets` (idempotent; start-up only, never per request).
 * Returns false when the table is missing or the database is read-only (rows then stay decodable by
 * any pathhelm with the same feature list).
 */
export function registerFeatureSet(db: Db, names: readonly string[] = FEATURE_NAMES): boolean {
  try {
    db.prepare('INSERT OR IGNORE INTO feature_sets (id, names) VALUES (?, ?)').run(featureSetId(names), JSON.stringify(names));
    return true;
  } catch {
    return false;
  }
}

const namesCache = new WeakMap<Db, Map<string, readonly string[] | null>>();

function namesOf(db: Db | null, id: string): readonly string[] | null {
  if (id === FEATURE_SET_ID) return FEATURE_NAMES;
  if (db === null) return null;
  let cache = namesCache.get(db);
  if (cache === undefined) namesCache.set(db, (cache = new Map()));
  let names = cache.get(id);
  if (names !== undefined) return names;
  names = null;
  try {
    const row = db.prepare('SELECT names FROM feature_sets WHERE id = ?').get(id) as { names: string } | undefined;
    const parsed: unknown = row ? JSON.parse(row.names) : null;
    if (Array.isArray(parsed) && parsed.every((n) => typeof n === 'string')) names = parsed as string[];
  } catch {
    names = null; // no feature_sets table (an older log): compact values cannot be named
  }
  if (names !== null) cache.set(id, names); // unknown ids are looked up again (a writer may add them)
  return names;
}

/** True when `text` is in the compact form (`<8 hex>|...`). */
export function isCompactFeatures(text: string): boolean {
  if (text.length < 9 || text.charCodeAt(8) !== 124) return false;
  for (let i = 0; i < 8; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/**
 * A stored `features` value as { name: value } in the stored order; null when absent or undecodable
 * (malformed, or a compact value whose feature set this database does not know).
 */
export function decodeFeatures(db: Db | null, text: string | null | undefined): Record<string, number> | null {
  if (text === null || text === undefined || text === '') return null;
  if (isCompactFeatures(text)) {
    const names = namesOf(db, text.slice(0, 8));
    if (names === null) return null;
    const parts = text.slice(9).split(',');
    if (parts.length !== names.length) return null;
    const out: Record<string, number> = {};
    for (let i = 0; i < names.length; i++) {
      const v = Number(parts[i]);
      if (parts[i] === '' || !Number.isFinite(v)) return null;
      out[names[i]] = v;
    }
    return out;
  }
  try {
    const o: unknown = JSON.parse(text);
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return null;
    return o as Record<string, number>;
  } catch {
    return null;
  }
}
