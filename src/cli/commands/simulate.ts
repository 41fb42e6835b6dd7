// Owns the `pathhelm simulate` command: ordinary clients and attackers against a running local gateway,
// each from its own 127.x.y.z address; prints per-profile outcomes (or JSON).
//
// Example:
//   $ pathhelm simulate --target http://127.0.0.1:8000 --duration 30s --clients 8 --key phk_... --key phk_...
//   $ pathhelm simulate --target http://127.0.0.1:8000 --attackers scraper,scanner --json
import type { Command } from 'commander';
import { parseDuration } from '../../config/parse.js';
import { PathHelmError } from '../../errors.js';
import { DEFAULT_ATTACKERS, simulate, type ProfileResult, type SimulateResult } from '../../sim/simulate.js';

interface Opts {
  target: string;
  duration: string;
  clients: string;
  attackers: string;
  key: string[];
  keyHeader: string;
  seed: string;
  json?: boolean;
}

function int(flag: string, v: string, min: number): number {
  if (!/^\d+$/.test(v.trim()) || Number(v) < min) throw new PathHelmError('PH_ERR_USAGE', `${flag} must be an integer >= ${min}, got "${v}"`);
  return Number(v);
}

function statuses(m: Record<string, number>): string {
  return Object.entries(m)
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([k, v]) => `${k}:${v}`)
    .join(' ');
}

function stopped(p: ProfileResult): string {
  if (!p.firstStopped) return p.kind === 'ordinary' ? 'never (good)' : 'never';
  const at = p.firstStopped.min === p.firstStopped.max ? `#${p.firstStopped.min}` : `#${p.firstStopped.min}-#${p.firstStopped.max}`;
  return `${p.stoppedClients}/${p.clients} at ${at}`;
}

export function formatSimulation(r: SimulateResult): string {
  const rows = [['PROFILE', 'KIND', 'CLIENTS', 'REQUESTS', 'STATUSES', 'FIRST THROTTLED/BLOCKED', 'GATEWAY REASONS']];
  for (const p of r.profiles) rows.push([p.profile, p.kind, String(p.clients), String(p.requests), statuses(p.statuses), stopped(p), statuses(p.reasons)]);
  const w = rows[0].map((_, i) => Math.max(...rows.map((x) => x[i].length)));
  const lines = rows.map((x) => x.map((c, i) => (i === x.length - 1 ? c : c.padEnd(w[i]))).join('  ').trimEnd());
  const ordinary = r.clients.filter((c) => c.kind === 'ordinary').length;
  lines.push('');
  lines.push(`ordinary clients throttled or blocked: ${r.ordinaryStopped} of ${ordinary}`);
  lines.push(`attackers throttled or blocked:        ${r.attackersStopped} of ${r.attackersTotal}`);
  for (const c of r.clients) {
    if (c.kind === 'attacker') {
      const s = c.firstStoppedAt === null ? 'never stopped' : `first stopped at request #${c.firstStoppedAt} (${c.firstStoppedReason}, after ${c.firstStoppedAfterS} s)`;
      lines.push(`  ${c.profile.padEnd(20)} ${c.ip.padEnd(14)} ${String(c.requests).padStart(5)} requests, ${s}`);
    } else if (c.firstStoppedAt !== null) {
      lines.push(`  ORDINARY ${c.profile} ${c.ip} was stopped at request #${c.firstStoppedAt} (${c.firstStoppedReason})`);
    }
  }
  return lines.join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description('drive a running local gateway with ordinary clients and attackers (each from its own 127.x.y.z) and report what it stopped')
    .requiredOption('--target <url>', 'gateway URL on a loopback address, e.g. http://127.0.0.1:8000')
    .option('--duration <d>', 'how long to run (e.g. 30s, 2m)', '30s')
    .option('--clients <n>', 'ordinary clients (browser, mobile, shared office)', '8')
    .option('--attackers <list>', 'comma-separated: scraper,stuffing,burst,slow-bot,scanner (one client each; "" for none)', DEFAULT_ATTACKERS.join(','))
    .option('--key <key>', 'API key to send (repeat; handed out round-robin, ordinary clients first; clients sharing a key share one identity)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--key-header <name>', 'header carrying the key', 'x-api-key')
    .option('--seed <n>', 'seed of the client sessions', '1')
    .option('--json', 'print the full result as JSON')
    .action(async (opts: Opts) => {
      const attackers = opts.attackers.split(',').map((s) => s.trim()).filter(Boolean);
      const clients = int('--clients', opts.clients, 0);
      if (opts.key.length > 0 && opts.key.length < clients + attackers.length) {
        process.stderr.write(
          `pathhelm simulate: ${opts.key.length} key(s) for ${clients + attackers.length} clients: clients sharing a key share one identity (and one ban)\n`,
        );
      }
      const ac = new AbortController();
      const stop = () => ac.abort();
      process.once('SIGINT', stop);
      try {
        const r = await simulate({
          target: opts.target,
          durationMs: parseDuration(opts.duration, '--duration'),
          clients,
          attackers,
          keys: opts.key,
          keyHeader: opts.keyHeader,
          seed: int('--seed', opts.seed, 0),
          signal: ac.signal,
        });
        const sent = r.clients.reduce((n, c) => n + c.requests, 0);
        const failed = r.clients.reduce((n, c) => n + c.errors, 0);
        if (sent > 0 && failed === sent) {
          throw new PathHelmError('PH_ERR_UPSTREAM_UNAVAILABLE', `no request reached the gateway at ${r.target} (${failed} connection errors); is \`pathhelm serve\` running there?`);
        }
        process.stdout.write(opts.json ? JSON.stringify(r, null, 2) + '\n' : formatSimulation(r));
        if (failed > 0 && !opts.json) process.stderr.write(`pathhelm simulate: ${failed} of ${sent} requests failed (connection errors)\n`);
      } finally {
        process.off('SIGINT', stop);
      }
    });
}
