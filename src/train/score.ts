// Owns `pathhelm score`'s core: streams a CSV through a saved model and writes the rows with a `score` column
// appended; reports ROC AUC when the file has the model's label column.
//
// Example:
//   const r = scoreCsv({ model: 'models/default.json', data: 'fresh.csv', out: 'scored.csv' });
//   console.log(r.rows, r.rocAuc, r.atOrAbove);

import { CsvReader, CsvRowError, CsvWriter, checkWidth, formatNumber, parseCell } from '../dataset/csv.js';
import { PathHelmError } from '../errors.js';
import { loadModel, rocAuc, type LoadedModel } from '../forest/index.js';

export interface ScoreOptions {
  /** Model file path (or an already loaded model). */
  model: string | LoadedModel;
  /** CSV path ('-' = stdin). */
  data: string;
  /** Output CSV ('-' = stdout, the default). */
  out?: string;
  skipInvalid?: boolean;
  onProgress?: (rows: number, bytes: number) => void;
}

export interface ScoreResult {
  rows: number;
  skipped: number;
  skippedExamples: string[];
  labelColumn: string | null;
  rocAuc: number | null;
  threshold: number;
  /** Rows whose score is at or above the model's threshold. */
  atOrAbove: number;
  seconds: number;
}

/** The label column a model was trained with (metrics, then training provenance), default `label`. */
export function modelLabelColumn(model: LoadedModel): string {
  const fromMetrics = model.meta.metrics?.labelColumn;
  const fromTraining = model.meta.training?.labelColumn;
  return fromMetrics ?? (typeof fromTraining === 'string' ? fromTraining : 'label');
}

/** Scores every row of a CSV with a model. Refuses a CSV that lacks any of the model's features. */
export function scoreCsv(opts: ScoreOptions): ScoreResult {
  const t0 = performance.now();
  const model = typeof opts.model === 'string' ? loadModel(opts.model) : opts.model;
  const source = typeof opts.model === 'string' ? opts.model : (model.source ?? 'model');
  const features = model.meta.features;
  const reader = CsvReader.open(opts.data);
  let writer: CsvWriter | null = null;
  try {
    const header = reader.header;
    const missing = features.filter((f) => !header.includes(f));
    if (missing.length > 0) {
      throw new PathHelmError(
        'PH_ERR_MODEL',
        `${source} needs feature column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} which ${reader.name} lacks (its columns: ${header.join(', ')}); score a file made with the same features or train a model on this file`,
      );
    }
    if (header.includes('score')) {
      throw new PathHelmError('PH_ERR_USAGE', `${reader.name} already has a "score" column; remove it before scoring`);
    }
    const featureIndex = features.map((f) => header.indexOf(f));
    const labelColumn = modelLabelColumn(model);
    const labelIndex = header.indexOf(labelColumn);
    const threshold = model.meta.threshold.value;

    writer = new CsvWriter(opts.out ?? '-');
    writer.writeLine(`${header.join(',')},score`);
    const x = new Float64Array(features.length);
    let scores = labelIndex >= 0 ? new Float64Array(4096) : null;
    let labels = labelIndex >= 0 ? new Uint8Array(4096) : null;
    let rows = 0;
    let skipped = 0;
    let atOrAbove = 0;
    const skippedExamples: string[] = [];
    for (let line = reader.nextLine(); line !== null; line = reader.nextLine()) {
      const cells = reader.split(line);
      let label = 0;
      try {
        checkWidth(cells, reader);
        for (let j = 0; j < featureIndex.length; j++) x[j] = parseCell(cells[featureIndex[j]], reader, features[j]);
        if (labelIndex >= 0) {
          label = parseCell(cells[labelIndex], reader, labelColumn);
          if (label !== 0 && label !== 1) throw new CsvRowError(`${reader.name} line ${reader.lineNumber}, column "${labelColumn}": label must be 0 or 1, got "${cells[labelIndex]}"`);
        }
      } catch (err) {
        if (!(err instanceof CsvRowError) || !opts.skipInvalid) throw err;
        skipped++;
        if (skippedExamples.length < 3) skippedExamples.push(err.message);
        continue;
      }
      const s = model.forest.score(x);
      if (s >= threshold) atOrAbove++;
      writer.writeLine(`${line},${formatNumber(s)}`);
      if (scores !== null && labels !== null) {
        if (rows === scores.length) {
          const s2 = new Float64Array(rows * 2);
          s2.set(scores);
          scores = s2;
          const l2 = new Uint8Array(rows * 2);
          l2.set(labels);
          labels = l2;
        }
        scores[rows] = s;
        labels[rows] = label;
      }
      rows++;
      if (opts.onProgress && rows % 50_000 === 0) opts.onProgress(rows, reader.bytesRead);
    }
    writer.close();
    let auc: number | null = null;
    if (scores !== null && labels !== null) {
      const a = rocAuc(scores.subarray(0, rows), labels.subarray(0, rows));
      auc = Number.isNaN(a) ? null : a;
    }
    return {
      rows,
      skipped,
      skippedExamples,
      labelColumn: labelIndex >= 0 ? labelColumn : null,
      rocAuc: auc,
      threshold,
      atOrAbove,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    reader.close();
    writer?.close();
  }
}
