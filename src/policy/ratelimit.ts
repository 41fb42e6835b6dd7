// Owns the sliding-window rate limiter: several windows per client, a sliding-window counter
// (current + previous fixed window, the previous one weighted by its remaining overlap), capped
// state with least-recently-used eviction, and the numbers behind the RateLimit headers.
//
// Example:
//   const rl = new SlidingWindowLimiter(100_000);
//   const windows = [{ limit: 10, windowMs: 1000 }, { limit: 600, windowMs: 600_000 }];
//   if (!rl.hit('203.0.113.7', windows, now)) retryAfterMs = rl.retryAfterMs;
//   rl.remaining[0]; rl.resetMs[0]; // per window, for the response headers
//
// Error of the estimate: the previous window's count is assumed to be spread evenly, so the estimate
// equals the exact sliding count when traffic is even; in the worst case (the whole previous window
// arriving at its very end) a client can get up to 2×limit−1 requests into one true sliding window
// (no worse than a fixed window), and it can be throttled early when the previous window's traffic
// came at its start. Bursts from a fresh client are exact: with limit N exactly N pass.

import type { RateWindow } from '../config/types.js';

/** Most windows one client can have (config windows or a key's --rate overrides). */
export const MAX_WINDOWS = 4;

const INITIAL_SLOTS = 1024;
const EPS = 1e-9;

export class SlidingWindowLimiter {
  readonly maxClients: number;
  private readonly index = new Map<string, number>();
  private ids: string[] = [];
  private start: Float64Array;
  private cur: Uint32Array;
  private prevCount: Uint32Array;
  private lruPrev: Int32Array;
  private lruNext: Int32Array;
  private head = -1; // most recently used
  private tail = -1; // least recently used
  private capacity: number;
  private used = 0;
  /** Clients evicted because the cap was reached. */
  evictions = 0;

  /** Per window of the last hit(): requests left, and ms until the count resets (window rolls or room frees up). */
  readonly remaining = new Int32Array(MAX_WINDOWS);
  readonly resetMs = new Float64Array(MAX_WINDOWS);
  /** After a refused hit(): ms until every window would admit one more request. */
  retryAfterMs = 0;

  constructor(maxClients: number) {
    this.maxClients = Math.max(1, maxClients | 0);
    this.capacity = Math.min(INITIAL_SLOTS, this.maxClients);
    this.start = new Float64Array(this.capacity * MAX_WINDOWS);
    this.cur = new Uint32Array(this.capacity * MAX_WINDOWS);
    this.prevCount = new Uint32Array(this.capacity * MAX_WINDOWS);
    this.lruPrev = new Int32Array(this.capacity);
    this.lruNext = new Int32Array(this.capacity);
  }

  /** Clients currently tracked (≤ maxClients). */
  get size(): number {
    return this.index.size;
  }

  /**
   * Counts one request of `id` against every window if all of them have room; returns whether it
   * may pass. A refused request is not counted (a client that waits Retry-After gets in).
   * Synchronous, so concurrent requests are counted exactly.
   */
  hit(id: string, windows: readonly RateWindow[], now: number): boolean {
    const slot = this.slotFor(id);
    const base = slot * MAX_WINDOWS;
    const n = windows.length < MAX_WINDOWS ? windows.length : MAX_WINDOWS;
    let allowed = true;
    for (let i = 0; i < n; i++) {
      const W = windows[i].windowMs;
      const k = base + i;
      const aligned = Math.floor(now / W) * W;
      const s = this.start[k];
      if (s !== aligned) {
        this.prevCount[k] = s === aligned - W ? this.cur[k] : 0;
        this.cur[k] = 0;
        this.start[k] = aligned;
      }
      const est = (this.prevCount[k] * (W - (now - aligned))) / W + this.cur[k];
      if (est + 1 > windows[i].limit + EPS) allowed = false;
    }
    let retry = 0;
    for (let i = 0; i < n; i++) {
      const W = windows[i].windowMs;
      const L = windows[i].limit;
      const k = base + i;
      if (allowed) this.cur[k]++;
      const elapsed = now - this.start[k];
      const p = this.prevCount[k];
      const c = this.cur[k];
      const est = (p * (W - elapsed)) / W + c;
      const rem = Math.floor(L - est + EPS);
      this.remaining[i] = rem > 0 ? rem : 0;
      if (rem >= 1) this.resetMs[i] = W - elapsed;
      else {
        const wait = waitForRoom(p, c, L, W, elapsed);
        this.resetMs[i] = wait;
        if (wait > retry) retry = wait;
      }
    }
    this.retryAfterMs = allowed ? 0 : retry;
    return allowed;
  }

