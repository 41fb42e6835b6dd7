// Owns the `pathhelm serve` command: loads the config (flags win), resolves the gateway token,
// optionally starts the demo backend in-process, runs the gateway until SIGINT/SIGTERM.
//
// Example:
//   $ pathhelm serve --demo
//   $ pathhelm serve --port 8080 --upstream http://127.0.0.1:3000 --mode monitor
import { untilStopSignal } from '../signals.js';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { resolveGatewayToken } from '../../config/state.js';
import type { PathHelmConfig } from '../../config/types.js';
import { isPathHelmError } from '../../errors.js';
import { startGateway } from '../../gateway/server.js';
import { demoKeyHelp } from '../../keys/demo.js';
import { onModelEvent, reloadModels } from '../../behaviour/model.js';
import { loadServeModel, resolveModelPath } from '../../behaviour/runtime.js';
import { startBackend, type BackendHandle } from '../../sim/backend.js';

interface Opts {
  port?: string;
  host?: string;
  upstream?: string;
  db?: string;
  config?: string;
  gatewayToken?: string;
  demo?: boolean;
  mode?: string;
  /** --model FILE (string) or --no-model (false). */
  model?: string | false;
  /** false with --no-auth (keyless: clients are identified by address). */
  auth?: boolean;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the gateway: decide on every request, forward the allowed ones, log every decision')
    .option('--port <port>', 'port to listen on; 0 = any free port (default 8000)')
    .option('--host <host>', 'address to bind (default 127.0.0.1)')
    .option('--upstream <url>', 'backend base URL (default http://127.0.0.1:9000)')
    .option('--db <file>', 'SQLite decision log; its directory is the state directory (default ./.pathhelm/pathhelm.db)')
    .option('--config <file>', 'config file (default: search the current directory)')
    .option('--gateway-token <token>', 'secret sent as X-Gateway-Token (default: env PATHHELM_GATEWAY_TOKEN, else generated once into the state directory)')
    .option('--mode <mode>', 'enforce (refuse) or monitor (log what would be refused, forward everything)')
    .option('--demo', 'run the demo backend in-process and point the gateway at it')
    .option('--model <file>', 'behaviour model (default models/default.json); reloaded when the file changes or on SIGHUP')
    .option('--no-model', 'rules only: no behaviour scoring (bans already in the db still apply)')
    .option('--no-auth', 'keyless deployment: no API keys required, clients identified by address (auth.required: false)')
    .action(async (opts: Opts) => {
      const loaded = await loadConfig({
        configFile: opts.config,
        overrides: {
          port: opts.port as unknown as number,
          host: opts.host,
          upstream: opts.upstream,
          db: opts.db,
          gatewayToken: opts.gatewayToken,
          mode: opts.mode as PathHelmConfig['mode'] | undefined,
          demo: opts.demo,
          ml: opts.model === undefined ? undefined : { model: opts.model === false ? null : opts.model },
          auth: opts.auth === false ? { required: false } : undefined,
        },
      });
      // A missing or bad model is a start-up error (PH_ERR_MODEL), checked before anything starts.
      if (loaded.behaviour.enabled && loaded.ml.model !== null) loadServeModel(resolveModelPath(loaded.ml.model));
      const token = resolveGatewayToken(loaded).token;
      let backend: BackendHandle | null = null;
      let config: PathHelmConfig = { ...loaded, gatewayToken: token };
      if (config.demo) {
        backend = await startDemoBackend(token, config.db);
        config = { ...config, upstream: backend.url };
      }
      const offModel = onModelEvent((e) => process.stderr.write(`pathhelm serve: ${e.message}\n`));
      let gateway;
      try {
        gateway = await startGateway(config);
      } catch (err) {
        offModel();
        await backend?.close();
        throw err;
      }
      const out = process.stdout;
      out.write(
        `pathhelm serve ready on ${gateway.url} → upstream ${config.upstream}${backend ? ' (demo backend)' : ''} ` +
          `(db ${config.db}, mode ${config.mode})\n`,
      );
      if (backend) {
        const demo = demoKeyHelp(gateway.db, config, Date.now()); // first demo run: creates and prints a key
        out.write(demo.text + demoHelp(gateway.url, backend.url, config.admin.prefix, demo.curlHeader));
      }

      // Model hot reload (behaviour engine): SIGHUP re-reads the model; load/reload/refusal events are printed.
      const hup = () => void reloadModels();
      process.on('SIGHUP', hup);
      await untilStopSignal();
      process.off('SIGHUP', hup);
      offModel();
      out.write('pathhelm serve: shutting down (draining in-flight requests)\n');
      await gateway.close();
      await backend?.close();
      const s = gateway.stats();
      const lost = s.telemetry.dropped ? `, ${s.telemetry.dropped} rows lost (${s.telemetry.lastError ?? 'queue full'})` : '';
      out.write(`pathhelm serve stopped: ${s.totals.requests} requests, ${s.telemetry.written} decisions written${lost}\n`);
    });
}

/** The demo backend on 9000 when that port is free, else on any free port. */
async function startDemoBackend(token: string, db: string): Promise<BackendHandle> {
  try {
    return await startBackend({ port: 9000, gatewayToken: token, db, quiet: true });
  } catch (err) {
    if (isPathHelmError(err) && err.code === 'PH_ERR_PORT_IN_USE') return startBackend({ port: 0, gatewayToken: token, db, quiet: true });
    throw err;
  }
}

function demoHelp(gw: string, backend: string, prefix: string, keyHeader = ''): string {
  const p = prefix.replace(/\/+$/, '');
  const k = keyHeader ? ` -H "${keyHeader}"` : ''; // the API key (auth.required)
  return [
    '',
    'Try it (paste into another terminal):',
    `  curl -i${k} ${gw}/api/items/1`,
    `  curl -i${k} '${gw}/api/search?q=lamp'`,
    `  curl -i${k} -X POST ${gw}/api/login -H 'content-type: application/json' -d '{"user":"demo","password":"demo"}'`,
    `  curl -i ${backend}/api/items/1        # straight to the backend: 403, no gateway token`,
    `  curl -s ${gw}${p}/status`,
    `  curl -s '${gw}${p}/analytics?since=15m'`,
    '',
    'Watch it and attack it (each in another terminal):',
    '  npx pathhelm top                     # live view of the decisions (q quits)',
    `  npx pathhelm simulate --target ${gw} --duration 60s` +
      (keyHeader ? '   # clients share one identity per key: restart with --no-auth to tell them apart by address' : ''),
    '  npx pathhelm report --since 15m      # totals, top clients and paths, anomalies and why',
    '',
  ].join('\n');
}
