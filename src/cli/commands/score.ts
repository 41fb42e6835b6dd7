// Owns the `pathhelm score` command: parse flags, call scoreCsv, print a one-line summary on stderr.
//
// Example:
//   $ pathhelm score --model models/default.json fresh.csv --out scored.csv

import type { Command } from 'commander';
import { scoreCsv } from '../../train/score.js';

export function register(program: Command): void {
  program
    .command('score')
    .description('score the rows of a CSV with a model; writes the rows with a "score" column appended')
    .argument('<data>', 'CSV file with the model\'s feature columns ("-" = stdin)')
    .requiredOption('--model <file>', 'model file (e.g. models/default.json)')
    .option('--out <file>', 'output CSV ("-" = stdout)', '-')
    .option('--skip-invalid', 'skip (and count) malformed rows instead of failing on the first')
    .action((data: string, flags: { model: string; out: string; skipInvalid?: boolean }) => {
      const tty = process.stderr.isTTY === true;
      const r = scoreCsv({
        model: flags.model,
        data,
        out: flags.out,
        skipInvalid: flags.skipInvalid,
        onProgress: tty ? (rows) => process.stderr.write(`\rscoring ${rows.toLocaleString('en-US')} rows…`) : undefined,
      });
      if (tty) process.stderr.write('\r\x1b[K');
      const parts = [
        `scored ${r.rows.toLocaleString('en-US')} rows in ${r.seconds.toFixed(2)} s`,
        `${r.atOrAbove.toLocaleString('en-US')} at/above the threshold ${r.threshold.toFixed(4)}`,
      ];
      if (r.skipped) parts.push(`${r.skipped.toLocaleString('en-US')} invalid rows skipped`);
      if (r.rocAuc !== null) parts.push(`ROC AUC ${r.rocAuc.toFixed(4)} (label "${r.labelColumn}")`);
      // With the rows on stdout the summary goes to stderr; with --out FILE it is the command's output.
      const print = (s: string): boolean => (flags.out === '-' ? process.stderr.write(s) : process.stdout.write(s));
      print(parts.join('; ') + (flags.out === '-' ? '' : ` → ${flags.out}`) + '\n');
      for (const e of r.skippedExamples) print(`skipped: ${e}\n`);
    });
}
