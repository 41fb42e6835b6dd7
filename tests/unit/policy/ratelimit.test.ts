// Unit tests for the sliding-window counter: boundaries, weighting, several windows, eviction (fake clock).
import { describe, expect, it } from 'vitest';
import { SlidingWindowLimiter, waitForRoom } from '../../../src/policy/ratelimit.js';

const T0 = 1_699_999_800_000; // aligned to whole seconds, minutes and 10 minutes
const sec = [{ limit: 10, windowMs: 1000 }];

function burst(rl: SlidingWindowLimiter, id: string, n: number, now: number, windows = sec): number {
  let passed = 0;
  for (let i = 0; i < n; i++) if (rl.hit(id, windows, now)) passed++;
  return passed;
}

describe('SlidingWindowLimiter', () => {
  it('lets exactly N of a burst through and reports remaining', () => {
    const rl = new SlidingWindowLimiter(100);
    expect(rl.hit('a', sec, T0)).toBe(true);
    expect(rl.remaining[0]).toBe(9);
    expect(rl.resetMs[0]).toBe(1000);
    expect(burst(rl, 'a', 100, T0 + 1)).toBe(9);
    expect(rl.remaining[0]).toBe(0);
    expect(burst(rl, 'b', 2000, T0 + 500)).toBe(10); // another client is independent
  });

  it('weights the previous window by its remaining overlap', () => {
    const rl = new SlidingWindowLimiter(100);
    expect(burst(rl, 'a', 10, T0)).toBe(10);
    // Exactly at the boundary: previous count 10 weighs 1.0 → nothing passes.
    expect(rl.hit('a', sec, T0 + 1000)).toBe(false);
    // 25% into the next window: estimate = 10·0.75 = 7.5 → two more pass (7.5+1 ≤ 10, 8.5+1 ≤ 10), third not (9.5+1 > 10).
    expect(burst(rl, 'a', 5, T0 + 1250)).toBe(2);
    expect(rl.remaining[0]).toBe(0);
    // 50% in: 10·0.5 + 2 = 7 → 3 more.
    expect(burst(rl, 'a', 5, T0 + 1500)).toBe(3);
    // Two windows later the first window no longer counts at all: previous = 5, at 0% weight 1 → 5 pass.
    expect(burst(rl, 'a', 20, T0 + 2000)).toBe(5);
    // A gap of more than one window forgets everything.
    expect(burst(rl, 'a', 20, T0 + 4000)).toBe(10);
  });

  it('one ms before the boundary still counts in the current window', () => {
    const rl = new SlidingWindowLimiter(100);
    expect(burst(rl, 'a', 10, T0 + 999)).toBe(10);
    expect(rl.hit('a', sec, T0 + 999)).toBe(false);
    // At T0+1000 the previous window (count 10) weighs 1000/1000 → still full.
    expect(rl.hit('a', sec, T0 + 1000)).toBe(false);
    // At T0+1100 weight 0.9 → estimate 9 → one passes.
    expect(burst(rl, 'a', 3, T0 + 1100)).toBe(1);
  });

  it('applies several windows at once; the tighter one decides', () => {
    const rl = new SlidingWindowLimiter(100);
    const wins = [
      { limit: 5, windowMs: 1000 },
      { limit: 8, windowMs: 60_000 },
    ];
    expect(burst(rl, 'a', 10, T0, wins)).toBe(5);
    expect(rl.remaining[0]).toBe(0);
    expect(rl.remaining[1]).toBe(3);
    expect(burst(rl, 'a', 10, T0 + 2000, wins)).toBe(3); // second window caps it
    expect(rl.remaining[0]).toBe(2);
    expect(rl.remaining[1]).toBe(0);
    // Minute window full (8): next window 8·(1−e/60000)+1 ≤ 8 → e ≥ 7500 → 58 000 + 7 500 ms.
    expect(rl.retryAfterMs).toBe(58_000 + 7_500);
  });

  it('does not count refused requests', () => {
    const rl = new SlidingWindowLimiter(100);
    burst(rl, 'a', 50, T0);
    // Next window at 90%: estimate 10·0.1 = 1 → 9 pass (refused ones from the first window did not count).
    expect(burst(rl, 'a', 50, T0 + 1900)).toBe(9);
  });

  it('sets Retry-After to when a request would next pass', () => {
    const rl = new SlidingWindowLimiter(100);
    burst(rl, 'a', 11, T0 + 200);
    // cur 10 at 200 ms; next window: 10·(1−e/1000)+1 ≤ 10 → e ≥ 100 ms → 800 + 100.
    expect(rl.retryAfterMs).toBe(900);
    // Check that it is accurate: one ms earlier refused, at that time admitted.
    expect(rl.hit('a', sec, T0 + 200 + 899)).toBe(false);
    expect(rl.hit('a', sec, T0 + 200 + 900)).toBe(true);
  });

  it('caps tracked clients and evicts the least recently used', () => {
    const rl = new SlidingWindowLimiter(3);
    burst(rl, 'a', 10, T0);
    burst(rl, 'b', 10, T0);
    burst(rl, 'c', 10, T0);
    rl.hit('a', sec, T0); // touch a → b is now least recently used
    burst(rl, 'd', 1, T0);
    expect(rl.size).toBe(3);
    expect(rl.evictions).toBe(1);
    expect(rl.hit('a', sec, T0)).toBe(false); // a kept its count
    expect(rl.hit('c', sec, T0)).toBe(false); // c too
    expect(rl.hit('b', sec, T0)).toBe(true); // b was evicted and starts over (evicting d or c in turn)
    expect(rl.size).toBe(3);
  });

  it('keeps state bounded with far more clients than the cap', () => {
    const rl = new SlidingWindowLimiter(1000);
    for (let i = 0; i < 50_000; i++) rl.hit(`10.0.${i >> 8}.${i & 255}`, sec, T0 + i);
    expect(rl.size).toBe(1000);
    expect(rl.evictions).toBe(49_000);
  });
});

describe('waitForRoom', () => {
  it('is 0 when there is room, and the boundary otherwise', () => {
    expect(waitForRoom(0, 3, 10, 1000, 100)).toBe(0);
    // Full at 100 ms: next window 10·(1−e/1000)+1 ≤ 10 → e ≥ 100 → 900 + 100.
    expect(waitForRoom(0, 10, 10, 1000, 100)).toBe(1000);
    expect(waitForRoom(0, 9, 10, 1000, 100)).toBe(0);
  });
  it('solves the weighted previous window inside the current one', () => {
    // p=10, c=0, L=10 at elapsed 0: 10·(1000−τ)/1000 + 1 ≤ 10 → τ ≥ 100.
    expect(waitForRoom(10, 0, 10, 1000, 0)).toBe(100);
    expect(waitForRoom(10, 0, 10, 1000, 50)).toBe(50);
  });
  it('limit 1 full in the current window waits for the whole next window', () => {
    expect(waitForRoom(0, 1, 1, 1000, 0)).toBe(2000);
  });
});
