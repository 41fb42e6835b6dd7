// Test helpers for the gateway suites: a recording upstream, an in-process gateway on port 0 with
// a temp SQLite log, a raw HTTP client (node:http, no header normalisation), and log readers.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { DEFAULT_CONFIG, type PathHelmConfig } from '../../../src/config/types.js';
import { startGateway, type Gateway, type GatewayDeps } from '../../../src/gateway/server.js';
import { openDb } from '../../../src/telemetry/db.js';

export const TOKEN = 'test-gateway-token-0123456789';

export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
}

export interface Upstream {
  url: string;
  port: number;
  server: Server;
  seen: Seen[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Default upstream behaviour: reads the body and answers JSON describing the request. */
export const echo: Handler = (req, res) => {
  const hash = createHash('sha256');
  let bytes = 0;
  req.on('data', (c: Buffer) => {
    bytes += c.length;
    hash.update(c);
  });
  req.on('end', () => {
    const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, bytes, sha256: hash.digest('hex') });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
};

export async function startUpstream(handler: Handler = echo): Promise<Upstream> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders });
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export type ConfigPatch = Partial<Omit<PathHelmConfig, 'limits' | 'telemetry' | 'admin'>> & {
  limits?: Partial<PathHelmConfig['limits']>;
  telemetry?: Partial<PathHelmConfig['telemetry']>;
  admin?: Partial<PathHelmConfig['admin']>;
};

export interface TestGateway {
  gw: Gateway;
  dbPath: string;
  dir: string;
  config: PathHelmConfig;
  /** Closes the gateway (drain + flush); the db stays readable. Idempotent. */
  close(): Promise<void>;
  /** close() and remove the temp dir. */
  dispose(): Promise<void>;
}

export function testConfig(upstream: string, dbPath: string, patch: ConfigPatch = {}): PathHelmConfig {
  return {
    ...DEFAULT_CONFIG,
    ...patch,
    port: 0,
    host: patch.host ?? '127.0.0.1',
    upstream,
    db: dbPath,
    gatewayToken: TOKEN,
    limits: { ...DEFAULT_CONFIG.limits, ...patch.limits },
    telemetry: { ...DEFAULT_CONFIG.telemetry, flushIntervalMs: 20, ...patch.telemetry },
    admin: { ...DEFAULT_CONFIG.admin, ...patch.admin },
  };
}

export async function startTestGateway(upstream: string, patch: ConfigPatch = {}, deps: GatewayDeps = {}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'ph-gw-'));
  const dbPath = join(dir, 'pathhelm.db');
  const config = testConfig(upstream, dbPath, patch);
  const gw = await startGateway(config, { passes: [], ...deps });
  return {
    gw,
    dbPath,
    dir,
    config,
    close: () => gw.close(),
    async dispose() {
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

export interface SendOptions {
  method?: string;
  path?: string;
  /** Flat [name, value, ...] list sent exactly as given. */
  headers?: string[];
  body?: string | Buffer | Readable;
  /** Collect only the hash and length of the response body (large downloads). */
  hashOnly?: boolean;
}

export interface HashedReply extends Reply {
  bytes: number;
  sha256: string;
}

/** One request on a fresh connection (agent: false), headers exactly as given. */
export function send(base: string, opts: SendOptions = {}): Promise<HashedReply> {
  const u = new URL(base);
  const headers = opts.headers ?? [];
  // With a raw header list node adds no Host header itself.
  const hasHost = headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === 'host');
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: u.hostname,
      port: u.port,
      method: opts.method ?? 'GET',
      path: opts.path ?? '/',
      headers: hasHost ? headers : ['Host', u.host, ...headers],
      agent: false,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      const hash = createHash('sha256');
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (opts.hashOnly) hash.update(c);
        else chunks.push(c);
      });
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({
          status: res.statusCode!,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body,
          bytes,
          sha256: opts.hashOnly ? hash.digest('hex') : createHash('sha256').update(body).digest('hex'),
          json: <T>() => JSON.parse(body.toString('utf8')) as T,
        });
      });
    });
    const b = opts.body;
    if (b === undefined) req.end();
    else if (typeof b === 'string' || Buffer.isBuffer(b)) req.end(b);
    else b.pipe(req);
  });
}

export interface Row {
  id: number;
  ts: number;
  request_id: string;
  client_ip: string;
  method: string;
  path: string;
  status: number;
  upstream_status: number | null;
  decision: string;
  reason: string;
  would_decision: string | null;
  mode: string;
  latency_ms: number;
  upstream_ms: number | null;
  bytes_in: number;
  bytes_out: number;
}

/** All decision rows, read through a separate connection. */
export function readRows(dbPath: string): Row[] {
  const db = openDb(dbPath, { readonly: true });
  try {
    return db.prepare('SELECT * FROM decisions ORDER BY id').all() as Row[];
  } finally {
    db.close();
  }
}

/** Waits until `fn` returns true (polling; for asynchronous effects such as a writer tick). */
export async function until(fn: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
