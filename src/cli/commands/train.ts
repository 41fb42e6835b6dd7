// Owns the `pathhelm train` command: parse flags, call trainFromCsv, save the model, print the summary.
//
// Example:
//   $ pathhelm train data.csv --trees 100 --seed 1 --max-fpr 0.0002 --out models/mine.json
//   $ pathhelm train data.csv --contamination 0.05 --json

import type { Command } from 'commander';
import { PathHelmError } from '../../errors.js';
import { saveModel } from '../../forest/index.js';
import { DEFAULT_TRAIN, trainFromCsv, type ThresholdChoice } from '../../train/train.js';
import { intOption, numberOption } from './dataset.js';

interface TrainFlags {
  label?: string;
  features?: string;
  trees: number;
  sampleSize: number;
  seed: number;
  contamination?: string;
  maxFpr?: number;
  calibrate?: number;
  consecutive: number;
  minEvents: number;
  out: string;
  json?: boolean;
  skipInvalid?: boolean;
}

function thresholdChoice(flags: TrainFlags): ThresholdChoice {
  const chosen = [flags.contamination, flags.maxFpr, flags.calibrate].filter((v) => v !== undefined).length;
  if (chosen > 1) throw new PathHelmError('PH_ERR_USAGE', 'use one of --contamination, --max-fpr and --calibrate');
  if (flags.calibrate !== undefined) {
    return { method: 'calibrate', sessions: flags.calibrate, consecutive: flags.consecutive, minEvents: flags.minEvents };
  }
  if (flags.maxFpr !== undefined) return { method: 'max-fpr', value: flags.maxFpr };
  const c = flags.contamination;
  if (c === undefined || c === 'auto') return { method: 'auto' };
  const v = Number(c);
  if (c.trim() === '' || !Number.isFinite(v) || v <= 0 || v >= 0.5) {
    throw new PathHelmError('PH_ERR_USAGE', `--contamination must be "auto" or a fraction in (0, 0.5), got "${c}"`);
  }
  return { method: 'contamination', value: v };
}

function fmt(n: number, digits = 4): string {
  return Number.isFinite(n) ? n.toFixed(digits) : String(n);
}

export function register(program: Command): void {
  program
    .command('train')
    .description('fit an Isolation Forest on a CSV of feature rows and write a model file')
    .argument('<data>', 'CSV file with a header ("-" = stdin)')
    .option('--label <col>', 'label column (0/1), excluded from features and used for metrics (default: "label" if present)')
    .option('--features <a,b,c>', 'feature columns in model order (default: every numeric column but the label)')
    .option('--trees <n>', 'number of trees', intOption('--trees', 1), DEFAULT_TRAIN.trees)
    .option('--sample-size <n>', 'rows per tree (psi)', intOption('--sample-size', 2), DEFAULT_TRAIN.sampleSize)
    .option('--seed <s>', 'random seed (same data and seed → identical model)', intOption('--seed', 0), DEFAULT_TRAIN.seed)
    .option('--contamination <auto|fraction>', 'threshold: "auto" = score >= 0.5, or a fraction f = the (1-f) quantile of training scores')
    .option('--max-fpr <r>', 'threshold from labels: at most this share of rows labelled 0 at/above it', numberOption('--max-fpr', 0, 0.999))
    .option('--calibrate <sessions>', 'threshold: replay this many seeded sessions per ordinary profile; the lowest score none of them holds for --consecutive requests, + 0.01 (behaviour features only)', intOption('--calibrate', 1))
    .option('--consecutive <k>', 'with --calibrate: consecutive scored requests that block (gateway ml.consecutive)', intOption('--consecutive', 1), 3)
    .option('--min-events <n>', 'with --calibrate: events before a client is scored (gateway behaviour.minEvents)', intOption('--min-events', 1), 20)
    .option('--out <file>', 'model file to write', 'models/model.json')
    .option('--json', 'print a machine-readable summary on stdout')
    .option('--skip-invalid', 'skip (and count) malformed rows instead of failing on the first')
    .action((data: string, flags: TrainFlags) => {
      const features = flags.features
        ?.split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      const tty = process.stderr.isTTY === true && !flags.json;
      const started = performance.now();
      const r = trainFromCsv({
        data,
        label: flags.label,
        features,
        trees: flags.trees,
        sampleSize: flags.sampleSize,
        seed: flags.seed,
        threshold: thresholdChoice(flags),
        skipInvalid: flags.skipInvalid,
        onProgress: tty ? (rows) => process.stderr.write(`\rreading ${rows.toLocaleString('en-US')} rows…`) : undefined,
      });
      if (tty) process.stderr.write('\r\x1b[K');
      saveModel(flags.out, r.meta, r.forest);
      const seconds = (performance.now() - started) / 1000;
      const m = r.meta.metrics;
      if (flags.json) {
        const summary = {
          out: flags.out,
          rows: r.rows,
          skippedRows: r.skipped,
          features: r.features,
          labelColumn: r.labelColumn,
          positives: r.positives,
          params: r.meta.params,
          threshold: r.meta.threshold,
          quantiles: r.meta.quantiles,
          metrics: m ?? null,
          seconds: { total: seconds, ...r.timings },
        };
        process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
        return;
      }
      const lines = [
        `rows        ${r.rows.toLocaleString('en-US')}${r.skipped ? ` (${r.skipped.toLocaleString('en-US')} invalid rows skipped)` : ''}`,
        `features    ${r.features.length}: ${r.features.join(', ')}`,
        `forest      ${r.meta.params.trees} trees, sample size ${r.meta.params.sampleSize}, seed ${r.meta.params.seed}`,
        `time        ${seconds.toFixed(2)} s (read ${r.timings.readSeconds.toFixed(2)} s, fit ${r.timings.fitSeconds.toFixed(2)} s, score ${r.timings.scoreSeconds.toFixed(2)} s)`,
        `threshold   ${fmt(r.meta.threshold.value)} — ${r.meta.threshold.method}`,
      ];
      if (m) {
        lines.push(`label       "${m.labelColumn}": ${m.positives.toLocaleString('en-US')} positive rows`);
        lines.push(`ROC AUC     ${fmt(m.rocAuc)}`);
        lines.push(`at threshold precision ${fmt(m.precision)}, recall ${fmt(m.recall)}, F1 ${fmt(m.f1)}`);
      } else if (r.labelColumn) {
        lines.push(`label       "${r.labelColumn}": metrics need both classes (${r.positives} positive rows)`);
      }
      for (const e of r.skippedExamples) lines.push(`skipped     ${e}`);
      lines.push(`model       ${flags.out}`);
      process.stdout.write(lines.join('\n') + '\n');
    });
}
