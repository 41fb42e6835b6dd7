// Owns the API key format: generation (CSPRNG, unbiased base62), the public id embedded in a key,
// and the stored hash.
//
// Example:
//   const { id, key } = generateKey();  // id 'ph_4fZq81Kx', key 'phk_4fZq81Kx_<40 base62 chars>'
//   keyIdOf(key) === id;                // lookup is by id; only hashKey(key) is stored
//
// Why SHA-256 and not bcrypt/scrypt/argon2: the secret is 40 base62 characters (≈238 bits) from
// the CSPRNG, so guessing a preimage is infeasible whatever the hash speed; slow password hashes exist
// for low-entropy human passwords and would cost milliseconds on every request. The hash covers the
// whole key (id included), and comparison is constant-time (timingSafeEqual). `serve` memoizes a
// key string that passed the check in memory (src/keys/table.ts) so repeat requests skip the hash.

import { hash as cryptoHash, randomBytes, timingSafeEqual } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const KEY_PREFIX = 'phk_';
export const ID_PREFIX = 'ph_';
export const ID_CHARS = 8;
export const SECRET_CHARS = 40;
/** Length of every key: 'phk_' + 8 + '_' + 40. */
export const KEY_LENGTH = KEY_PREFIX.length + ID_CHARS + 1 + SECRET_CHARS;
/** Bits of randomness in the secret part alone. */
export const SECRET_BITS = Math.floor(SECRET_CHARS * Math.log2(62));

const ID_RE = /^ph_[0-9A-Za-z]{8}$/;

/** `n` characters of base62 from the CSPRNG, by rejection sampling (no modulo bias). */
export function randomBase62(n: number): string {
  let out = '';
  while (out.length < n) {
    const buf = randomBytes(n + 16);
    for (let i = 0; i < buf.length && out.length < n; i++) {
      const b = buf[i];
      if (b < 248) out += BASE62[b % 62]; // 248 = 4·62
    }
  }
  return out;
}

/** A new key and its public id. */
export function generateKey(): { id: string; key: string } {
  const idPart = randomBase62(ID_CHARS);
  const secret = randomBase62(SECRET_CHARS);
  return { id: ID_PREFIX + idPart, key: `${KEY_PREFIX}${idPart}_${secret}` };
}

/** A new key for an existing id (rotation). */
export function generateKeyFor(id: string): string {
  return `${KEY_PREFIX}${id.slice(ID_PREFIX.length)}_${randomBase62(SECRET_CHARS)}`;
}

/** The public id inside a well-formed key, else null. Cheap: length and prefix checks only. */
export function keyIdOf(key: string): string | null {
  if (key.length !== KEY_LENGTH || !key.startsWith(KEY_PREFIX) || key.charCodeAt(KEY_PREFIX.length + ID_CHARS) !== 95) return null;
  return ID_PREFIX + key.slice(KEY_PREFIX.length, KEY_PREFIX.length + ID_CHARS);
}

/** True for a well-formed public key id (`ph_` + 8 base62). */
export function isKeyId(s: string): boolean {
  return ID_RE.test(s);
}

/** SHA-256 of the whole key (32 bytes). */
export function hashKey(key: string): Buffer {
  return cryptoHash('sha256', key, 'buffer') as unknown as Buffer;
}

/** Constant-time comparison of two hashes. */
export function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
