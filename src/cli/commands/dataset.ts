// Owns the `pathhelm dataset` command group. Subcommands register through DATASET_SUBCOMMANDS: `generate` lives
// here; `export` (telemetry → CSV) is added by its own file and one line in that list.
//
// Example:
//   $ pathhelm dataset generate --rows 100000 --anomaly-ratio 0.1 --seed 42 --out data.csv

import type { Command } from 'commander';
import { generateDatasetFile, DEFAULT_GENERATE } from '../../dataset/generate.js';
import { PathHelmError } from '../../errors.js';
import { registerExport } from './dataset-export.js';

export type DatasetSubcommand = (dataset: Command) => void;

/** Parses an integer option strictly (commander passes strings). */
export function intOption(flag: string, min: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new PathHelmError('PH_ERR_USAGE', `${flag} must be an integer >= ${min}, got "${value}"`);
    }
    return n;
  };
}

/** Parses a number option strictly within [min, max]. */
export function numberOption(flag: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new PathHelmError('PH_ERR_USAGE', `${flag} must be a number between ${min} and ${max}, got "${value}"`);
    }
    return n;
  };
}

const registerGenerate: DatasetSubcommand = (dataset) => {
  dataset
    .command('generate')
    .description('simulate ordinary and hostile client sessions and write one labelled feature row per request (CSV)')
    .option('--rows <n>', 'rows to write', intOption('--rows', 1), 100_000)
    .option('--anomaly-ratio <r>', 'share of rows from attacker sessions (0..1)', numberOption('--anomaly-ratio', 0, 1), DEFAULT_GENERATE.anomalyRatio)
    .option('--seed <s>', 'random seed (same seed → same file)', intOption('--seed', 0), DEFAULT_GENERATE.seed)
    .option('--min-events <n>', 'only windows with at least this many requests become rows (the gateway scores from behaviour.minEvents)', intOption('--min-events', 1), DEFAULT_GENERATE.minEvents)
    .option('--out <file>', 'output CSV ("-" = stdout)', '-')
    .action((opts: { rows: number; anomalyRatio: number; seed: number; minEvents: number; out: string }) => {
      const started = performance.now();
      const s = generateDatasetFile({ rows: opts.rows, anomalyRatio: opts.anomalyRatio, seed: opts.seed, minEvents: opts.minEvents, out: opts.out });
      const secs = (performance.now() - started) / 1000;
      const where = opts.out === '-' ? 'stdout' : opts.out;
      process.stderr.write(
        `wrote ${s.rows} rows (${s.anomalies} anomalous, ${s.sessions} sessions) to ${where} in ${secs.toFixed(2)} s\n`,
      );
    });
};

/** Subcommands of `pathhelm dataset`, in help order. */
export const DATASET_SUBCOMMANDS: DatasetSubcommand[] = [registerGenerate, registerExport];

export function register(program: Command): void {
  const dataset = program.command('dataset').description('make training data: generate synthetic traffic, or export the features of live traffic');
  for (const sub of DATASET_SUBCOMMANDS) sub(dataset);
}
