// Owns the model file format `pathhelm-iforest` v1 (docs/model-format.md): deterministic JSON
// serialisation, strict validation on parse, atomic save, load, and the feature-name check.
//
// Example:
//   saveModel('models/default.json', meta, forest);      // mkdir -p, tmp file + rename
//   const model = loadModel('models/default.json');      // throws PH_ERR_MODEL naming what is wrong
//   checkFeatures(model, FEATURE_NAMES);                  // throws when names/order differ
//   model.forest.score(vector) > model.meta.threshold.value;
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PathHelmError } from '../errors.js';
import { IsolationForest, type ForestArrays, type TreeArrays } from './forest.js';

export const MODEL_FORMAT = 'pathhelm-iforest';
export const MODEL_VERSION = 1;

export interface FeatureSummary {
  name: string;
  min: number;
  max: number;
  mean: number;
  sd: number;
}

export interface ModelMeta {
  format: typeof MODEL_FORMAT;
  version: number;
  /** e.g. 'pathhelm 0.1.0' — no timestamps so output is reproducible */
  createdBy: string;
  /** feature names, in the order of the vectors the forest scores */
  features: string[];
  params: { trees: number; sampleSize: number; seed: number; rows: number };
  /** method: 'auto (score > 0.5)' | 'contamination 0.05 (training-score quantile)' */
  threshold: { value: number; method: string };
  /** training-score quantiles, e.g. p50, p90, p95, p99, p999, max */
  quantiles: Record<string, number>;
  featureSummary: FeatureSummary[];
  metrics?: { rocAuc: number; precision: number; recall: number; f1: number; labelColumn: string; positives: number } | null;
  /** free-form provenance (data file name, generator seed...) */
  training?: Record<string, unknown>;
}

export interface LoadedModel {
  meta: ModelMeta;
  forest: IsolationForest;
  /** where the model came from (file path or the `source` given to parseModel) */
  source?: string;
}

function fail(source: string, what: string): never {
  throw new PathHelmError('PH_ERR_MODEL', `${source}: ${what}`);
}

/** JSON text of one number; refuses NaN/Infinity (JSON would silently turn them into null). */
function num(v: number, where: string): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new PathHelmError('PH_ERR_MODEL', `cannot serialise model: ${where} must be a finite number, got ${v}`);
  }
  return JSON.stringify(v);
}

function numArray(a: ArrayLike<number>, where: string): string {
  const parts = new Array<string>(a.length);
  for (let i = 0; i < a.length; i++) parts[i] = num(a[i], `${where}[${i}]`);
  return `[${parts.join(',')}]`;
}

function indentJson(value: unknown, indent: string): string {
  return JSON.stringify(value, null, 2).replace(/\n/g, `\n${indent}`);
}

/**
 * Deterministic text of a model: meta keys in a fixed order (pretty-printed), then the forest with one
 * tree per line. Same meta and forest give byte-identical text. Throws PH_ERR_MODEL for non-finite
 * numbers or a meta that does not match the forest (the result always passes parseModel).
 */
