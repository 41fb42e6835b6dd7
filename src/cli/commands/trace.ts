// Owns the `pathhelm trace` command: one request id end to end (the gateway's decision row and the
// backend's event), plus openLog(), the read-only opening of the decision log shared by report/trace.
//
// Example:
//   $ pathhelm trace 0f8c2a6e-...            # the id is the X-Request-ID response header
//   $ pathhelm trace 0f8c2a6e-... --json
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { loadConfig } from '../../config/load.js';
import { PathHelmError } from '../../errors.js';
import { openDb, type Db } from '../../telemetry/db.js';
import { traceRequest } from '../../telemetry/queries.js';
import { formatTrace } from '../../tui/report-text.js';

/** Opens the configured (or --db) decision log read-only; a missing file is a clear PH_ERR_DB. */
export async function openLog(flags: { db?: string; config?: string }): Promise<{ db: Db; file: string }> {
  const config = await loadConfig({ configFile: flags.config, overrides: flags.db ? { db: flags.db } : undefined });
  const file = config.db;
  if (!existsSync(file)) {
    throw new PathHelmError('PH_ERR_DB', `no decision log at ${file}: start \`pathhelm serve\` first, or pass --db FILE`);
  }
  return { db: openDb(file, { readonly: true }), file };
}

interface Flags {
  db?: string;
  json?: boolean;
  config?: string;
}

export function register(program: Command): void {
  program
    .command('trace')
    .description('one request end to end: the gateway decision and the backend event for a request id')
    .argument('<request-id>', 'the X-Request-ID the gateway returned')
    .option('--db <file>', 'decision log to read (default: the config\'s db)')
    .option('--json', 'print the trace as JSON')
    .option('--config <file>', 'config file to read the defaults from')
    .action(async (requestId: string, flags: Flags) => {
      const { db, file } = await openLog(flags);
      try {
        const t = traceRequest(db, requestId);
        if (t.decisions.length === 0 && t.backend.length === 0) {
          throw new PathHelmError(
            'PH_ERR_NOT_FOUND',
            `no decision or backend event with request id "${requestId}" in ${file} (ids are the X-Request-ID response header; check --db)`,
          );
        }
        process.stdout.write((flags.json ? JSON.stringify(t, null, 2) : formatTrace(t)) + '\n');
      } finally {
        db.close();
      }
    });
}
