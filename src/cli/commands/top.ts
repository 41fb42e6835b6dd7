// Owns the `pathhelm top` command: parse flags, open the decision log (or admin API), then either the
// live Ink view (TTY) or one plain snapshot / JSON (no TTY, --json).
//
// Example:
//   $ pathhelm top                       # live view of the configured decision log
//   $ pathhelm top --db /var/lib/pathhelm/pathhelm.db --model models/default.json
//   $ pathhelm top --url http://127.0.0.1:8000
//   $ pathhelm top --json | jq .byDecision
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { PathHelmError } from '../../errors.js';
import { loadConfig } from '../../config/load.js';
import { resolveModelPath } from '../../behaviour/runtime.js';
import type * as Tui from '../../tui/top.js';

/** Loads Ink/React only when `top` runs (other commands start faster), in React's production build. */
async function loadTui(): Promise<typeof Tui> {
  process.env.NODE_ENV ??= 'production';
  return import('../../tui/top.js');
}

interface Flags {
  db?: string;
  url?: string;
  json?: boolean;
  model?: string;
  interval: string;
  config?: string;
}

export function register(program: Command): void {
  program
    .command('top')
    .description('live view of decisions: rates, top clients, a feed; q quits, ? shows the keys')
    .option('--db <file>', 'decision log to read (default: the config\'s db)')
    .option('--url <admin-url>', 'read a running gateway\'s admin API instead, e.g. http://127.0.0.1:8000')
    .option('--json', 'print one snapshot as JSON and exit')
    .option('--model <file>', 'model whose training summary the client detail compares with (default: the config\'s ml.model)')
    .option('--interval <ms>', 'refresh period in ms (200..10000)', '500')
    .option('--config <file>', 'config file to read the defaults from')
    .action(async (flags: Flags) => {
      const intervalMs = Number(flags.interval);
      if (!Number.isFinite(intervalMs) || intervalMs < 200 || intervalMs > 10_000) {
        throw new PathHelmError('PH_ERR_USAGE', `--interval must be between 200 and 10000 ms, got "${flags.interval}"`);
      }
      if (flags.db && flags.url) throw new PathHelmError('PH_ERR_USAGE', 'pass either --db or --url, not both');
      const config = await loadConfig({ configFile: flags.config, overrides: flags.db ? { db: flags.db } : undefined });
      const configured = config.ml.model ? resolveModelPath(config.ml.model) : null; // same file serve would load
      const model = flags.model ?? (configured && existsSync(configured) ? configured : null);
      if (flags.model && !existsSync(flags.model)) {
        throw new PathHelmError('PH_ERR_MODEL', `--model ${flags.model} does not exist`);
      }
      if (!flags.json && process.stdout.isTTY === true && process.stdin.isTTY === true) {
        // Ink draws only the final frame when it believes it runs in CI (env CI / CONTINUOUS_INTEGRATION,
        // read when ink is first imported). A terminal someone is looking at is never CI for `top`.
        for (const k of ['CI', 'CONTINUOUS_INTEGRATION']) if (k in process.env) process.env[k] = 'false';
      }
      const { noColor, openTop, runInteractive, snapshotJson, snapshotText } = await loadTui();
      const ctx = await openTop({ db: flags.url ? undefined : config.db, url: flags.url, model });
      const interactive = !flags.json && process.stdout.isTTY === true && process.stdin.isTTY === true;
      if (!interactive) {
        try {
          const out = flags.json
            ? JSON.stringify(snapshotJson(ctx), null, 2)
            : snapshotText(ctx, { width: process.stdout.columns || 100, height: Math.max(24, process.stdout.rows || 30) });
          process.stdout.write(out + '\n');
        } finally {
          ctx.source.close();
        }
        return;
      }
      await runInteractive(ctx, { intervalMs, color: !noColor() });
    });
}
