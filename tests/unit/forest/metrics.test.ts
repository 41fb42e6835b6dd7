import { describe, expect, it } from 'vitest';
import { precisionRecallF1, quantile, rocAuc } from '../../../src/forest/metrics.js';

/** O(n^2) reference: P(pos > neg) + 0.5 P(pos == neg). */
function pairAuc(s: number[], y: number[]): number {
  let acc = 0;
  let pairs = 0;
  for (let i = 0; i < s.length; i++) {
    if (!y[i]) continue;
    for (let j = 0; j < s.length; j++) {
      if (y[j]) continue;
      pairs++;
      acc += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
    }
  }
  return acc / pairs;
}

describe('rocAuc', () => {
  it('handles perfect, inverted and tied rankings', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    expect(rocAuc([0.9, 0.4, 0.7, 0.4], [1, 0, 1, 1])).toBeCloseTo(2.5 / 3, 15);
    // scikit-learn: roc_auc_score([0,0,1,1],[0.1,0.4,0.35,0.8]) = 0.75
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
  });

  it('matches the pairwise definition on random data with many ties', () => {
    let seed = 1;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const s: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < 400; i++) {
      s.push(Math.floor(rnd() * 10) / 10);
      y.push(rnd() < 0.3 ? 1 : 0);
    }
    expect(rocAuc(s, y)).toBeCloseTo(pairAuc(s, y), 12);
    expect(rocAuc(Float64Array.from(s), Float64Array.from(y))).toBeCloseTo(pairAuc(s, y), 12);
  });

  it('is NaN with one class and refuses length mismatches', () => {
    expect(rocAuc([1, 2], [0, 0])).toBeNaN();
    expect(() => rocAuc([1, 2], [0])).toThrow(/2 scores but 1 labels/);
  });
});

describe('precisionRecallF1', () => {
  it('counts score > threshold as flagged', () => {
    const m = precisionRecallF1([0.9, 0.6, 0.5, 0.2, 0.7], [1, 0, 1, 0, 1], 0.5);
    expect(m).toMatchObject({ tp: 2, fp: 1, fn: 1, tn: 1 });
    expect(m.precision).toBeCloseTo(2 / 3, 15);
    expect(m.recall).toBeCloseTo(2 / 3, 15);
    expect(m.f1).toBeCloseTo(2 / 3, 15);
    expect(precisionRecallF1([0.1], [1], 0.5)).toMatchObject({ precision: 0, recall: 0, f1: 0 });
  });
});

describe('quantile', () => {
  it('interpolates linearly like numpy', () => {
    const s = Float64Array.from([1, 2, 3, 4]);
    expect(quantile(s, 0)).toBe(1);
    expect(quantile(s, 1)).toBe(4);
    expect(quantile(s, 0.5)).toBe(2.5);
    expect(quantile(s, 0.9)).toBeCloseTo(3.7, 15);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
    expect(() => quantile(s, 1.5)).toThrow(/between 0 and 1/);
  });
});
