// Unit tests for the key store and the in-memory table: add/list/revoke/rotate, grace and expiry (fake clock).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashKey } from '../../../src/keys/format.js';
import { addKey, ensureDemoKey, keysVersion, listKeys, revokeKey, rotateKey } from '../../../src/keys/store.js';
import { AUTH_EXPIRED, AUTH_INVALID, AUTH_OK, AUTH_REVOKED, KeyTable, refreshKeys, watchKeys } from '../../../src/keys/table.js';
import { openDb, type Db } from '../../../src/telemetry/db.js';

const T0 = 1_800_000_000_000;
let dir: string;
let db: Db;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ph-keys-'));
  db = openDb(join(dir, 'k.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('key store', () => {
  it('stores only a hash and metadata, never the key', () => {
    const { key, record } = addKey(db, { name: 'mobile', rates: [{ limit: 5, windowMs: 1000 }] }, T0);
    const row = db.prepare('SELECT * FROM api_keys').get() as Record<string, unknown>;
    expect(Object.values(row).some((v) => typeof v === 'string' && v.includes(key.slice(13)))).toBe(false);
    expect(Buffer.compare(row.hash as Buffer, hashKey(key))).toBe(0);
    expect(record.rates).toEqual([{ limit: 5, windowMs: 1000 }]);
    const listed = listKeys(db, T0);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id: record.id, name: 'mobile', status: 'active' });
    expect(JSON.stringify(listed)).not.toContain(key.slice(13));
    expect(JSON.stringify(listed)).not.toContain('hash');
  });

  it('reports revoked, expired and rotating status', () => {
    const a = addKey(db, { name: 'a' }, T0).record;
    const b = addKey(db, { name: 'b', expiresInMs: 1000 }, T0).record;
    const c = addKey(db, { name: 'c' }, T0).record;
    revokeKey(db, a.id, T0 + 1);
    rotateKey(db, c.id, 60_000, T0 + 2);
    const byName = Object.fromEntries(listKeys(db, T0 + 1000).map((k) => [k.name, k.status]));
    expect(byName).toEqual({ a: 'revoked', b: 'expired', c: 'rotating' });
    expect(listKeys(db, T0 + 60_002).find((k) => k.name === 'c')?.status).toBe('active');
    expect(revokeKey(db, a.id, T0 + 5).alreadyRevoked).toBe(true);
    expect(() => rotateKey(db, a.id, 0, T0 + 5)).toThrow(/revoked/);
    expect(() => rotateKey(db, b.id, 0, T0 + 5000)).toThrow(/expired/);
    expect(() => revokeKey(db, 'ph_00000000', T0)).toThrow(/no API key/);
  });

  it('bumps the change counter on every write (triggers)', () => {
    const v0 = keysVersion(db);
    const { record } = addKey(db, { name: 'x' }, T0);
    const v1 = keysVersion(db);
    revokeKey(db, record.id, T0);
    expect(v1).toBeGreaterThan(v0);
    expect(keysVersion(db)).toBeGreaterThan(v1);
  });

  it('creates the demo key only once', () => {
    const first = ensureDemoKey(db, T0);
    expect(first.created).toBe(true);
    const second = ensureDemoKey(db, T0 + 1);
    expect(second).toEqual({ created: false, id: first.id });
    expect(listKeys(db, T0).filter((k) => k.name === 'demo')).toHaveLength(1);
  });
});

describe('KeyTable', () => {
  it('verifies keys with status and rotation grace on a fake clock', () => {
    const live = addKey(db, { name: 'live' }, T0);
    const gone = addKey(db, { name: 'gone' }, T0);
    const old = addKey(db, { name: 'old', expiresInMs: 10_000 }, T0);
    const rot = addKey(db, { name: 'rot' }, T0);
    revokeKey(db, gone.record.id, T0 + 1);
    const rotated = rotateKey(db, rot.record.id, 5_000, T0 + 100);
    const t = new KeyTable();
    expect(refreshKeys(db, t)).toBe(true);
    expect(refreshKeys(db, t)).toBe(false); // nothing changed → no reload
    expect(t.verify(live.key, T0 + 200)).toBe(AUTH_OK);
    expect(t.last?.id).toBe(live.record.id);
    expect(t.verify(`${live.key.slice(0, -1)}${live.key.endsWith('a') ? 'b' : 'a'}`, T0)).toBe(AUTH_INVALID);
    expect(t.verify('phk_zzzzzzzz_' + 'a'.repeat(40), T0)).toBe(AUTH_INVALID);
    expect(t.verify('nonsense', T0)).toBe(AUTH_INVALID);
    expect(t.verify(gone.key, T0 + 200)).toBe(AUTH_REVOKED);
    expect(t.verify(old.key, T0 + 9_999)).toBe(AUTH_OK);
    expect(t.verify(old.key, T0 + 10_000)).toBe(AUTH_EXPIRED);
    // Rotation: new works, old works until the grace ends (exclusive).
    expect(t.verify(rotated.key, T0 + 200)).toBe(AUTH_OK);
    expect(t.verify(rot.key, T0 + 5_099)).toBe(AUTH_OK);
    expect(t.verify(rot.key, T0 + 5_100)).toBe(AUTH_INVALID);
    expect(t.verify(rotated.key, T0 + 1e9)).toBe(AUTH_OK);
  });

  it('rotation with grace 0 stops the old secret at once', () => {
    const k = addKey(db, { name: 'k' }, T0);
    const r = rotateKey(db, k.record.id, 0, T0);
    const t = new KeyTable();
    refreshKeys(db, t);
    expect(t.verify(k.key, T0)).toBe(AUTH_INVALID);
    expect(t.verify(r.key, T0)).toBe(AUTH_OK);
  });

  it('a watcher picks up writes from another connection', () => {
    const t = new KeyTable();
    const w = watchKeys(db, t, { intervalMs: 10_000 });
    const other = openDb(join(dir, 'k.db'));
    const { key } = addKey(other, { name: 'late' }, T0);
    expect(t.verify(key, T0)).toBe(AUTH_INVALID);
    expect(w.check()).toBe(true);
    expect(t.verify(key, T0)).toBe(AUTH_OK);
    other.close();
    w.stop();
  });
});

describe('KeyTable verified-key memo', () => {
  it('accepts a remembered key without re-hashing but still applies grace, revocation and reloads', () => {
    const rot = addKey(db, { name: 'rot' }, T0);
    const t = new KeyTable();
    refreshKeys(db, t);
    expect(t.verify(rot.key, T0)).toBe(AUTH_OK); // hashed, remembered
    expect(t.verify(rot.key, T0 + 1)).toBe(AUTH_OK); // remembered
    const wrong = rot.key.slice(0, -1) + (rot.key.endsWith('Z') ? 'Y' : 'Z');
    expect(t.verify(wrong, T0 + 2)).toBe(AUTH_INVALID);
    const next = rotateKey(db, rot.record.id, 1000, T0 + 10);
    refreshKeys(db, t); // reload forgets remembered strings
    expect(t.verify(rot.key, T0 + 20)).toBe(AUTH_OK); // previous secret, hashed
    expect(t.verify(rot.key, T0 + 21)).toBe(AUTH_OK); // previous secret, remembered
    expect(t.verify(rot.key, T0 + 1010)).toBe(AUTH_INVALID); // grace over even though remembered
    expect(t.verify(next.key, T0 + 1010)).toBe(AUTH_OK);
    revokeKey(db, rot.record.id, T0 + 2000);
    refreshKeys(db, t);
    expect(t.verify(next.key, T0 + 2001)).toBe(AUTH_REVOKED);
  });
});
