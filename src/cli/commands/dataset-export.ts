// Owns `pathhelm dataset export`: the feature vectors `serve` scored, from the decision log, as a training CSV in
// the `dataset generate` format (registered in DATASET_SUBCOMMANDS of ./dataset.ts).
//
// Example:
//   $ pathhelm dataset export --since 24h --out live.csv
//   $ pathhelm train --data live.csv --out models/live.json
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { exportDataset } from '../../dataset/export.js';
import { parseSince } from '../../telemetry/analytics.js';

export function registerExport(dataset: Command): void {
  dataset
    .command('export')
    .description('write the feature vectors seen in live traffic (decision log) as a training CSV (same columns as generate; profile = live)')
    .option('--since <duration>', 'only rows newer than this (15m, 24h, 7d, an ISO date or epoch ms; default: all)')
    .option('--out <file>', 'output CSV ("-" = stdout)', '-')
    .option('--exclude-anomalies', 'leave out requests the gateway blocked as anomalous (label 1)')
    .option('--db <file>', 'SQLite decision log (default: config `db`)')
    .option('--config <file>', 'config file (default: search the current directory)')
    .action(async (opts: { since?: string; out: string; excludeAnomalies?: boolean; db?: string; config?: string }) => {
      const config = await loadConfig({ configFile: opts.config, overrides: { db: opts.db } });
      const since = opts.since === undefined ? 0 : parseSince(opts.since);
      const s = exportDataset({ db: config.db, since, out: opts.out, excludeAnomalies: opts.excludeAnomalies });
      const where = opts.out === '-' ? 'stdout' : opts.out;
      const skipped = s.skipped ? `, ${s.skipped} skipped (features of another model version)` : '';
      process.stderr.write(`wrote ${s.rows} rows (${s.anomalies} labelled anomalous${skipped}) to ${where}\n`);
    });
}
