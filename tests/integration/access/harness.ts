// Test harness for access-control integration tests: a real echo backend, a real gateway on port 0
// with a real SQLite file, and helpers to send requests and read the decision log.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { DEFAULT_CONFIG, type PathHelmConfig } from '../../../src/config/types.js';
import { startGateway, type Gateway } from '../../../src/gateway/server.js';
import { openDb, type Db } from '../../../src/telemetry/db.js';
import { startUpstream } from '../gateway/helpers.js';

export const BIN = fileURLToPath(new URL('../../../bin/pathhelm.js', import.meta.url));

export interface Backend {
  url: string;
  server: Server;
  /** Headers of every request the backend received, in order. */
  seen: IncomingHttpHeaders[];
  close(): Promise<void>;
}

/** The gateway tests' upstream (tests/integration/gateway/helpers.ts) answering {"ok":true}; `seen` lists headers. */
export async function startEchoBackend(): Promise<Backend> {
  const up = await startUpstream((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  up.server.keepAliveTimeout = 5000;
  return {
    url: up.url,
    server: up.server,
    get seen() {
      return up.seen.map((x) => x.headers);
    },
    close: up.close,
  };
}

export type Overrides = { [K in keyof PathHelmConfig]?: PathHelmConfig[K] extends object ? Partial<PathHelmConfig[K]> | PathHelmConfig[K] : PathHelmConfig[K] };

export interface Env {
  gw: Gateway;
  backend: Backend;
  dbFile: string;
  /** A second connection (like the CLI's) for adding keys and reading decisions. */
  db: Db;
  dir: string;
  close(): Promise<void>;
}

export function testConfig(dir: string, upstream: string, over: Overrides = {}): PathHelmConfig {
  const base = structuredClone(DEFAULT_CONFIG) as PathHelmConfig;
  const merged = { ...base, port: 0, host: '127.0.0.1', upstream, db: join(dir, 'ph.db'), gatewayToken: 'test-gateway-token', demo: false } as PathHelmConfig;
  for (const [k, v] of Object.entries(over)) {
    const cur = (merged as unknown as Record<string, unknown>)[k];
    (merged as unknown as Record<string, unknown>)[k] =
      v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' ? { ...(cur as object), ...(v as object) } : v;
  }
  merged.ml = { ...merged.ml, model: null };
  merged.behaviour = { ...merged.behaviour, enabled: false };
  merged.telemetry = { ...merged.telemetry, flushIntervalMs: 20 };
  return merged;
}

/** Starts backend + gateway; `setup` runs on the fresh db before the gateway starts and may return more overrides. */
export async function startEnv(over: Overrides = {}, setup?: (db: Db) => Overrides | void): Promise<Env> {
  const dir = mkdtempSync(join(tmpdir(), 'ph-access-'));
  const backend = await startEchoBackend();
  const db = openDb(join(dir, 'ph.db')); // creates the schema; the gateway opens its own connection
  const more = setup?.(db) ?? {};
  const config = testConfig(dir, backend.url, { ...over, ...more });
  const gw = await startGateway(config);
  return {
    gw,
    backend,
    dbFile: config.db,
    db,
    dir,
    async close() {
      await gw.close();
      await backend.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const agent = new Agent({ connections: 512, pipelining: 1 });

export interface Res {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export async function get(base: string, path: string, headers: Record<string, string> = {}): Promise<Res> {
  const r = await request(base + path, { method: 'GET', headers, dispatcher: agent });
  const body = await r.body.text();
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) h[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return { status: r.statusCode, headers: h, body };
}

export interface Row {
  request_id: string;
  client_ip: string;
  client_id: string | null;
  key_id: string | null;
  status: number;
  decision: string;
  reason: string;
  would_decision: string | null;
  mode: string;
}

/** Waits until the decision row for `requestId` is written (the writer batches). */
export async function rowFor(db: Db, requestId: string, timeoutMs = 3000): Promise<Row> {
  const stmt = db.prepare('SELECT * FROM decisions WHERE request_id = ?');
  const end = Date.now() + timeoutMs;
  for (;;) {
    const row = stmt.get(requestId) as Row | undefined;
    if (row) return row;
    if (Date.now() > end) throw new Error(`no decision row for ${requestId}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs the built CLI synchronously. */
export function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Polls `fn` until it returns true; returns the elapsed ms, or throws after `timeoutMs`. */
export async function within(timeoutMs: number, fn: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
