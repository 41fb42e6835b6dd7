// Owns `pathhelm train`'s core: streams a CSV into a flat Float64Array, fits the Isolation Forest, picks the
// threshold, computes training-score quantiles, feature summary and (with labels) metrics, and builds the model meta.
//
// Example:
//   const r = trainFromCsv({ data: 'data.csv', trees: 100, seed: 1, threshold: { method: 'max-fpr', value: 0.001 } });
//   saveModel('models/mine.json', r.meta, r.forest);
//   console.log(r.rows, r.meta.threshold, r.meta.metrics?.rocAuc);

import { basename } from 'node:path';
import { FEATURE_NAMES, DEFAULT_WINDOW_MS } from '../behaviour/features.js';
import { CsvReader, CsvRowError, checkWidth, parseCell } from '../dataset/csv.js';
import { PathHelmError } from '../errors.js';
import {
  IsolationForest,
  MODEL_FORMAT,
  MODEL_VERSION,
  precisionRecallF1,
  quantile,
  rocAuc,
  type FeatureSummary,
  type IsolationForest as Forest,
  type ModelMeta,
} from '../forest/index.js';
import { VERSION } from '../version.js';
import { calibrateThreshold } from './evaluate.js';

/** How the threshold is chosen. */
export type ThresholdChoice =
  /** score >= 0.5 (the paper's rule of thumb). */
  | { method: 'auto' }
  /** the (1 − value) quantile of all training scores: about `value` of the training rows are at/above. */
  | { method: 'contamination'; value: number }
  /** needs labels: the lowest 4-decimal score with at most `value` of the rows labelled 0 at/above it. */
  | { method: 'max-fpr'; value: number }
  /**
   * behaviour features only: replay seeded ordinary sessions through the shared feature window and take the
   * highest score any of them holds for `consecutive` requests in a row, plus `margin` (src/train/evaluate.ts).
   */
  | { method: 'calibrate'; sessions: number; consecutive?: number; minEvents?: number; margin?: number; seed?: number };

export interface TrainOptions {
  /** CSV path ('-' = stdin). */
  data: string;
  /** Label column (excluded from features, used for metrics). Default: `label` when present. */
  label?: string;
  /** Feature columns in model order. Default: every numeric column but the label. */
  features?: readonly string[];
  trees?: number;
  sampleSize?: number;
  seed?: number;
  threshold?: ThresholdChoice;
  /** Count and skip bad rows instead of failing on the first. */
  skipInvalid?: boolean;
  /** Called every ~50k rows while reading. */
  onProgress?: (rows: number, bytes: number) => void;
}

export interface TrainResult {
  meta: ModelMeta;
  forest: Forest;
  rows: number;
  skipped: number;
  /** First few skipped-row messages (with --skip-invalid). */
  skippedExamples: string[];
  features: string[];
  labelColumn: string | null;
  positives: number;
  /** Training scores, row order. */
  scores: Float64Array;
  timings: { readSeconds: number; fitSeconds: number; scoreSeconds: number };
}

export const DEFAULT_TRAIN = { trees: 100, sampleSize: 256, seed: 1 } as const;

/** Quantiles of the training scores stored in the model (key → q). */
export const SCORE_QUANTILES: readonly [string, number][] = [
  ['p01', 0.01],
  ['p50', 0.5],
  ['p90', 0.9],
  ['p95', 0.95],
  ['p99', 0.99],
  ['p99.9', 0.999],
  ['max', 1],
];

const PROGRESS_EVERY = 50_000;

/** Growable row-major matrix of float64 plus a label byte per row; no per-row objects. */
class Matrix {
  data: Float64Array;
  labels: Uint8Array;
  rows = 0;
  constructor(readonly cols: number) {
    this.data = new Float64Array(cols * 4096);
    this.labels = new Uint8Array(4096);
  }
  push(row: Float64Array, label: number): void {
    if ((this.rows + 1) * this.cols > this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
      const l = new Uint8Array(this.labels.length * 2);
      l.set(this.labels);
      this.labels = l;
    }
    this.data.set(row, this.rows * this.cols);
    this.labels[this.rows] = label;
    this.rows++;
  }
}

