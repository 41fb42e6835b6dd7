// Owns the zero-trust demo backend: a small JSON API that refuses (403) every request without the gateway token.
//
// Example:
//   const backend = await startBackend({ port: 0, gatewayToken: token, db: './.pathhelm/pathhelm.db' });
//   await fetch(`${backend.url}/api/items/7`, { headers: { 'x-gateway-token': token } }); // 200
//   await backend.close(); // stops listening, flushes backend_events, closes the db
//
// Routes (all JSON; every one needs X-Gateway-Token, compared in constant time over SHA-256 digests):
//   GET /health · GET /api/items?page=N · GET /api/items/:id (1..1000) · GET /api/search?q=
//   POST /api/login {user,password} (demo/demo → 200, else 401) · GET /api/users/:id (1..100) · else 404
// Each request is recorded in backend_events (request id, method, path, status, latency) through the
// batched telemetry writer: an array push on the request path, one transaction per ~100 ms tick.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PathHelmError } from '../errors.js';
import { openDb, type Db } from '../telemetry/db.js';
import type { BackendEvent, TelemetryStats } from '../telemetry/types.js';
import { createBackendEventWriter, type BatchWriter } from '../telemetry/writer.js';

export interface BackendOptions {
  /** Address to bind. Default 127.0.0.1. */
  host?: string;
  /** Port to bind; 0 picks a free one (read it from the handle). */
  port: number;
  /** The secret every request must carry as X-Gateway-Token. */
  gatewayToken: string;
  /** SQLite file for backend_events; null/undefined records nothing. */
  db?: string | null;
  /** Accepted for callers that run the backend next to other output; the backend itself never prints. */
  quiet?: boolean;
  /** Telemetry tick (ms). Default 100. */
  flushIntervalMs?: number;
}

export interface BackendHandle {
  url: string;
  port: number;
  /** Stops accepting, ends keep-alive connections, flushes events, closes the db. Idempotent. */
  close(): Promise<void>;
  /** Event-writer counters (all zero when no db is configured). */
  stats(): TelemetryStats;
}

export const ITEM_COUNT = 1000;
export const USER_COUNT = 100;
export const PAGE_SIZE = 20;
export const TOKEN_HEADER = 'x-gateway-token';
const MAX_LOGIN_BODY = 16 * 1024;
const MAX_QUERY = 200;
const MAX_RECORDED_PATH = 2048;
const MAX_RECORDED_ID = 128;
const CLOSE_GRACE_MS = 2_000;

// ------------------------------------------------------------------ data (precomputed once)

const ADJECTIVES = ['red', 'blue', 'green', 'quiet', 'rapid', 'golden', 'tiny', 'massive', 'smart', 'vintage'];
const NOUNS = ['widget', 'gadget', 'lamp', 'chair', 'kettle', 'backpack', 'camera', 'bicycle', 'notebook', 'speaker'];
const CATEGORIES = ['home', 'outdoor', 'office', 'kitchen', 'electronics'];

interface Item {
  id: number;
  name: string;
  category: string;
  price: number;
  inStock: boolean;
}

const ITEMS: Item[] = [];
for (let id = 1; id <= ITEM_COUNT; id++) {
  ITEMS.push({
    id,
    name: `${ADJECTIVES[id % 10]} ${NOUNS[Math.floor(id / 10) % 10]} ${id}`,
    category: CATEGORIES[id % CATEGORIES.length],
    price: Math.round(((id * 7919) % 10_000) + 99) / 100,
    inStock: id % 7 !== 0,
  });
}
const ITEM_BODIES: Buffer[] = ITEMS.map((it) => Buffer.from(JSON.stringify(it)));
const USER_BODIES: Buffer[] = [];
for (let id = 1; id <= USER_COUNT; id++) {
  USER_BODIES.push(Buffer.from(JSON.stringify({ id, name: `user${id}`, email: `user${id}@example.test`, role: id === 1 ? 'admin' : 'member' })));
}
const HEALTH_BODY = Buffer.from('{"status":"ok"}');
const FORBIDDEN_BODY = Buffer.from(
  JSON.stringify({ error: 'forbidden', message: 'missing or wrong X-Gateway-Token: this backend only accepts requests forwarded by the PathHelm gateway' }),
);
const NOT_FOUND_BODY = Buffer.from('{"error":"not_found"}');
const BAD_LOGIN_BODY = Buffer.from('{"error":"invalid_credentials"}');

