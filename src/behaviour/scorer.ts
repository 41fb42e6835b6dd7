// Owns live scoring of a behaviour vector with a loaded model: the score, the block/flag thresholds, the
// feature JSON stored with a decision row and the "why" (top features that drove an anomaly score).
//
// Example:
//   const scorer = new BehaviourScorer(loadModel('models/default.json'), { blockThreshold: null, flagThreshold: null });
//   const s = scorer.score(x);                 // x: Float64Array in FEATURE_NAMES order
//   if (s >= scorer.flagThreshold) row.explain = scorer.explainJson(x);
//   row.features = scorer.featuresText(x);     // '1a2b3c4d|42,0.7,...' (decodeFeatures reads it back)
//   scorer.featuresJson(x);                    // {"req_count":42,"rps":0.7,...}
//
// How the explanation is made (docs: README "How decisions are made"): for each feature f,
//   attribution a_f = the forest's explain(x)[f] (how much splits on f shortened x's path, averaged over trees)
//   distance    z_f = (x_f - mean_f) / sd_f from the model's training featureSummary (sd units, signed)
//   weight      w_f = max(a_f, 0) * (1 + min(|z_f|, 10))
// and the 3 features with the largest weight are named (features the forest did not use to isolate x,
// or that sit at the training mean, never appear first). Ties fall back to |z|.

import { FEATURE_NAMES, NUM_FEATURES } from './features.js';
import { FEATURE_SET_ID } from '../telemetry/features-codec.js';

/** What the scorer needs from a loaded model (structurally the forest module's LoadedModel). */
export interface ScoringModel {
  meta: {
    features: readonly string[];
    threshold: { value: number; method?: string };
    featureSummary?: ReadonlyArray<{ name: string; min: number; max: number; mean: number; sd: number }>;
    quantiles?: unknown;
  };
  forest: {
    score(x: ArrayLike<number>, offset?: number): number;
    explain(x: ArrayLike<number>, out?: Float64Array): Float64Array;
  };
}

export interface ScorerOptions {
  /** Score at/above which a request counts towards a block; null = the model's threshold. */
  blockThreshold: number | null;
  /** Score at/above which a client is flagged; null = derived (see deriveFlagThreshold). */
  flagThreshold: number | null;
}

/** What BehaviourScorer.scoreMemo remembers per client: the last rounded vector, its scorer, score and text. */
export interface ScoreMemo {
  x: Float64Array | null;
  scorer: BehaviourScorer | null;
  score: number;
  text: string;
}

export interface ExplainEntry {
  feature: string;
  value: number;
  /** Signed distance from the training mean in training standard deviations. */
  sd: number;
  /** The forest's path-length attribution for this feature. */
  attribution: number;
}

const MAX_Z = 10;
const TEXT_PREFIX = FEATURE_SET_ID + '|';
const FEATURE_PREFIX: string[] = FEATURE_NAMES.map((n, i) => (i === 0 ? '{"' : ',"') + n + '":');

/** FRAC[i] = ".dddd" for i/10000 without trailing zeros ('' for 0): formatting without float-to-string. */
const FRAC: string[] = (() => {
  const a = new Array<string>(10_000);
  a[0] = '';
  for (let i = 1; i < 10_000; i++) a[i] = '.' + String(i).padStart(4, '0').replace(/0+$/, '');
  return a;
})();

/** JSON text of v rounded to 4 decimals (same value as round4), ~5× cheaper than String(round4(v)). */
export function format4(v: number): string {
  const a = v < 0 ? -v : v;
  if (!(a < 1e11)) return String(round4(v)); // huge, NaN or Infinity (JSON would need null; never in features)
  const n = Math.round(a * 1e4);
  if (n === 0) return '0';
  const ip = Math.floor(n / 1e4);
  return (v < 0 ? '-' : '') + ip + FRAC[n - ip * 1e4];
}

/** Rounds to at most 4 decimals (counts stay integers); -0 → 0. */
export function round4(v: number): number {
  const r = Math.round(v * 1e4) / 1e4;
  return r === 0 ? 0 : r;
}

/**
 * The flag threshold when the config leaves it null: halfway between 0.5 (the paper's "no evidence" score)
 * and the block threshold, but never above it. A model whose threshold is at or below 0.5 flags at 97% of it.
 */
export function deriveFlagThreshold(block: number): number {
  if (block <= 0.5) return block * 0.97;
  return 0.5 + (block - 0.5) / 2;
}