export function serializeModel(meta: ModelMeta, forest: IsolationForest): string {
  for (const k of ['features', 'params', 'threshold', 'quantiles', 'featureSummary'] as const) {
    if (meta?.[k] === undefined || meta[k] === null) {
      throw new PathHelmError('PH_ERR_MODEL', `cannot serialise model: meta.${k} is missing`);
    }
  }
  const a = forest.toArrays();
  const m = meta.metrics ?? null;
  if (m) {
    for (const k of ['rocAuc', 'precision', 'recall', 'f1', 'positives'] as const) num(m[k], `metrics.${k}`);
  }
  num(meta.threshold?.value, 'threshold.value');
  const head: Record<string, unknown> = {
    format: meta.format,
    version: meta.version,
    createdBy: meta.createdBy,
    features: meta.features,
    params: { trees: meta.params.trees, sampleSize: meta.params.sampleSize, seed: meta.params.seed, rows: meta.params.rows },
    threshold: { value: meta.threshold.value, method: meta.threshold.method },
    quantiles: meta.quantiles,
    featureSummary: meta.featureSummary.map((f) => ({ name: f.name, min: f.min, max: f.max, mean: f.mean, sd: f.sd })),
    metrics: m
      ? { rocAuc: m.rocAuc, precision: m.precision, recall: m.recall, f1: m.f1, labelColumn: m.labelColumn, positives: m.positives }
      : null,
    training: meta.training ?? {},
  };
  const lines: string[] = ['{'];
  for (const [k, v] of Object.entries(head)) lines.push(`  ${JSON.stringify(k)}: ${indentJson(v, '  ')},`);
  lines.push('  "forest": {');
  lines.push(`    "numFeatures": ${a.numFeatures},`);
  lines.push(`    "sampleSize": ${a.sampleSize},`);
  lines.push(`    "heightLimit": ${forest.heightLimit},`);
  lines.push('    "trees": [');
  a.trees.forEach((t, i) => {
    const sep = i + 1 < a.trees.length ? ',' : '';
    lines.push(
      `      {"feature":${numArray(t.feature, `tree ${i} feature`)},"threshold":${numArray(t.threshold, `tree ${i} threshold`)},"size":${numArray(t.size, `tree ${i} size`)}}${sep}`,
    );
  });
  lines.push('    ]');
  lines.push('  }');
  lines.push('}');
  const text = `${lines.join('\n')}\n`;
  parseModel(text, 'serializeModel'); // never write a file we would refuse to load
  return text;
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isFiniteNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Parses and validates model text: format, version, meta shape and finiteness, then every tree (shape,
 * sizes, feature indices, thresholds) and the feature count against the trees. Throws
 * PH_ERR_MODEL '<source>: <what is wrong>'.
 */
export function parseModel(text: string, source = 'model'): LoadedModel {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    fail(source, `not valid JSON (${(err as Error).message}); the file may be truncated or not a model`);
  }
  if (!isObj(doc)) fail(source, 'not a model: expected a JSON object');
  if (doc.format !== MODEL_FORMAT) {
    fail(source, `not a PathHelm model: format is ${JSON.stringify(doc.format)}, expected "${MODEL_FORMAT}"`);
  }
  const version = doc.version;
  if (!Number.isInteger(version)) fail(source, `version must be an integer, got ${JSON.stringify(version)}`);
  if ((version as number) > MODEL_VERSION) {
    fail(source, `model format version ${version} is newer than this PathHelm supports (${MODEL_VERSION}); upgrade pathhelm or retrain`);
  }
  if (version !== MODEL_VERSION) fail(source, `unsupported model format version ${version} (supported: ${MODEL_VERSION}); retrain the model`);
  if (typeof doc.createdBy !== 'string') fail(source, 'createdBy must be a string');

  const features = doc.features;
  if (!Array.isArray(features) || features.length === 0) fail(source, 'features must be a non-empty array of names');
  const seen = new Set<string>();
  features.forEach((f, i) => {
    if (typeof f !== 'string' || f === '') fail(source, `features[${i}] must be a non-empty string`);
    if (seen.has(f)) fail(source, `feature "${f}" is listed twice`);
    seen.add(f);
  });

  const params = doc.params;
  if (!isObj(params)) fail(source, 'params must be an object');
  for (const k of ['trees', 'sampleSize', 'seed', 'rows']) {
    if (!Number.isSafeInteger(params[k])) fail(source, `params.${k} must be an integer, got ${JSON.stringify(params[k])}`);
  }

  const threshold = doc.threshold;
  if (!isObj(threshold)) fail(source, 'threshold must be an object { value, method }');
  if (!isFiniteNum(threshold.value)) fail(source, `threshold.value must be a finite number, got ${JSON.stringify(threshold.value)}`);
  if (typeof threshold.method !== 'string') fail(source, 'threshold.method must be a string');

  if (!isObj(doc.quantiles)) fail(source, 'quantiles must be an object of numbers');
  for (const [k, v] of Object.entries(doc.quantiles)) {
    if (!isFiniteNum(v)) fail(source, `quantiles.${k} must be a finite number, got ${JSON.stringify(v)}`);
  }

  const fs = doc.featureSummary;
  if (!Array.isArray(fs) || fs.length !== features.length) {
    fail(source, `featureSummary must have one entry per feature (${features.length}), got ${Array.isArray(fs) ? fs.length : typeof fs}`);
  }
  fs.forEach((s, i) => {
    if (!isObj(s) || s.name !== features[i]) fail(source, `featureSummary[${i}] must describe feature "${features[i]}"`);
    for (const k of ['min', 'max', 'mean', 'sd']) {
      if (!isFiniteNum(s[k])) fail(source, `featureSummary[${i}].${k} must be a finite number, got ${JSON.stringify(s[k])}`);
    }
  });

  const metrics = doc.metrics;
  if (metrics !== undefined && metrics !== null) {
    if (!isObj(metrics)) fail(source, 'metrics must be an object or null');
    for (const k of ['rocAuc', 'precision', 'recall', 'f1', 'positives']) {
      if (!isFiniteNum(metrics[k])) fail(source, `metrics.${k} must be a finite number, got ${JSON.stringify(metrics[k])}`);
    }
    if (typeof metrics.labelColumn !== 'string') fail(source, 'metrics.labelColumn must be a string');
  }
  if (doc.training !== undefined && !isObj(doc.training)) fail(source, 'training must be an object');

  const forestDoc = doc.forest;
  if (!isObj(forestDoc)) fail(source, 'forest is missing; the file may be truncated');
  if (forestDoc.numFeatures !== features.length) {
    fail(source, `forest.numFeatures is ${JSON.stringify(forestDoc.numFeatures)} but the model lists ${features.length} features`);
  }
  if (!Array.isArray(forestDoc.trees)) fail(source, 'forest.trees must be an array');
  if (forestDoc.trees.length !== params.trees) {
    fail(source, `forest has ${forestDoc.trees.length} trees but params.trees is ${params.trees}; the file may be truncated`);
  }
  if (forestDoc.sampleSize !== params.sampleSize) {
    fail(
      source,
      `forest.sampleSize ${JSON.stringify(forestDoc.sampleSize)} does not match params.sampleSize ${params.sampleSize} (params.sampleSize is the psi actually used, min(requested, rows) = forest.sampleSize)`,
    );
  }
  if (forestDoc.heightLimit !== undefined && forestDoc.heightLimit !== Math.ceil(Math.log2(params.sampleSize as number))) {
    fail(source, `forest.heightLimit ${JSON.stringify(forestDoc.heightLimit)} is not ceil(log2(sampleSize))`);
  }
  const arrays: ForestArrays = {
    numFeatures: forestDoc.numFeatures as number,
    sampleSize: forestDoc.sampleSize as number,
    trees: forestDoc.trees as TreeArrays[],
  };
  let forest: IsolationForest;
  try {
    forest = IsolationForest.fromArrays(arrays);
  } catch (err) {
    fail(source, (err as Error).message);
  }
  // Rebuild meta with the known keys only (in the documented order).
  const meta: ModelMeta = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    createdBy: doc.createdBy as string,
    features: features as string[],
    params: params as ModelMeta['params'],
    threshold: threshold as ModelMeta['threshold'],
    quantiles: doc.quantiles as Record<string, number>,
    featureSummary: fs as FeatureSummary[],
    metrics: (metrics ?? null) as ModelMeta['metrics'],
    training: (doc.training ?? {}) as Record<string, unknown>,
  };
  return { meta, forest, source };
}

