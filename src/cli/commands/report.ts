// Owns the `pathhelm report` command: analytics over the decision log as aligned tables, or --json
// (exactly the object /_pathhelm/analytics serves: one query module behind both).
//
// Example:
//   $ pathhelm report --since 1h
//   $ pathhelm report --db ./.pathhelm/pathhelm.db --since 2026-11-21T06:00:00Z --json | jq .latency
import type { Command } from 'commander';
import { PathHelmError } from '../../errors.js';
import { analytics, parseSince } from '../../telemetry/analytics.js';
import { formatReport } from '../../tui/report-text.js';
import { openLog } from './trace.js';

interface Flags {
  db?: string;
  since?: string;
  until?: string;
  limit: string;
  json?: boolean;
  config?: string;
}

export function register(program: Command): void {
  program
    .command('report')
    .description('analytics of the decision log: totals, reasons, top clients and paths, latency, anomalies')
    .option('--db <file>', 'decision log to read (default: the config\'s db)')
    .option('--since <when>', 'start of the range: a duration back from now (15m, 1h, 2d), an ISO date or epoch ms (default: all)')
    .option('--until <when>', 'end of the range, same forms as --since (default: now)')
    .option('--limit <n>', 'rows in the top-N tables', '10')
    .option('--json', 'print the analytics object as JSON')
    .option('--config <file>', 'config file to read the defaults from')
    .action(async (flags: Flags) => {
      const now = Date.now();
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new PathHelmError('PH_ERR_USAGE', `--limit must be an integer from 1 to 1000, got "${flags.limit}"`);
      }
      const since = flags.since === undefined ? undefined : parseSince(flags.since, now);
      const until = flags.until === undefined ? undefined : parseSince(flags.until, now);
      const { db, file } = await openLog(flags);
      try {
        const a = analytics(db, { since, until, limit, now });
        process.stdout.write((flags.json ? JSON.stringify(a, null, 2) : formatReport(a, { source: `db ${file}` })) + '\n');
      } finally {
        db.close();
      }
    });
}
