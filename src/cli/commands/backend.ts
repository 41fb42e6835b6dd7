// Owns the `pathhelm backend` command: runs the zero-trust demo API until SIGINT/SIGTERM.
//
// Example:
//   $ pathhelm backend --port 9000 --db ./.pathhelm/pathhelm.db
//   pathhelm backend ready on http://127.0.0.1:9000 (gateway token: state file ..., events: ...)
import { untilStopSignal } from '../signals.js';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { resolveGatewayToken, type ResolvedGatewayToken } from '../../config/state.js';
import { PathHelmError } from '../../errors.js';
import { startBackend } from '../../sim/backend.js';

interface Opts {
  port?: string;
  host?: string;
  gatewayToken?: string;
  db?: string;
  config?: string;
}

export function register(program: Command): void {
  program
    .command('backend')
    .description('run the zero-trust demo API: 403 for any request without the gateway token')
    .option('--port <port>', 'port to listen on, 0 = any free port (default: the port of `upstream` when it is loopback, else 9000)')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--gateway-token <token>', 'required X-Gateway-Token (default: env PATHHELM_GATEWAY_TOKEN, else the state file shared with `serve`)')
    .option('--db <file>', 'SQLite file for backend events; its directory holds the gateway token (default: config `db`)')
    .option('--config <file>', 'config file (default: search the current directory)')
    .action(async (opts: Opts) => {
      const config = await loadConfig({ configFile: opts.config, overrides: { db: opts.db, gatewayToken: opts.gatewayToken } });
      const port = opts.port === undefined ? defaultPort(config.upstream) : parsePort(opts.port);
      const token = resolveGatewayToken(config);
      const backend = await startBackend({ host: opts.host, port, gatewayToken: token.token, db: config.db });
      process.stdout.write(`pathhelm backend ready on ${backend.url} (gateway token: ${describe(token)}; events: ${config.db})\n`);

      await untilStopSignal();
      await backend.close();
      const s = backend.stats();
      const lost = s.dropped ? `, ${s.dropped} lost (${s.lastError ?? 'queue full'})` : '';
      process.stdout.write(`pathhelm backend stopped (${s.written} events written${lost})\n`);
    });
}

function describe(t: ResolvedGatewayToken): string {
  if (t.source === 'generated') return `generated into ${t.file}`;
  if (t.source === 'state-file') return `state file ${t.file}`;
  if (t.source === 'env') return 'env PATHHELM_GATEWAY_TOKEN';
  return 'from flag/config';
}

function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new PathHelmError('PH_ERR_USAGE', `--port must be a whole number from 0 to 65535, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/** The upstream's port when the gateway points at a loopback backend (so the two match), else 9000. */
function defaultPort(upstream: string): number {
  const url = new URL(upstream);
  const loopback = ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(url.hostname);
  if (!loopback || url.protocol !== 'http:') return 9000;
  return url.port ? Number(url.port) : 80;
}