/** Reads and parses a model file; a missing or unreadable file is PH_ERR_MODEL with the path and the fix. */
export function loadModel(path: string): LoadedModel {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') fail(path, 'model file not found; train one with `pathhelm train DATA.csv --out ' + path + '` or pass another path');
    if (code === 'EISDIR') fail(path, 'is a directory, expected a model file (.json)');
    fail(path, `cannot read model file (${code ?? (err as Error).message})`);
  }
  return parseModel(text, path);
}

/** Writes a model atomically: creates the directory, writes a temporary file beside it, renames it. */
export function saveModel(path: string, meta: ModelMeta, forest: IsolationForest): void {
  const text = serializeModel(meta, forest);
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, text, 'utf8');
    renameSync(tmp, path);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the directory itself is unusable; nothing was written
    }
    fail(path, `cannot write model file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/**
 * Checks that the model was trained on exactly `expected` features, in that order; throws PH_ERR_MODEL
 * naming the first difference.
 */
export function checkFeatures(model: LoadedModel, expected: readonly string[]): void {
  const got = model.meta.features;
  const src = model.source ?? 'model';
  const n = Math.max(got.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (got[i] !== expected[i]) {
      const detail =
        got[i] === undefined
          ? `the model lacks feature "${expected[i]}" at position ${i + 1}`
          : expected[i] === undefined
            ? `the model has an extra feature "${got[i]}" at position ${i + 1}`
            : `position ${i + 1} is "${got[i]}" in the model but "${expected[i]}" is expected`;
      fail(
        src,
        `features do not match: ${detail} (model: ${got.join(',')}; expected: ${expected.join(',')}); retrain the model with the current features`,
      );
    }
  }
}
