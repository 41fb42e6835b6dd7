import { describe, expect, it } from 'vitest';
import { IsolationForest, averagePathLength, harmonic, validateForestArrays } from '../../../src/forest/forest.js';
import { rocAuc } from '../../../src/forest/metrics.js';
import { serializeModel } from '../../../src/forest/model.js';
import { PathHelmError } from '../../../src/errors.js';
import { synthetic } from './helpers.js';
import { tinyMeta } from './meta.js';

function directHarmonic(m: number): number {
  let s = 0;
  for (let k = m; k >= 1; k--) s += 1 / k;
  return s;
}

describe('averagePathLength c(n)', () => {
  it('has the defined small values', () => {
    expect(averagePathLength(0)).toBe(0);
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    // c(3) = 2 H(2) - 4/3 = 3 - 4/3
    expect(averagePathLength(3)).toBeCloseTo(5 / 3, 15);
  });

  it('matches 2 H(n-1) - 2(n-1)/n with a direct harmonic sum, across the sum/asymptotic boundary', () => {
    for (const n of [4, 10, 100, 255, 256, 257, 258, 1000, 4096, 65536, 567498]) {
      const expected = 2 * directHarmonic(n - 1) - (2 * (n - 1)) / n;
      expect(Math.abs(averagePathLength(n) - expected)).toBeLessThan(1e-12);
    }
    // exact: 2 H(255) - 255/128 = 10.24868...; 10.2448 is the ln(n-1) + gamma approximation scikit-learn uses
    expect(averagePathLength(256)).toBeCloseTo(10.24869, 5);
    expect(Math.abs(averagePathLength(256) - (2 * (Math.log(255) + 0.5772156649015329) - 255 / 128))).toBeGreaterThan(0.003);
    expect(Math.abs(harmonic(1e6) - directHarmonic(1e6))).toBeLessThan(1e-12);
  });
});

