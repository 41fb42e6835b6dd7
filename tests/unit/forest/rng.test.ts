import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/forest/rng.js';

describe('Rng (sfc32 seeded through splitmix32)', () => {
  it('repeats a (seed, stream) sequence exactly and separates nearby seeds and streams', () => {
    const take = (r: Rng) => Array.from({ length: 8 }, () => r.nextU32());
    expect(take(new Rng(42, 3))).toEqual(take(new Rng(42, 3)));
    expect(take(new Rng(42, 3))).not.toEqual(take(new Rng(43, 3)));
    expect(take(new Rng(42, 3))).not.toEqual(take(new Rng(42, 4)));
    // the high 32 bits of a seed count too
    expect(take(new Rng(2 ** 32 + 1))).not.toEqual(take(new Rng(1)));
  });

  it('draws doubles in [0, 1) and integers in [0, n) roughly uniformly', () => {
    const r = new Rng(7);
    const counts = new Array(10).fill(0);
    let lo = 1;
    let hi = 0;
    for (let i = 0; i < 100_000; i++) {
      const u = r.nextDouble();
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
      counts[r.nextInt(10)]++;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(lo).toBeLessThan(0.001);
    expect(hi).toBeGreaterThan(0.999);
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500); // > 5 sd would be a bug
  });
});
