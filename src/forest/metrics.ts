// Owns the evaluation metrics for anomaly scores: ROC AUC (ties by average rank), precision/recall/F1
// at a threshold, and quantiles of sorted scores.
//
// Example:
//   rocAuc([0.9, 0.4, 0.7, 0.4], [1, 0, 1, 1]);            // 0.8333... (the 0.4 tie counts one half)
//   precisionRecallF1([0.9, 0.4], [1, 0], 0.5);            // { precision: 1, recall: 1, f1: 1, tp: 1, ... }
//   quantile(Float64Array.from([1, 2, 3, 4]), 0.5);        // 2.5
//
// A label counts as positive (anomaly) when it is not 0; a score counts as flagged when it is
// strictly greater than the threshold (the paper's "s > 0.5" rule).
import { PathHelmError } from '../errors.js';

function checkLengths(what: string, scores: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (scores.length !== labels.length) {
    throw new PathHelmError('PH_ERR_USAGE', `${what}: ${scores.length} scores but ${labels.length} labels`);
  }
}

/**
 * Area under the ROC curve = P(score of a random positive > score of a random negative), with ties
 * counted one half (identical to the Mann-Whitney U statistic with average ranks). NaN when the labels
 * hold only one class. O(n log n) with native typed-array sorts.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkLengths('rocAuc', scores, labels);
  let p = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] !== 0) p++;
  const n = labels.length - p;
  if (p === 0 || n === 0) return NaN;
  const pos = new Float64Array(p);
  const neg = new Float64Array(n);
  for (let i = 0, a = 0, b = 0; i < labels.length; i++) {
    if (Number.isNaN(scores[i])) throw new PathHelmError('PH_ERR_USAGE', `rocAuc: score ${i} is NaN`);
    if (labels[i] !== 0) pos[a++] = scores[i];
    else neg[b++] = scores[i];
  }
  pos.sort();
  neg.sort();
  // for each positive: negatives strictly below count 1, equal ones count 1/2
  let below = 0; // negatives < current positive score
  let upto = 0; // negatives <= current positive score
  let acc = 0;
  for (let i = 0; i < p; i++) {
    const s = pos[i];
    while (below < n && neg[below] < s) below++;
    if (upto < below) upto = below;
    while (upto < n && neg[upto] === s) upto++;
    acc += below + (upto - below) / 2;
  }
  return acc / p / n;
}

export interface ThresholdMetrics {
  precision: number;
  recall: number;
  f1: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/**
 * Precision, recall and F1 when every score > threshold is flagged as an anomaly. A ratio whose
 * denominator is 0 is reported as 0 (as scikit-learn's zero_division=0 does).
 */
export function precisionRecallF1(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): ThresholdMetrics {
  checkLengths('precisionRecallF1', scores, labels);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < scores.length; i++) {
    const flagged = scores[i] > threshold;
    const positive = labels[i] !== 0;
    if (flagged) {
      if (positive) tp++;
      else fp++;
    } else if (positive) fn++;
    else tn++;
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, tp, fp, fn, tn };
}

/**
 * q-quantile (0 <= q <= 1) of ascending `sorted` values by linear interpolation between closest ranks
 * (numpy's default, "type 7"). NaN for an empty array.
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new PathHelmError('PH_ERR_USAGE', `quantile q must be between 0 and 1, got ${q}`);
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