describe('IsolationForest.fit', () => {
  const { X, y, rows } = synthetic(1000, 20, 4, 3);

  it('is deterministic per seed: identical serialized text for the same seed, different for another', () => {
    const a = serializeModel(tinyMeta(4), IsolationForest.fit(X, rows, 4, { seed: 7, trees: 20 }));
    const b = serializeModel(tinyMeta(4), IsolationForest.fit(X, rows, 4, { seed: 7, trees: 20 }));
    const c = serializeModel(tinyMeta(4), IsolationForest.fit(X, rows, 4, { seed: 8, trees: 20 }));
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('separates an obvious outlier cluster (AUC > 0.95)', () => {
    const forest = IsolationForest.fit(X, rows, 4, { seed: 0 });
    const scores = forest.scoreBatch(X, rows);
    expect(rocAuc(scores, y)).toBeGreaterThan(0.95);
    // an outlier scores above the paper's 0.5 line, a central point below it
    expect(forest.score([6, 6, 6, 6])).toBeGreaterThan(0.6);
    expect(forest.score([0, 0, 0, 0])).toBeLessThan(0.5);
  });

  it('uses defaults 100 trees, psi = min(256, rows), height limit ceil(log2 psi)', () => {
    const forest = IsolationForest.fit(X, rows, 4);
    expect(forest.numTrees).toBe(100);
    expect(forest.sampleSize).toBe(256);
    expect(forest.numFeatures).toBe(4);
    expect(forest.heightLimit).toBe(8);
    const small = IsolationForest.fit(X, 50, 4, { trees: 3 });
    expect(small.sampleSize).toBe(50);
    expect(small.heightLimit).toBe(6);
    for (const t of small.toArrays().trees) {
      expect(t.size[0]).toBe(50); // every tree's root holds the whole sub-sample
      expect(t.feature.length).toBeLessThanOrEqual(99);
    }
  });

  it('draws each sub-sample without replacement (leaf sizes add up to psi, no duplicates reach a leaf twice)', () => {
    // rows 0..299 with distinct values in one column: leaves of a full-depth tree are singletons or small,
    // and their sizes must sum to psi
    const n = 300;
    const D = new Float64Array(n);
    for (let i = 0; i < n; i++) D[i] = i;
    const forest = IsolationForest.fit(D, n, 1, { trees: 5, sampleSize: 256, seed: 4 });
    for (const t of forest.toArrays().trees) {
      let leafTotal = 0;
      for (let i = 0; i < t.feature.length; i++) if (t.feature[i] === -1) leafTotal += t.size[i];
      expect(leafTotal).toBe(256);
    }
  });

  it('makes a leaf when every feature is constant in a node, and splits on the non-constant feature', () => {
    const n = 64;
    const D = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) {
      D[i * 3] = 5; // constant
      D[i * 3 + 1] = i % 2; // two values
      D[i * 3 + 2] = 5; // constant
    }
    const forest = IsolationForest.fit(D, n, 3, { trees: 10, seed: 1 });
    for (const t of forest.toArrays().trees) {
      // root splits feature 1 into two groups of 32 identical rows, which become leaves
      expect(Array.from(t.feature)).toEqual([1, -1, -1]);
      expect(Array.from(t.size)).toEqual([64, 32, 32]);
    }
    const s = forest.score([5, 0, 5]);
    expect(s).toBeCloseTo(Math.pow(2, -(1 + averagePathLength(32)) / averagePathLength(64)), 12);
  });

  it('refuses bad inputs with PH_ERR_USAGE', () => {
    expect(() => IsolationForest.fit(new Float64Array([1, 2]), 2, 1, { trees: 0 })).toThrow(/trees must be an integer >= 1/);
    expect(() => IsolationForest.fit(new Float64Array([1]), 1, 1)).toThrow(/rows must be an integer >= 2/);
    expect(() => IsolationForest.fit(new Float64Array([1, NaN]), 2, 1)).toThrow(/row 1 column 0 is not a finite number/);
    expect(() => IsolationForest.fit(new Float64Array([1, 2]), 2, 1, { seed: 1.5 })).toThrow(PathHelmError);
  });
});

describe('scoring', () => {
  const { X, rows } = synthetic(3000, 30, 3, 5);
  const forest = IsolationForest.fit(X, rows, 3, { seed: 2 });

  it('scoreBatch equals score per row (including rows past the 8-row interleave and block edges)', () => {
    const batch = forest.scoreBatch(X, rows);
    for (let r = 0; r < rows; r++) expect(batch[r]).toBe(forest.score(X, r * 3));
    const out = new Float64Array(rows + 5).fill(-1);
    expect(forest.scoreBatch(X, rows, out)).toBe(out);
    expect(out[rows - 1]).toBe(batch[rows - 1]);
    expect(out[rows]).toBe(-1);
    // a tree count that is not a multiple of the 4-tree interleave of score()
    const odd = IsolationForest.fit(X, rows, 3, { seed: 2, trees: 7 });
    const oddBatch = odd.scoreBatch(X, 100);
    for (let r = 0; r < 100; r++) expect(oddBatch[r]).toBe(odd.score(X, r * 3));
  });

  it('the complete (heap) and sparse layouts give identical scores', () => {
    const sparse = IsolationForest.fromArrays(forest.toArrays(), 'sparse');
    expect(forest.layout).toBe('complete');
    expect(sparse.layout).toBe('sparse');
    const a = forest.scoreBatch(X, rows);
    const b = sparse.scoreBatch(X, rows);
    expect(Array.from(b)).toEqual(Array.from(a));
    for (let r = 0; r < 50; r++) expect(sparse.score(X, r * 3)).toBe(a[r]);
  });

  it('score equals 2^(-E[h]/c(psi)) and stays in (0, 1]; NaN/Infinity inputs still yield a number', () => {
    const h = forest.pathLength([0.1, 0.2, 0.3]);
    expect(forest.score([0.1, 0.2, 0.3])).toBeCloseTo(Math.pow(2, -h / averagePathLength(256)), 14);
    for (const v of [[NaN, 0, 0], [Infinity, -Infinity, 0]]) {
      const s = forest.score(v);
      expect(s).toBeGreaterThan(0);
      expect(s).toBeLessThanOrEqual(1);
    }
  });

  it('explain() points at the anomalous feature and sums to c(psi) - E[h]', () => {
    const d = synthetic(2000, 0, 4, 9);
    const f = IsolationForest.fit(d.X, d.rows, 4, { seed: 3 });
    for (const bad of [0, 2, 3]) {
      const x = [0.1, -0.2, 0.3, 0];
      x[bad] = 9;
      const why = f.explain(x);
      const top = why.indexOf(Math.max(...why));
      expect(top).toBe(bad);
      const sum = why.reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(f.normaliser - f.pathLength(x), 10);
      expect(sum).toBeGreaterThan(0);
    }
    const padded = Float64Array.from([5, 5, 0.1, -0.2, 0.3, 9]);
    expect(Array.from(f.explain(padded, undefined, 2))).toEqual(Array.from(f.explain([0.1, -0.2, 0.3, 9])));
    const out = new Float64Array(4);
    expect(f.explain([0, 0, 0, 0], out)).toBe(out);
    expect(out.reduce((a, b) => a + b, 0)).toBeLessThan(0); // a central point is isolated slower than average
  });
});

describe('validateForestArrays', () => {
  const ok = { numFeatures: 2, sampleSize: 4, trees: [{ feature: [0, -1, 1, -1, -1], threshold: [0.5, 0, 2, 0, 0], size: [4, 1, 3, 2, 1] }] };
  it('accepts a well-formed pre-order tree and rejects broken ones with specific messages', () => {
    expect(validateForestArrays(ok)).toBeNull();
    const t = ok.trees[0];
    const bad = (tree: object, re: RegExp) => expect(validateForestArrays({ ...ok, trees: [{ ...t, ...tree }] })).toMatch(re);
    bad({ feature: [0, -1, 1, -1] , threshold: [0.5, 0, 2, 0], size: [4, 1, 3, 2] }, /truncated/);
    bad({ feature: [0, -1, 5, -1, -1] }, /feature 5 is out of range/);
    bad({ size: [4, 1, 3, 1, 1] }, /size 1 does not match its parent \(expected 2\)|does not match/);
    bad({ threshold: [NaN, 0, 2, 0, 0] }, /threshold is not a finite number/);
    bad({ size: [5, 1, 3, 2, 1] }, /root size is 5/);
    expect(validateForestArrays({ ...ok, trees: [{ feature: [-1, -1], threshold: [0, 0], size: [4, 4] }] })).toMatch(/extra nodes/);
    expect(() => IsolationForest.fromArrays({ ...ok, numFeatures: 0 })).toThrow(/numFeatures/);
  });
});
