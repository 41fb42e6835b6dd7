// Owns the forest's seeded pseudo-random generator (sfc32 seeded through splitmix32): small, fast, reproducible.
//
// Example:
//   const rng = new Rng(42, 7);       // seed 42, stream 7 (e.g. the tree index)
//   const u = rng.nextDouble();        // uniform in [0, 1), 53 random bits
//   const k = rng.nextInt(10);         // uniform integer in [0, 10)

/** splitmix32 step: returns the mixed output for state `x` (the caller advances the state). */
function mix32(x: number): number {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

const GOLDEN = 0x9e3779b9;
const TWO_POW_MINUS_53 = 1 / 9007199254740992;

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Chaotic generator, 32-bit), seeded from (seed, stream)
 * through splitmix32 so nearby seeds and streams give unrelated sequences.
 * `seed` is any safe integer (both 32-bit halves are used); `stream` a non-negative integer.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream = 0) {
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    let s = mix32(lo ^ mix32(hi + GOLDEN) ^ mix32((stream >>> 0) + 2 * GOLDEN));
    s = (s + GOLDEN) | 0;
    this.a = mix32(s);
    s = (s + GOLDEN) | 0;
    this.b = mix32(s);
    s = (s + GOLDEN) | 0;
    this.c = mix32(s);
    s = (s + GOLDEN) | 0;
    this.d = mix32(s) | 1;
    for (let i = 0; i < 12; i++) this.nextU32(); // warm up, as sfc32's author recommends
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const a = this.a;
    const b = this.b;
    const c = this.c;
    const d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    const r = (c << 21) | (c >>> 11);
    this.c = (r + t) | 0;
    return t >>> 0;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  nextDouble(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) * TWO_POW_MINUS_53;
  }

  /** Uniform integer in [0, n) for 1 <= n <= 2^32 (floor of a 53-bit double times n; bias at most n / 2^53). */
  nextInt(n: number): number {
    return Math.floor(this.nextDouble() * n);
  }
}
