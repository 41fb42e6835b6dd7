// Owns the `pathhelm keys` command: add, list, revoke and rotate API keys in the SQLite file
// (safe while `serve` runs against it; `serve` sees changes within a second).
//
// Example:
//   $ pathhelm keys add mobile-app --rate 50/1s --rate 2000/1h --expires 90d
//   $ pathhelm keys list --json
//   $ pathhelm keys rotate ph_4fZq81Kx --grace 24h
//   $ pathhelm keys revoke ph_4fZq81Kx
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { formatDuration, parseDuration, parseRate, tryParseDuration } from '../../config/parse.js';
import type { RateWindow } from '../../config/types.js';
import { PathHelmError } from '../../errors.js';
import { addKey, listKeys, revokeKey, rotateKey, toInfo, type KeyInfo } from '../../keys/store.js';
import { MAX_WINDOWS } from '../../policy/ratelimit.js';
import { openDb, type Db } from '../../telemetry/db.js';

interface Common {
  db?: string;
  config?: string;
  json?: boolean;
}

const DEFAULT_GRACE = '1h';

async function withDb<T>(opts: Common, fn: (db: Db) => T): Promise<T> {
  const config = await loadConfig({ configFile: opts.config, overrides: { db: opts.db } });
  const db = openDb(config.db);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
const out = (s: string): void => void process.stdout.write(s);
const rateText = (r: RateWindow[] | null): string => (r ? r.map((w) => `${w.limit}/${formatDuration(w.windowMs)}`).join(',') : 'default');

function parseGrace(text: string): number {
  const ms = tryParseDuration(text);
  if (ms === undefined || !(ms >= 0)) throw new PathHelmError('PH_ERR_USAGE', `--grace must be a duration like "1h", "30m" or "0" (old key stops at once), got "${text}"`);
  return ms;
}

function withCommon(cmd: Command, json = true): Command {
  cmd.option('--db <file>', 'SQLite file holding the keys (default: config `db`)').option('--config <file>', 'config file (default: search the current directory)');
  if (json) cmd.option('--json', 'print JSON');
  return cmd;
}

function showOnce(key: string): string {
  return `\n  ${key}\n\nStore it now: it is shown only this once (PathHelm keeps only a SHA-256 hash).\nSend it as the X-API-Key header (or Authorization: Bearer).\n`;
}

export function register(program: Command): void {
  const keys = program.command('keys').description('manage API keys: add, list, revoke, rotate (works while `serve` runs)');

  withCommon(
    keys
      .command('add <name>')
      .description('create a key; it is printed once and only its hash is stored')
      .option('--rate <N/WINDOW>', `per-key rate limit window, e.g. 50/1s (repeat for several, up to ${MAX_WINDOWS}; default: config rateLimit.key)`, collect)
      .option('--expires <duration>', 'lifetime, e.g. 30d or 12h (default: never expires)'),
  ).action(async (name: string, opts: Common & { rate?: string[]; expires?: string }) => {
    const rates = (opts.rate ?? []).map((r) => parseRate(r, '--rate'));
    if (rates.length > MAX_WINDOWS) throw new PathHelmError('PH_ERR_USAGE', `--rate can be given at most ${MAX_WINDOWS} times, got ${rates.length}`);
    const expiresInMs = opts.expires === undefined ? null : parseDuration(opts.expires, '--expires');
    const { key, record } = await withDb(opts, (db) => addKey(db, { name, rates, expiresInMs }, Date.now()));
    const info = toInfo(record, Date.now());
    if (opts.json) {
      out(`${JSON.stringify({ ...info, key }, null, 2)}\n`);
      process.stderr.write('pathhelm: the key above is shown only once; store it now\n');
      return;
    }
    const exp = info.expiresAt ? `, expires ${info.expiresAt}` : '';
    out(`Created API key ${info.id} (name "${info.name}", rate ${rateText(info.rates)}${exp}):\n${showOnce(key)}`);
  });

  withCommon(keys.command('list').description('list keys with their status (never a secret or hash)')).action(async (opts: Common) => {
    const list = await withDb(opts, (db) => listKeys(db, Date.now()));
    if (opts.json) return out(`${JSON.stringify(list, null, 2)}\n`);
    if (list.length === 0) return out('No API keys yet. Add one with: pathhelm keys add NAME\n');
    out(table(list));
  });

  withCommon(keys.command('revoke <id>').description('revoke a key (both its current and any previous secret)')).action(async (id: string, opts: Common) => {
    const r = await withDb(opts, (db) => revokeKey(db, id, Date.now()));
    const info = toInfo(r.record, Date.now());
    if (opts.json) return out(`${JSON.stringify({ ...info, alreadyRevoked: r.alreadyRevoked }, null, 2)}\n`);
    out(r.alreadyRevoked ? `Key ${id} ("${info.name}") was already revoked at ${info.revokedAt}.\n` : `Revoked ${id} ("${info.name}"). A running gateway refuses it within a second (401 auth_revoked).\n`);
  });

  withCommon(
    keys
      .command('rotate <id>')
      .description('give a key a new secret; the old one keeps working for the grace period')
      .option('--grace <duration>', 'how long the old secret keeps working (0 = stops at once)', DEFAULT_GRACE),
  ).action(async (id: string, opts: Common & { grace: string }) => {
    const graceMs = parseGrace(opts.grace);
    const { key, record } = await withDb(opts, (db) => rotateKey(db, id, graceMs, Date.now()));
    const info = toInfo(record, Date.now());
    if (opts.json) {
      out(`${JSON.stringify({ ...info, key }, null, 2)}\n`);
      process.stderr.write('pathhelm: the key above is shown only once; store it now\n');
      return;
    }
    const grace = info.previousValidUntil ? `The old secret keeps working until ${info.previousValidUntil} (${formatDuration(graceMs)}).` : 'The old secret stopped working now.';
    out(`Rotated ${id} ("${info.name}"). ${grace}\nNew key:\n${showOnce(key)}`);
  });
}

function table(list: KeyInfo[]): string {
  const rows = [['ID', 'NAME', 'STATUS', 'RATE', 'CREATED', 'EXPIRES']];
  for (const k of list) {
    const status = k.status === 'rotating' ? `rotating (old until ${k.previousValidUntil})` : k.status;
    rows.push([k.id, k.name, status, rateText(k.rates), k.createdAt.slice(0, 19) + 'Z', k.expiresAt ? k.expiresAt.slice(0, 19) + 'Z' : 'never']);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')).join('\n') + '\n';
}