  /** Forgets every client (tests, config reload). */
  clear(): void {
    this.index.clear();
    this.ids = [];
    this.used = 0;
    this.head = this.tail = -1;
  }

  private slotFor(id: string): number {
    let slot = this.index.get(id);
    if (slot !== undefined) {
      if (slot !== this.head) this.moveToHead(slot);
      return slot;
    }
    if (this.used < this.maxClients) {
      if (this.used === this.capacity) this.grow();
      slot = this.used++;
    } else {
      // Evict the least recently used client and reuse its slot.
      slot = this.tail;
      this.unlink(slot);
      this.index.delete(this.ids[slot]);
      this.evictions++;
    }
    this.ids[slot] = id;
    this.index.set(id, slot);
    const base = slot * MAX_WINDOWS;
    for (let i = 0; i < MAX_WINDOWS; i++) {
      this.start[base + i] = -1;
      this.cur[base + i] = 0;
      this.prevCount[base + i] = 0;
    }
    this.pushHead(slot);
    return slot;
  }

  private grow(): void {
    const cap = Math.min(this.capacity * 2, this.maxClients);
    const f = new Float64Array(cap * MAX_WINDOWS);
    f.set(this.start);
    this.start = f;
    const c = new Uint32Array(cap * MAX_WINDOWS);
    c.set(this.cur);
    this.cur = c;
    const p = new Uint32Array(cap * MAX_WINDOWS);
    p.set(this.prevCount);
    this.prevCount = p;
    const lp = new Int32Array(cap);
    lp.set(this.lruPrev);
    this.lruPrev = lp;
    const ln = new Int32Array(cap);
    ln.set(this.lruNext);
    this.lruNext = ln;
    this.capacity = cap;
  }

  private unlink(slot: number): void {
    const p = this.lruPrev[slot];
    const n = this.lruNext[slot];
    if (p >= 0) this.lruNext[p] = n;
    else this.head = n;
    if (n >= 0) this.lruPrev[n] = p;
    else this.tail = p;
  }

  private pushHead(slot: number): void {
    this.lruPrev[slot] = -1;
    this.lruNext[slot] = this.head;
    if (this.head >= 0) this.lruPrev[this.head] = slot;
    this.head = slot;
    if (this.tail < 0) this.tail = slot;
  }

  private moveToHead(slot: number): void {
    this.unlink(slot);
    this.pushHead(slot);
  }
}

/**
 * Ms from now until a window with previous count p, current count c, limit L, length W and
 * `elapsed` ms into the current fixed window admits one more request.
 */
export function waitForRoom(p: number, c: number, L: number, W: number, elapsed: number): number {
  const leftInWindow = W - elapsed;
  if (c + 1 <= L + EPS) {
    if (p === 0) return 0;
    // p·(W − elapsed − τ)/W + c + 1 ≤ L
    const tau = leftInWindow - (W * (L - 1 - c)) / p;
    if (tau <= 0) return 0;
    if (tau < leftInWindow) return Math.ceil(tau);
  }
  // Next fixed window: previous count becomes c, current 0; c·(W − e)/W + 1 ≤ L.
  if (c === 0 || c <= L - 1 + EPS) return leftInWindow;
  let e = W - (W * (L - 1)) / c;
  if (e > W) e = W;
  return leftInWindow + Math.ceil(e);
}
