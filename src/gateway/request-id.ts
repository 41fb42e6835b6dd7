// Owns request ids: validation of an inbound X-Request-ID, a fast UUIDv7 generator, and reading a UUIDv7's time.
//
// Example:
//   const id = isValidRequestId(inbound) ? inbound : uuidv7(Date.now());
//   // '0193a6f2-7c1e-7b3a-9f21-5c0d3e8a1b44'

import { randomFillSync } from 'node:crypto';
import type { Latin1 } from './headers.js';

/** Longest inbound X-Request-ID that is kept (longer ones are replaced). */
export const MAX_REQUEST_ID_LENGTH = 128;

// Allowed bytes in an inbound request id: [A-Za-z0-9._:-].
const ALLOWED = new Uint8Array(128);
for (let c = 48; c <= 57; c++) ALLOWED[c] = 1;
for (let c = 65; c <= 90; c++) ALLOWED[c] = 1;
for (let c = 97; c <= 122; c++) ALLOWED[c] = 1;
ALLOWED[46] = 1; // .
ALLOWED[95] = 1; // _
ALLOWED[58] = 1; // :
ALLOWED[45] = 1; // -

/** True when `id` is 1–128 characters of [A-Za-z0-9._:-] (safe to log and to echo back). */
export function isValidRequestId(id: string | undefined): id is string {
  if (id === undefined) return false;
  const n = id.length;
  if (n === 0 || n > MAX_REQUEST_ID_LENGTH) return false;
  for (let i = 0; i < n; i++) {
    const c = id.charCodeAt(i);
    if (c >= 128 || ALLOWED[c] === 0) return false;
  }
  return true;
}

// Hex digits as bytes; an id is written into a reused 36-byte buffer and decoded once (one flat string, ~80 ns),
// instead of ~16 concatenations that V8 must flatten later (~200 ns).
const HEX_DIGIT = Buffer.from('0123456789abcdef', 'latin1');
const ID = Buffer.alloc(36, 45); // '-' at 8, 13, 18, 23 stay
ID[14] = 55; // version '7'

// Random bytes are drawn from the CSPRNG in blocks of 10 KiB (1,024 ids per refill).
const POOL_SIZE = 10 * 1024;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

/**
 * A UUIDv7 (RFC 9562): 48-bit big-endian ms timestamp, version 7, 74 random bits.
 * Sortable by time; `now` is a parameter so tests can pin the clock.
 */
export function uuidv7(now: number = Date.now()): string {
  if (poolOffset + 10 > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const o = poolOffset;
  poolOffset += 10;
  // 48-bit timestamp split as 16 high + 32 low bits (numbers above 2^32 cannot use bit ops).
  const hi = Math.floor(now / 0x100000000) & 0xffff;
  const lo = now >>> 0;
  const b = ID;
  const d = HEX_DIGIT;
  b[0] = d[hi >>> 12]; b[1] = d[(hi >>> 8) & 15]; b[2] = d[(hi >>> 4) & 15]; b[3] = d[hi & 15];
  b[4] = d[lo >>> 28]; b[5] = d[(lo >>> 24) & 15]; b[6] = d[(lo >>> 20) & 15]; b[7] = d[(lo >>> 16) & 15];
  b[9] = d[(lo >>> 12) & 15]; b[10] = d[(lo >>> 8) & 15]; b[11] = d[(lo >>> 4) & 15]; b[12] = d[lo & 15];
  // '7', then 12 random bits
  b[15] = d[pool[o] & 15]; b[16] = d[pool[o + 1] >>> 4]; b[17] = d[pool[o + 1] & 15];
  // variant 10xx, then 62 random bits
  b[19] = d[8 | ((pool[o + 2] >>> 4) & 3)]; b[20] = d[pool[o + 2] & 15]; b[21] = d[pool[o + 3] >>> 4]; b[22] = d[pool[o + 3] & 15];
  for (let i = 0; i < 6; i++) {
    const v = pool[o + 4 + i];
    b[24 + 2 * i] = d[v >>> 4];
    b[25 + 2 * i] = d[v & 15];
  }
  return (b as unknown as Latin1).latin1Slice(0, 36);
}

/** The ms timestamp encoded in a UUIDv7 (for tests and tracing). */
export function uuidv7Time(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

// Hex digit value of a lower-case hex character code, -1 for anything else (upper case included: uuidv7 never
// writes it, and an id that differs only in case is a different request id).
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let c = 48; c <= 57; c++) HEX_VALUE[c] = c - 48;
for (let c = 97; c <= 102; c++) HEX_VALUE[c] = c - 87;
const hexAt = (id: string, i: number): number => {
  const c = id.charCodeAt(i);
  return c < 128 ? HEX_VALUE[c] : -1;
};

/**
 * The ms timestamp of `id` when it has the shape uuidv7() writes (36 chars, '-' at 8/13/18/23, '7' at 14,
 * lower-case hex elsewhere), else -1. Allocation-free (charCodeAt only; ~80 ns). This is the one definition of
 * "a UUIDv7" shared by the decision-log writer (idCarriesTs) and `pathhelm trace` (traceRequest).
 * Example: `uuidv7Ms(uuidv7(1700000000000))` → 1700000000000; `uuidv7Ms('req-abc')` → -1
 */
export function uuidv7Ms(id: string): number {
  if (id.length !== 36) return -1;
  if (id.charCodeAt(8) !== 45 || id.charCodeAt(13) !== 45 || id.charCodeAt(18) !== 45 || id.charCodeAt(23) !== 45) return -1;
  if (id.charCodeAt(14) !== 55) return -1; // version '7'
  // 48 bits as 16 high + 32 low (bit ops are 32-bit); `bad` goes negative when any digit is not lower-case hex.
  let hi = 0;
  let lo = 0;
  let bad = 0;
  let v = 0;
  for (let i = 0; i < 4; i++) { v = hexAt(id, i); bad |= v; hi = (hi << 4) | v; }
  for (let i = 4; i < 8; i++) { v = hexAt(id, i); bad |= v; lo = (lo << 4) | v; }
  for (let i = 9; i < 13; i++) { v = hexAt(id, i); bad |= v; lo = (lo << 4) | v; }
  for (let i = 15; i < 18; i++) bad |= hexAt(id, i);
  for (let i = 19; i < 23; i++) bad |= hexAt(id, i);
  for (let i = 24; i < 36; i++) bad |= hexAt(id, i);
  return bad < 0 ? -1 : hi * 0x100000000 + (lo >>> 0);
}

/**
 * True when `id` is a UUIDv7 (uuidv7Ms shape) whose 48-bit ms timestamp equals `ts`: what `serve` writes for
 * an id it minted itself (uuidv7(now), ts = now). The decision log stores such rows with rid_by_ts = 1 and
 * leaves them out of the request-id index: trace finds them through ts (migration 7). Runs once per request.
 * Example: `idCarriesTs(uuidv7(now), now)` → true; `idCarriesTs('req-abc', now)` → false
 */
export function idCarriesTs(id: string, ts: number): boolean {
  return ts >= 0 && uuidv7Ms(id) === ts;
}
