// Owns `pathhelm dataset export`: the feature vectors `serve` stored with its decisions, written as a training
// CSV in exactly the `dataset generate` format (FEATURE_NAMES..., label, profile), so `pathhelm train` can fit a
// baseline on real traffic.
//
// Example:
//   exportDataset({ db: '.pathhelm/pathhelm.db', since: Date.now() - 86_400_000, out: 'live.csv' });
//   // → { rows: 18234, anomalies: 12, skipped: 0 }
//
// Rows: every decision row that was scored (features IS NOT NULL), oldest first.
// label: 1 when the request was BLOCKed for behaviour (`reason = 'anomaly'`, or in monitor mode would have
//   been: the row's reason is still 'anomaly' there), else 0 — flags (`anomaly_flag`) and rule decisions are 0.
//   Labels only evaluate a model (`pathhelm train` fits the forest without them); drop label-1 rows with
//   `excludeAnomalies` to fit on the traffic the gateway judged normal.
// profile: always `live`.

import { FEATURE_NAMES, NUM_FEATURES } from '../behaviour/features.js';
import { openDb, type Db } from '../telemetry/db.js';
import { decodeFeatures } from '../telemetry/features-codec.js';
import { CsvWriter } from './csv.js';
import { DATASET_COLUMNS } from './generate.js';

export interface ExportOptions {
  /** SQLite decision log written by `serve`. */
  db: string;
  /** Only rows with ts >= since (ms since the epoch); default all. */
  since?: number;
  /** Output file, '-' for stdout. */
  out: string;
  /** Leave out rows labelled 1. */
  excludeAnomalies?: boolean;
}

export interface ExportSummary {
  rows: number;
  anomalies: number;
  /** Scored rows whose feature JSON lacked a current feature or was malformed (an older model's features). */
  skipped: number;
}

export const EXPORT_PROFILE = 'live';

/**
 * Reads a stored features value (compact or JSON, see src/telemetry/features-codec.ts) into `out` in
 * FEATURE_NAMES order; false when a feature is missing or not a number. `db` names compact values' feature sets.
 */
export function featuresFromJson(json: string, out: Float64Array, db: Db | null = null): boolean {
  const o = decodeFeatures(db, json) as Record<string, unknown> | null;
  if (o === null) return false;
  for (let i = 0; i < NUM_FEATURES; i++) {
    const v = o[FEATURE_NAMES[i]];
    if (typeof v !== 'number' || !Number.isFinite(v)) return false;
    out[i] = v;
  }
  return true;
}

export function exportDataset(opts: ExportOptions): ExportSummary {
  const db = openDb(opts.db, { readonly: true });
  const summary: ExportSummary = { rows: 0, anomalies: 0, skipped: 0 };
  let writer: CsvWriter | null = null;
  try {
    const stmt = db.prepare('SELECT features, reason FROM decisions WHERE features IS NOT NULL AND ts >= ? ORDER BY id');
    writer = new CsvWriter(opts.out);
    writer.writeRow(DATASET_COLUMNS);
    const x = new Float64Array(NUM_FEATURES);
    const cells: (string | number)[] = new Array(NUM_FEATURES + 2);
    for (const row of stmt.iterate(opts.since ?? 0) as Iterable<{ features: string; reason: string }>) {
      if (!featuresFromJson(row.features, x, db)) {
        summary.skipped++;
        continue;
      }
      const label = row.reason === 'anomaly' ? 1 : 0;
      if (label === 1 && opts.excludeAnomalies) continue;
      for (let i = 0; i < NUM_FEATURES; i++) cells[i] = x[i];
      cells[NUM_FEATURES] = label;
      cells[NUM_FEATURES + 1] = EXPORT_PROFILE;
      writer.writeRow(cells);
      summary.rows++;
      summary.anomalies += label;
    }
    writer.close();
    writer = null;
  } finally {
    writer?.close();
    db.close();
  }
  return summary;
}