export class BehaviourScorer {
  readonly model: ScoringModel;
  readonly blockThreshold: number;
  readonly flagThreshold: number;
  private readonly mean = new Float64Array(NUM_FEATURES);
  private readonly sd = new Float64Array(NUM_FEATURES);
  private readonly attr = new Float64Array(NUM_FEATURES);
  private readonly weight = new Float64Array(NUM_FEATURES);

  constructor(model: ScoringModel, opts: ScorerOptions) {
    this.model = model;
    const block = opts.blockThreshold ?? model.meta.threshold.value;
    this.blockThreshold = block;
    this.flagThreshold = Math.min(opts.flagThreshold ?? deriveFlagThreshold(block), block);
    const summary = model.meta.featureSummary ?? [];
    for (let i = 0; i < NUM_FEATURES; i++) {
      const s = summary.find((e) => e.name === FEATURE_NAMES[i]);
      this.mean[i] = s ? s.mean : 0;
      this.sd[i] = s ? s.sd : 0;
    }
  }

  /** Anomaly score in (0, 1] (allocation-free). */
  score(x: Float64Array): number {
    return this.model.forest.score(x);
  }

  /** Signed distance of x[i] from the training mean, in sd units, clamped to ±10 (0 without a summary). */
  zOf(i: number, v: number): number {
    const d = v - this.mean[i];
    const sd = this.sd[i];
    if (sd > 1e-12) return Math.max(-MAX_Z, Math.min(MAX_Z, d / sd));
    if (Math.abs(d) <= 1e-12) return 0;
    return d > 0 ? MAX_Z : -MAX_Z;
  }

  /** The `k` features that drove x's score, most important first (see the file comment). */
  explain(x: Float64Array, k = 3): ExplainEntry[] {
    const attr = this.model.forest.explain(x, this.attr);
    const w = this.weight;
    for (let i = 0; i < NUM_FEATURES; i++) {
      const z = this.zOf(i, x[i]);
      w[i] = Math.max(attr[i], 0) * (1 + Math.abs(z)) + Math.abs(z) * 1e-9;
    }
    const out: ExplainEntry[] = [];
    const used = new Uint8Array(NUM_FEATURES);
    for (let n = 0; n < k; n++) {
      let best = -1;
      for (let i = 0; i < NUM_FEATURES; i++) if (!used[i] && (best < 0 || w[i] > w[best])) best = i;
      if (best < 0 || w[best] <= 0) break;
      used[best] = 1;
      out.push({ feature: FEATURE_NAMES[best], value: round4(x[best]), sd: round4(this.zOf(best, x[best])), attribution: round4(attr[best]) });
    }
    return out;
  }

  /** JSON array of the top 3 explain entries (what the decision row stores). */
  explainJson(x: Float64Array): string {
    return JSON.stringify(this.explain(x, 3));
  }

  /**
   * Scores x after rounding it in place to the 4 decimals that are stored (so a stored row re-scores to its
   * own score), reusing `memo`'s score and text when the rounded vector is the one it last saw with this
   * scorer. Most requests of a steady client produce the same rounded vector as its previous one (the
   * forest is piecewise constant, and 4-decimal values move slowly), so this skips the 100-tree walk and
   * the formatting. Sets memo.score / memo.text; returns the score.
   */
  scoreMemo(x: Float64Array, memo: ScoreMemo): number {
    let same = memo.scorer === this && memo.x !== null;
    for (let i = 0; i < NUM_FEATURES; i++) {
      const v = round4(x[i]);
      x[i] = v;
      if (same && memo.x![i] !== v) same = false;
    }
    if (same) return memo.score;
    const s = this.model.forest.score(x);
    if (memo.x === null) memo.x = new Float64Array(NUM_FEATURES);
    memo.x.set(x);
    memo.scorer = this;
    memo.score = s;
    memo.text = this.featuresText(x);
    return s;
  }

  /**
   * The compact stored form (src/telemetry/features-codec.ts): `<feature set id>|v1,v2,...`, the values
   * rounded to 4 decimals like featuresJson's, a third of its size. What `serve` stores with each row.
   */
  featuresText(x: Float64Array): string {
    let s = TEXT_PREFIX + format4(x[0]);
    for (let i = 1; i < NUM_FEATURES; i++) s += ',' + format4(x[i]);
    return s;
  }

  /** JSON object name → value (rounded to 4 decimals), built without intermediate objects. */
  featuresJson(x: Float64Array): string {
    let s = '';
    for (let i = 0; i < NUM_FEATURES; i++) s += FEATURE_PREFIX[i] + format4(x[i]);
    return s + '}';
  }
}
