// Tests live scoring helpers: thresholds, features JSON, the top-3 explanation.
import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES, NUM_FEATURES } from '../../../src/behaviour/features.js';

// Feature positions used by these tests (by index, so renaming a feature does not break them).
const A = 0; // first feature
const B = 2;
const C = 5;
const W = NUM_FEATURES - 2;
const Z = NUM_FEATURES - 1; // the fake model scores this one
import { BehaviourScorer, deriveFlagThreshold, round4, type ScoringModel } from '../../../src/behaviour/scorer.js';

/** A model whose score and attribution are chosen by the test. */
function fakeModel(opts: { threshold?: number; attr?: (x: ArrayLike<number>) => number[] } = {}): ScoringModel {
  return {
    meta: {
      features: FEATURE_NAMES,
      threshold: { value: opts.threshold ?? 0.6, method: 'test' },
      featureSummary: FEATURE_NAMES.map((name) => ({ name, min: 0, max: 10, mean: 1, sd: 2 })),
    },
    forest: {
      score: (x) => x[Z],
      explain: (x, out) => {
        const o = out ?? new Float64Array(NUM_FEATURES);
        const a = opts.attr ? opts.attr(x) : Array.from({ length: NUM_FEATURES }, () => 0.1);
        for (let i = 0; i < NUM_FEATURES; i++) o[i] = a[i];
        return o;
      },
    },
  };
}

describe('BehaviourScorer', () => {
  it('takes the model threshold unless the config sets one, and derives a lower flag threshold', () => {
    const s = new BehaviourScorer(fakeModel({ threshold: 0.7 }), { blockThreshold: null, flagThreshold: null });
    expect(s.blockThreshold).toBe(0.7);
    expect(s.flagThreshold).toBeCloseTo(0.6);
    const t = new BehaviourScorer(fakeModel(), { blockThreshold: 0.8, flagThreshold: 0.65 });
    expect(t.blockThreshold).toBe(0.8);
    expect(t.flagThreshold).toBe(0.65);
    expect(deriveFlagThreshold(0.4)).toBeLessThan(0.4);
    // a flag threshold above the block threshold is clamped to it
    expect(new BehaviourScorer(fakeModel(), { blockThreshold: 0.6, flagThreshold: 0.9 }).flagThreshold).toBe(0.6);
  });

  it('serialises features as a JSON object in FEATURE_NAMES order, rounded to 4 decimals', () => {
    const s = new BehaviourScorer(fakeModel(), { blockThreshold: null, flagThreshold: null });
    const x = new Float64Array(NUM_FEATURES);
    x[A] = 42;
    x[B] = 1 / 3;
    x[W] = -0;
    const o = JSON.parse(s.featuresJson(x)) as Record<string, number>;
    expect(Object.keys(o)).toEqual([...FEATURE_NAMES]);
    expect(o[FEATURE_NAMES[A]]).toBe(42);
    expect(o[FEATURE_NAMES[B]]).toBe(0.3333);
    expect(round4(-0.00001)).toBe(0);
  });

  it('scoreMemo scores the rounded (stored) vector and reuses score and text while it repeats, per model', () => {
    let walks = 0;
    const m = fakeModel();
    const score = m.forest.score;
    m.forest.score = (x) => (walks++, score(x));
    const s = new BehaviourScorer(m, { blockThreshold: null, flagThreshold: null });
    const memo = { x: null, scorer: null, score: NaN, text: '' };
    const x = new Float64Array(NUM_FEATURES);
    x[Z] = 0.123456;
    expect(s.scoreMemo(x, memo)).toBe(0.1235); // scored after rounding to 4 decimals
    expect(x[Z]).toBe(0.1235);
    expect(memo.text).toBe(s.featuresText(x));
    const y = new Float64Array(NUM_FEATURES);
    y[Z] = 0.12349; // rounds to the same stored vector: no new walk
    expect(s.scoreMemo(y, memo)).toBe(0.1235);
    expect(walks).toBe(1);
    y[A] = 1; // a different vector is scored and remembered
    expect(s.scoreMemo(y, memo)).toBe(0.1235);
    expect(walks).toBe(2);
    expect(memo.text).toBe(s.featuresText(y));
    const other = new BehaviourScorer(m, { blockThreshold: null, flagThreshold: null }); // a reloaded model
    other.scoreMemo(y, memo);
    expect(walks).toBe(3);
  });

  it('names the 3 features with the largest attribution weighted by their distance from training', () => {
    const attr = (): number[] => {
      const a = new Array<number>(NUM_FEATURES).fill(0);
      a[Z] = 0.5; // big attribution, big distance → first
      a[B] = 0.5; // same attribution, at the training mean → after
      a[C] = 0.2; // smaller attribution, far away
      a[W] = -1; // negative attribution never counts
      return a;
    };
    const s = new BehaviourScorer(fakeModel({ attr }), { blockThreshold: null, flagThreshold: null });
    const x = new Float64Array(NUM_FEATURES).fill(1); // all at the mean (1)
    x[Z] = 30; // 14.5 sd, clamped to 10
    x[C] = 9; // 4 sd
    x[W] = 50;
    const why = s.explain(x);
    expect(why.map((e) => e.feature)).toEqual([FEATURE_NAMES[Z], FEATURE_NAMES[C], FEATURE_NAMES[B]]);
    expect(why[0].sd).toBe(10);
    expect(why[1].sd).toBe(4);
    expect(why[0].attribution).toBe(0.5);
    expect(JSON.parse(s.explainJson(x))).toHaveLength(3);
  });
});

describe('format4', () => {
  it('writes the same number as round4, as valid JSON', async () => {
    const { format4 } = await import('../../../src/behaviour/scorer.js');
    const values = [0, -0, 1, 42, 1 / 3, 2 / 3, 0.00004, 0.00005, -0.25, 1234.56789, 0.1 + 0.2, 99.99995, 1e-12, 5e10, 1e12];
    for (let i = 0; i < 2000; i++) values.push((Math.random() - 0.3) * 10 ** Math.floor(Math.random() * 6));
    for (const v of values) expect(JSON.parse(format4(v)), String(v)).toBeCloseTo(round4(v), 10);
  });
});
