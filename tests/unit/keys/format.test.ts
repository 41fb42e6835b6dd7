// Unit tests for the key format: entropy, id embedding, hashing.
import { describe, expect, it } from 'vitest';
import { generateKey, hashKey, isKeyId, KEY_LENGTH, keyIdOf, randomBase62, SECRET_BITS, sameHash } from '../../../src/keys/format.js';

describe('generateKey', () => {
  it('has the phk_<id>_<secret> shape with ≥128 bits of secret', () => {
    const { id, key } = generateKey();
    expect(key).toMatch(/^phk_[0-9A-Za-z]{8}_[0-9A-Za-z]{40}$/);
    expect(key.length).toBe(KEY_LENGTH);
    expect(id).toBe(`ph_${key.slice(4, 12)}`);
    expect(isKeyId(id)).toBe(true);
    expect(SECRET_BITS).toBeGreaterThanOrEqual(128);
  });
  it('never repeats and uses the whole alphabet roughly evenly', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(generateKey().key);
    expect(seen.size).toBe(2000);
    const counts = new Map<string, number>();
    const s = randomBase62(62_000);
    for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    for (const n of counts.values()) {
      expect(n).toBeGreaterThan(800); // expected 1000 each; 800..1200 is > 6 sigma
      expect(n).toBeLessThan(1200);
    }
  });
});

describe('keyIdOf', () => {
  it('extracts the id from well-formed keys only', () => {
    const { id, key } = generateKey();
    expect(keyIdOf(key)).toBe(id);
    expect(keyIdOf(key.slice(1))).toBeNull();
    expect(keyIdOf(`${key}x`)).toBeNull();
    expect(keyIdOf(key.replace('phk_', 'abc_'))).toBeNull();
    expect(keyIdOf('')).toBeNull();
  });
});

describe('hashKey', () => {
  it('is SHA-256 (32 bytes), deterministic, and compared in constant time', () => {
    const { key } = generateKey();
    expect(hashKey(key).length).toBe(32);
    expect(sameHash(hashKey(key), hashKey(key))).toBe(true);
    expect(sameHash(hashKey(key), hashKey(`${key.slice(0, -1)}x`))).toBe(false);
    expect(sameHash(hashKey(key), Buffer.alloc(31))).toBe(false);
  });
});