/** Running min/max/mean/sd per column (Welford). */
class Summary {
  private readonly n: Float64Array;
  private readonly mean: Float64Array;
  private readonly m2: Float64Array;
  private readonly min: Float64Array;
  private readonly max: Float64Array;
  constructor(readonly names: readonly string[]) {
    const k = names.length;
    this.n = new Float64Array(k);
    this.mean = new Float64Array(k);
    this.m2 = new Float64Array(k);
    this.min = new Float64Array(k).fill(Infinity);
    this.max = new Float64Array(k).fill(-Infinity);
  }
  add(row: Float64Array): void {
    for (let j = 0; j < row.length; j++) {
      const v = row[j];
      const n = ++this.n[j];
      const d = v - this.mean[j];
      this.mean[j] += d / n;
      this.m2[j] += d * (v - this.mean[j]);
      if (v < this.min[j]) this.min[j] = v;
      if (v > this.max[j]) this.max[j] = v;
    }
  }
  result(): FeatureSummary[] {
    return this.names.map((name, j) => ({
      name,
      min: this.min[j],
      max: this.max[j],
      mean: round(this.mean[j], 9),
      sd: round(this.n[j] > 1 ? Math.sqrt(this.m2[j] / this.n[j]) : 0, 9),
    }));
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Whether a cell looks numeric (used on the first data row to pick default feature columns). */
function looksNumeric(cell: string): boolean {
  try {
    parseCell(cell, { name: '', lineNumber: 0 }, '');
    return true;
  } catch {
    return false;
  }
}

/** Resolves label and feature columns against the header (and the first data row for the defaults). */
export function resolveColumns(
  reader: CsvReader,
  firstRow: string[] | null,
  opts: { label?: string; features?: readonly string[] },
): { labelColumn: string | null; labelIndex: number; features: string[]; featureIndex: number[] } {
  const header = reader.header;
  const cols = header.join(', ');
  let labelColumn: string | null = null;
  if (opts.label !== undefined) {
    if (!header.includes(opts.label)) {
      throw new PathHelmError('PH_ERR_USAGE', `--label "${opts.label}" is not a column of ${reader.name} (columns: ${cols})`);
    }
    labelColumn = opts.label;
  } else if (header.includes('label')) labelColumn = 'label';
  const labelIndex = labelColumn === null ? -1 : header.indexOf(labelColumn);

  let features: string[];
  if (opts.features && opts.features.length > 0) {
    features = [...opts.features];
    const seen = new Set<string>();
    for (const f of features) {
      if (!header.includes(f)) throw new PathHelmError('PH_ERR_USAGE', `--features: "${f}" is not a column of ${reader.name} (columns: ${cols})`);
      if (f === labelColumn) throw new PathHelmError('PH_ERR_USAGE', `--features: "${f}" is the label column; a label cannot be a feature`);
      if (seen.has(f)) throw new PathHelmError('PH_ERR_USAGE', `--features: "${f}" is listed twice`);
      seen.add(f);
    }
  } else {
    if (firstRow === null) throw new PathHelmError('PH_ERR_CSV', `${reader.name} has a header but no data rows`);
    features = header.filter((_h, i) => i !== labelIndex && looksNumeric(firstRow[i] ?? ''));
    if (features.length === 0) throw new PathHelmError('PH_ERR_CSV', `${reader.name} has no numeric column besides the label (columns: ${cols})`);
  }
  return { labelColumn, labelIndex, features, featureIndex: features.map((f) => header.indexOf(f)) };
}

/** Threshold value and its description for the model file. */
export function chooseThreshold(
  choice: ThresholdChoice,
  sortedScores: Float64Array,
  scores: Float64Array,
  labels: Uint8Array | null,
): { value: number; method: string } {
  if (choice.method === 'auto') return { value: 0.5, method: 'auto (score >= 0.5)' };
  if (choice.method === 'calibrate') throw new PathHelmError('PH_ERR_INTERNAL', 'calibrate needs the forest; use trainFromCsv');
  if (choice.method === 'contamination') {
    const f = choice.value;
    if (!(f > 0 && f < 0.5)) throw new PathHelmError('PH_ERR_USAGE', `--contamination must be "auto" or a fraction in (0, 0.5), got ${f}`);
    return { value: quantile(sortedScores, 1 - f), method: `contamination ${f} (training-score quantile ${round(1 - f, 6)})` };
  }
  const r = choice.value;
  if (!(r >= 0 && r < 1)) throw new PathHelmError('PH_ERR_USAGE', `--max-fpr must be a fraction in [0, 1), got ${r}`);
  if (labels === null) throw new PathHelmError('PH_ERR_USAGE', '--max-fpr needs a label column (rows labelled 0 are the ordinary ones); pass --label COL');
  let n = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 0) n++;
  if (n === 0) throw new PathHelmError('PH_ERR_USAGE', '--max-fpr needs rows labelled 0; the label column has none');
  const normal = new Float64Array(n);
  for (let i = 0, k = 0; i < labels.length; i++) if (labels[i] === 0) normal[k++] = scores[i];
  normal.sort();
  const allowed = Math.floor(r * n); // rows labelled 0 that may sit at/above the threshold
  const pivot = normal[n - 1 - allowed]; // the highest score that must stay below
  const value = Math.ceil((pivot + 1e-9) * 1e4) / 1e4;
  return { value, method: `max-fpr ${r} (score >= value flags at most ${allowed} of ${n} training rows labelled 0)` };
}

function isBehaviourFeatureSet(features: readonly string[]): boolean {
  return features.length === FEATURE_NAMES.length && features.every((f, i) => f === FEATURE_NAMES[i]);
}

/** Trains a model from a CSV file. Throws PathHelmError (PH_ERR_CSV naming line and column, PH_ERR_USAGE). */
export function trainFromCsv(opts: TrainOptions): TrainResult {
  const trees = opts.trees ?? DEFAULT_TRAIN.trees;
  const sampleSize = opts.sampleSize ?? DEFAULT_TRAIN.sampleSize;
  const seed = opts.seed ?? DEFAULT_TRAIN.seed;
  const thresholdChoice = opts.threshold ?? { method: 'auto' };
  const t0 = performance.now();
  const reader = CsvReader.open(opts.data);
  let matrix: Matrix;
  let cols: ReturnType<typeof resolveColumns>;
  let skipped = 0;
  const skippedExamples: string[] = [];
  let positives = 0;
  let summary: Summary;
  try {
    const firstLine = reader.nextLine();
    const firstRow = firstLine === null ? null : reader.split(firstLine);
    cols = resolveColumns(reader, firstRow, opts);
    matrix = new Matrix(cols.features.length);
    summary = new Summary(cols.features);
    const row = new Float64Array(cols.features.length);
    const { featureIndex, labelIndex, features, labelColumn } = cols;
    const handle = (cells: string[]): void => {
      try {
        checkWidth(cells, reader);
        for (let j = 0; j < featureIndex.length; j++) row[j] = parseCell(cells[featureIndex[j]], reader, features[j]);
        let label = 0;
        if (labelIndex >= 0) {
          const v = parseCell(cells[labelIndex], reader, labelColumn!);
          if (v !== 0 && v !== 1) throw new CsvRowError(`${reader.name} line ${reader.lineNumber}, column "${labelColumn}": label must be 0 or 1, got "${cells[labelIndex]}"`);
          label = v;
        }
        matrix.push(row, label);
        summary.add(row);
        positives += label;
      } catch (err) {
        if (!(err instanceof CsvRowError) || !opts.skipInvalid) throw err;
        skipped++;
        if (skippedExamples.length < 3) skippedExamples.push(err.message);
      }
    };
    if (firstRow !== null) handle(firstRow);
    for (let line = reader.nextLine(); line !== null; line = reader.nextLine()) {
      handle(reader.split(line));
      if (opts.onProgress && (matrix.rows + skipped) % PROGRESS_EVERY === 0) opts.onProgress(matrix.rows, reader.bytesRead);
    }
  } finally {
    reader.close();
  }
  const rows = matrix.rows;
  if (rows < 2) {
    throw new PathHelmError('PH_ERR_CSV', `${reader.name} has ${rows} valid data row${rows === 1 ? '' : 's'}${skipped ? ` (${skipped} skipped)` : ''}; training needs at least 2`);
  }
  const t1 = performance.now();
  const k = cols.features.length;
  const X = matrix.data.subarray(0, rows * k);
  const forest = IsolationForest.fit(X, rows, k, { trees, sampleSize, seed });
  const t2 = performance.now();
  const scores = forest.scoreBatch(X, rows);
  const t3 = performance.now();

  const sorted = Float64Array.from(scores).sort();
  const quantiles: Record<string, number> = {};
  for (const [name, q] of SCORE_QUANTILES) quantiles[name] = round(quantile(sorted, q), 9);
  const labels = cols.labelColumn === null ? null : matrix.labels.subarray(0, rows);
  let threshold: { value: number; method: string };
  if (thresholdChoice.method === 'calibrate') {
    if (!isBehaviourFeatureSet(cols.features)) {
      throw new PathHelmError('PH_ERR_USAGE', `--calibrate replays sessions through the behaviour features; the model's features must be exactly ${FEATURE_NAMES.join(',')}`);
    }
    const c = thresholdChoice;
    const cal = calibrateThreshold(forest, c);
    threshold = {
      value: cal.value,
      method: `calibrate: highest ${c.consecutive ?? 3}-in-a-row score of ${cal.sessions} replayed sessions per ordinary profile (seed ${c.seed ?? 1009}, windows of >= ${c.minEvents ?? 20} events) was ${round(cal.ordinaryMax, 4)}, + margin ${c.margin ?? 0.01}`,
    };
  } else threshold = chooseThreshold(thresholdChoice, sorted, scores, labels);
  threshold.value = round(threshold.value, 9);

  let metrics: ModelMeta['metrics'] = null;
  if (labels !== null && positives > 0 && positives < rows) {
    const prf = precisionRecallF1(scores, labels, threshold.value);
    metrics = {
      rocAuc: round(rocAuc(scores, labels), 9),
      precision: round(prf.precision, 9),
      recall: round(prf.recall, 9),
      f1: round(prf.f1, 9),
      labelColumn: cols.labelColumn!,
      positives,
    };
  }
  const featureSummary = summary.result();
  const training: Record<string, unknown> = { data: opts.data === '-' ? 'stdin' : basename(opts.data), rows, skippedRows: skipped };
  if (cols.labelColumn !== null) training.labelColumn = cols.labelColumn;
  if (isBehaviourFeatureSet(cols.features)) {
    // The shared behaviour features: record what the gateway needs to score like the training data did.
    training.featureSet = 'behaviour';
    training.windowMs = DEFAULT_WINDOW_MS;
    training.minEvents = Math.round(Math.expm1(featureSummary[0].min)); // req_count_log = ln(1 + events)
  }
  const meta: ModelMeta = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    createdBy: `pathhelm ${VERSION}`,
    features: cols.features,
    params: { trees, sampleSize: forest.sampleSize, seed, rows },
    threshold,
    quantiles,
    featureSummary,
    metrics,
    training,
  };
  return {
    meta,
    forest,
    rows,
    skipped,
    skippedExamples,
    features: cols.features,
    labelColumn: cols.labelColumn,
    positives,
    scores,
    timings: { readSeconds: (t1 - t0) / 1000, fitSeconds: (t2 - t1) / 1000, scoreSeconds: (t3 - t2) / 1000 },
  };
}