// ------------------------------------------------------------------ server

/** Starts the demo backend. Throws PH_ERR_PORT_IN_USE / PH_ERR_LISTEN / PH_ERR_DB with one clear line. */
export async function startBackend(opts: BackendOptions): Promise<BackendHandle> {
  const host = opts.host ?? '127.0.0.1';
  if (typeof opts.gatewayToken !== 'string' || opts.gatewayToken === '') {
    throw new PathHelmError('PH_ERR_CONFIG', 'the demo backend needs a gateway token; pass --gateway-token or set PATHHELM_GATEWAY_TOKEN');
  }
  const expected = createHash('sha256').update(opts.gatewayToken).digest();

  let db: Db | null = null;
  let writer: BatchWriter<BackendEvent> | null = null;
  if (opts.db) {
    db = openDb(opts.db);
    writer = createBackendEventWriter(db, { flushIntervalMs: opts.flushIntervalMs ?? 100 });
  }

  const record = writer
    ? (req: IncomingMessage, path: string, status: number, start: number): void => {
        const rid = req.headers['x-request-id'];
        writer!.push({
          ts: Date.now(),
          requestId: typeof rid === 'string' ? (rid.length > MAX_RECORDED_ID ? rid.slice(0, MAX_RECORDED_ID) : rid) : null,
          method: req.method ?? 'GET',
          path: path.length > MAX_RECORDED_PATH ? path.slice(0, MAX_RECORDED_PATH) : path,
          status,
          latencyMs: performance.now() - start,
        });
      }
    : null;

  function send(req: IncomingMessage, res: ServerResponse, path: string, status: number, body: Buffer, start: number, extra?: Record<string, string>): void {
    const rid = req.headers['x-request-id'];
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': body.length };
    if (typeof rid === 'string') headers['x-request-id'] = rid;
    if (extra) Object.assign(headers, extra);
    res.writeHead(status, headers);
    res.end(body);
    if (record) record(req, path, status, start);
  }

  function sendJson(req: IncomingMessage, res: ServerResponse, path: string, status: number, value: unknown, start: number, extra?: Record<string, string>): void {
    send(req, res, path, status, Buffer.from(JSON.stringify(value)), start, extra);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const start = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);

    const token = req.headers[TOKEN_HEADER];
    if (typeof token !== 'string' || !timingSafeEqual(createHash('sha256').update(token).digest(), expected)) {
      req.resume();
      send(req, res, path, 403, FORBIDDEN_BODY, start);
      return;
    }
    const method = req.method ?? 'GET';
    if (method !== 'POST') req.resume();
    const isGet = method === 'GET' || method === 'HEAD';

    const methodNotAllowed = (allow: string) =>
      sendJson(req, res, path, 405, { error: 'method_not_allowed', allow }, start, { allow });

    if (path === '/health') {
      if (!isGet) return methodNotAllowed('GET, HEAD');
      return send(req, res, path, 200, HEALTH_BODY, start);
    }
    if (path.startsWith('/api/items')) {
      if (path === '/api/items') {
        if (!isGet) return methodNotAllowed('GET, HEAD');
        const page = pageParam(q < 0 ? '' : url.slice(q + 1));
        if (page === undefined) return sendJson(req, res, path, 400, { error: 'bad_request', message: 'page must be a whole number >= 1' }, start);
        const from = (page - 1) * PAGE_SIZE;
        const pages = Math.ceil(ITEM_COUNT / PAGE_SIZE);
        return sendJson(req, res, path, 200, { page, pageSize: PAGE_SIZE, total: ITEM_COUNT, pages, items: ITEMS.slice(from, from + PAGE_SIZE) }, start);
      }
      if (path.charCodeAt(10) === 47 /* / */) {
        const id = idParam(path, 11, ITEM_COUNT);
        if (id === 0) return send(req, res, path, 404, NOT_FOUND_BODY, start);
        if (!isGet) return methodNotAllowed('GET, HEAD');
        return send(req, res, path, 200, ITEM_BODIES[id - 1], start);
      }
    }
    if (path.startsWith('/api/users/')) {
      const id = idParam(path, 11, USER_COUNT);
      if (id === 0) return send(req, res, path, 404, NOT_FOUND_BODY, start);
      if (!isGet) return methodNotAllowed('GET, HEAD');
      return send(req, res, path, 200, USER_BODIES[id - 1], start);
    }
    if (path === '/api/search') {
      if (!isGet) return methodNotAllowed('GET, HEAD');
      const term = new URLSearchParams(q < 0 ? '' : url.slice(q + 1)).get('q');
      if (term === null || term.trim() === '') return sendJson(req, res, path, 400, { error: 'bad_request', message: 'q is required, e.g. /api/search?q=lamp' }, start);
      if (term.length > MAX_QUERY) return sendJson(req, res, path, 400, { error: 'bad_request', message: `q must be at most ${MAX_QUERY} characters` }, start);
      const needle = term.toLowerCase();
      const matches = ITEMS.filter((it) => it.name.includes(needle) || it.category === needle);
      return sendJson(req, res, path, 200, { q: term, total: matches.length, results: matches.slice(0, PAGE_SIZE) }, start);
    }
    if (path === '/api/login') {
      if (method !== 'POST') {
        req.resume();
        return methodNotAllowed('POST');
      }
      return login(req, res, path, start);
    }
    if (method === 'POST') req.resume();
    send(req, res, path, 404, NOT_FOUND_BODY, start);
  }

  function login(req: IncomingMessage, res: ServerResponse, path: string, start: number): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > MAX_LOGIN_BODY) {
        done = true;
        sendJson(req, res, path, 413, { error: 'body_too_large', message: `login bodies are at most ${MAX_LOGIN_BODY} bytes` }, start, { connection: 'close' });
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return sendJson(req, res, path, 400, { error: 'bad_request', message: 'send JSON like {"user":"demo","password":"demo"}' }, start);
      }
      const { user, password } = (body ?? {}) as { user?: unknown; password?: unknown };
      if (typeof user !== 'string' || typeof password !== 'string') {
        return sendJson(req, res, path, 400, { error: 'bad_request', message: 'user and password must be strings' }, start);
      }
      if (user === 'demo' && password === 'demo') {
        return sendJson(req, res, path, 200, { user: 'demo', session: randomBytes(16).toString('hex'), expiresIn: 3600 }, start);
      }
      send(req, res, path, 401, BAD_LOGIN_BODY, start);
    });
    req.on('error', () => {
      done = true;
    });
  }

  const server: Server = createServer(handle);
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await writer?.close();
    db?.close();
    throw listenError(err, host, opts.port);
  }

  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    stats: () => writer?.stats() ?? { written: 0, dropped: 0, failures: 0, queued: 0, lagMs: 0, lastError: null },
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            for (const s of sockets) s.destroy();
          }, CLOSE_GRACE_MS);
          timer.unref();
          server.close(() => {
            clearTimeout(timer);
            resolve();
          });
          server.closeIdleConnections();
        });
        await writer?.close();
        db?.close();
      })();
      return closing;
    },
  };
}

/** `?page=N` (default 1); undefined when malformed. */
function pageParam(query: string): number | undefined {
  if (query === '') return 1;
  const raw = new URLSearchParams(query).get('page');
  if (raw === null) return 1;
  if (!/^[1-9]\d{0,8}$/.test(raw)) return undefined;
  return Number(raw);
}

/** Parses a decimal id at path[from..] in 1..max without allocating; 0 when absent, malformed or out of range. */
function idParam(path: string, from: number, max: number): number {
  const len = path.length;
  if (from >= len || len - from > 6) return 0;
  let n = 0;
  for (let i = from; i < len; i++) {
    const c = path.charCodeAt(i) - 48;
    if (c < 0 || c > 9 || (i === from && c === 0)) return 0;
    n = n * 10 + c;
  }
  return n <= max ? n : 0;
}

function listenError(err: unknown, host: string, port: number): PathHelmError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new PathHelmError('PH_ERR_PORT_IN_USE', `port ${port} on ${host} is already in use; stop the other process or pass another --port`, { cause: err });
  }
  const why = err instanceof Error ? err.message : String(err);
  return new PathHelmError('PH_ERR_LISTEN', `cannot listen on ${host}:${port}: ${why}`, { cause: err });
}
