// Integration tests for the zero-trust demo backend on real sockets: token checks, routes, request ids, events.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type BackendHandle } from '../../../src/sim/backend.js';

const TOKEN = 'integration-test-token-0123456789';
let dir: string;
let db: string;
let backend: BackendHandle;

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

function call(path: string, opts: { method?: string; token?: string | null; headers?: Record<string, string>; body?: string } = {}): Promise<Res> {
  const headers: Record<string, string> = { ...opts.headers };
  const token = opts.token === undefined ? TOKEN : opts.token;
  if (token !== null) headers['x-gateway-token'] = token;
  return new Promise((resolve, reject) => {
    const req = request(`${backend.url}${path}`, { method: opts.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : null });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ph-backend-'));
  db = join(dir, 'ph.db');
  backend = await startBackend({ port: 0, gatewayToken: TOKEN, db, flushIntervalMs: 20 });
});

afterAll(async () => {
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('zero trust: the gateway token', () => {
  it('listens on the port it reports', () => {
    expect(backend.port).toBeGreaterThan(0);
    expect(backend.url).toBe(`http://127.0.0.1:${backend.port}`);
  });

  it('answers 403 without the token', async () => {
    const r = await call('/api/items/1', { token: null });
    expect(r.status).toBe(403);
    expect(r.body.error).toBe('forbidden');
    expect(JSON.stringify(r.body)).not.toContain(TOKEN);
  });

  it('answers 403 with a wrong token of the same length', async () => {
    const wrong = TOKEN.slice(0, -1) + (TOKEN.endsWith('9') ? '8' : '9');
    expect((await call('/api/items/1', { token: wrong })).status).toBe(403);
  });

  it('answers 403 with a token of another length (prefix, longer, empty)', async () => {
    expect((await call('/api/items/1', { token: TOKEN.slice(0, 8) })).status).toBe(403);
    expect((await call('/api/items/1', { token: `${TOKEN}x` })).status).toBe(403);
    expect((await call('/api/items/1', { token: '' })).status).toBe(403);
  });

  it('answers 403 to the token in another header or in the query', async () => {
    expect((await call(`/api/items/1?x-gateway-token=${TOKEN}`, { token: null })).status).toBe(403);
    expect((await call('/api/items/1', { token: null, headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(403);
  });

  it('guards every route, /health and unknown paths included', async () => {
    for (const path of ['/health', '/api/items', '/api/search?q=lamp', '/api/users/1', '/nope']) {
      expect((await call(path, { token: null })).status).toBe(403);
    }
    expect((await call('/api/login', { method: 'POST', token: null, body: '{"user":"demo","password":"demo"}' })).status).toBe(403);
  });

  it('answers 200 with the right token', async () => {
    const r = await call('/api/items/1');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.body).toMatchObject({ id: 1 });
  });
});

describe('request ids', () => {
  it('echoes X-Request-ID on success, refusal and 404', async () => {
    const ok = await call('/api/items/2', { headers: { 'x-request-id': 'req-ok-1' } });
    expect(ok.headers['x-request-id']).toBe('req-ok-1');
    const denied = await call('/api/items/2', { token: null, headers: { 'x-request-id': 'req-denied-1' } });
    expect(denied.headers['x-request-id']).toBe('req-denied-1');
    const missing = await call('/nope', { headers: { 'x-request-id': 'req-404-1' } });
    expect(missing.status).toBe(404);
    expect(missing.headers['x-request-id']).toBe('req-404-1');
  });

  it('sends no X-Request-ID when none came in', async () => {
    expect((await call('/health')).headers['x-request-id']).toBeUndefined();
  });
});

describe('routes', () => {
  it('GET /health', async () => {
    expect(await call('/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('GET /api/items paginates 1000 items 20 at a time', async () => {
    const first = await call('/api/items');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ page: 1, pageSize: 20, total: 1000, pages: 50 });
    expect(first.body.items.map((i: { id: number }) => i.id)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const third = await call('/api/items?page=3');
    expect(third.body.items[0].id).toBe(41);
    expect((await call('/api/items?page=51')).body.items).toEqual([]);
    expect((await call('/api/items?page=0')).status).toBe(400);
    expect((await call('/api/items?page=abc')).status).toBe(400);
  });

  it('GET /api/items/:id exists for 1..1000 only', async () => {
    expect((await call('/api/items/1000')).body.id).toBe(1000);
    for (const id of ['0', '1001', '01', 'abc', '-1', '1.5', '99999999']) {
      const r = await call(`/api/items/${id}`);
      expect(r.status, id).toBe(404);
      expect(r.body).toEqual({ error: 'not_found' });
    }
    expect((await call('/api/items/')).status).toBe(404);
  });

  it('GET /api/users/:id exists for 1..100 only', async () => {
    expect((await call('/api/users/100')).body).toMatchObject({ id: 100, name: 'user100' });
    expect((await call('/api/users/101')).status).toBe(404);
    expect((await call('/api/users/0')).status).toBe(404);
  });

  it('GET /api/search finds items by name and requires q', async () => {
    const r = await call('/api/search?q=Lamp');
    expect(r.status).toBe(200);
    expect(r.body.total).toBeGreaterThan(0);
    expect(r.body.results.length).toBeLessThanOrEqual(20);
    for (const it of r.body.results) expect(it.name).toContain('lamp');
    expect((await call('/api/search?q=zzzzzz')).body).toMatchObject({ total: 0, results: [] });
    expect((await call('/api/search')).status).toBe(400);
    expect((await call(`/api/search?q=${'a'.repeat(201)}`)).status).toBe(400);
  });

  it('POST /api/login: demo/demo → 200 with a session, anything else → 401', async () => {
    const ok = await call('/api/login', { method: 'POST', body: JSON.stringify({ user: 'demo', password: 'demo' }) });
    expect(ok.status).toBe(200);
    expect(ok.body.session).toMatch(/^[0-9a-f]{32}$/);
    const again = await call('/api/login', { method: 'POST', body: JSON.stringify({ user: 'demo', password: 'demo' }) });
    expect(again.body.session).not.toBe(ok.body.session);
    expect((await call('/api/login', { method: 'POST', body: JSON.stringify({ user: 'demo', password: 'nope' }) })).status).toBe(401);
    expect((await call('/api/login', { method: 'POST', body: JSON.stringify({ user: 'admin', password: 'demo' }) })).status).toBe(401);
    expect((await call('/api/login', { method: 'POST', body: '{not json' })).status).toBe(400);
    expect((await call('/api/login', { method: 'POST', body: '{"user":1,"password":2}' })).status).toBe(400);
    expect((await call('/api/login', { method: 'POST', body: 'x'.repeat(20_000) })).status).toBe(413);
  });

  it('wrong methods on known routes → 405 with Allow; unknown paths → 404 JSON', async () => {
    const r = await call('/api/login');
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('POST');
    expect((await call('/api/items/1', { method: 'DELETE' })).status).toBe(405);
    const head = await call('/api/items/1', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
    const nf = await call('/api/nothing/here', { method: 'POST', body: 'x' });
    expect(nf.status).toBe(404);
    expect(nf.body).toEqual({ error: 'not_found' });
  });
});

describe('backend events in SQLite', () => {
  it('records request id, method, path (no query), status and latency, flushed on close', async () => {
    const own = await startBackend({ port: 0, gatewayToken: TOKEN, db: join(dir, 'events.db'), flushIntervalMs: 60_000 });
    const prev = backend;
    backend = own;
    try {
      await call('/api/items/7?secret=1', { headers: { 'x-request-id': 'ev-1' } });
      await call('/api/items/7', { token: 'wrong-token', headers: { 'x-request-id': 'ev-2' } });
      await call('/missing', { method: 'POST', body: 'x', headers: { 'x-request-id': 'ev-3' } });
      await call('/health');
      await call('/health', { headers: { 'x-request-id': 'r'.repeat(1000) } });
    } finally {
      backend = prev;
    }
    await own.close(); // the tick is a minute away: only close() can have written these rows
    await own.close(); // idempotent
    const sql = new Database(join(dir, 'events.db'), { readonly: true });
    const rows = sql.prepare('SELECT request_id, method, path, status, latency_ms, ts FROM backend_events ORDER BY id').all() as any[];
    sql.close();
    expect(rows.map((r) => [r.request_id, r.method, r.path, r.status])).toEqual([
      ['ev-1', 'GET', '/api/items/7', 200],
      ['ev-2', 'GET', '/api/items/7', 403],
      ['ev-3', 'POST', '/missing', 404],
      [null, 'GET', '/health', 200],
      ['r'.repeat(128), 'GET', '/health', 200], // ids from clients that bypass the gateway are capped
    ]);
    for (const r of rows) {
      expect(r.latency_ms).toBeGreaterThanOrEqual(0);
      expect(r.latency_ms).toBeLessThan(5_000);
      expect(Math.abs(r.ts - Date.now())).toBeLessThan(60_000);
    }
    expect(own.stats()).toMatchObject({ written: 5, dropped: 0 });
  });

  it('writes in the background while running (no close needed)', async () => {
    await call('/api/users/5', { headers: { 'x-request-id': 'bg-1' } });
    const deadline = Date.now() + 5_000;
    let found = 0;
    while (Date.now() < deadline && found === 0) {
      await new Promise((r) => setTimeout(r, 30));
      const sql = new Database(db, { readonly: true });
      found = (sql.prepare("SELECT count(*) AS n FROM backend_events WHERE request_id = 'bg-1'").get() as { n: number }).n;
      sql.close();
    }
    expect(found).toBe(1);
  });

  it('records nothing and opens no file without a db', async () => {
    const nodb = await startBackend({ port: 0, gatewayToken: TOKEN });
    const prev = backend;
    backend = nodb;
    try {
      expect((await call('/health')).status).toBe(200);
    } finally {
      backend = prev;
    }
    await nodb.close();
    expect(nodb.stats().written).toBe(0);
  });
});

describe('lifecycle', () => {
  it('fails with PH_ERR_PORT_IN_USE when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startBackend({ port, gatewayToken: TOKEN })).rejects.toMatchObject({
        code: 'PH_ERR_PORT_IN_USE',
        message: `port ${port} on 127.0.0.1 is already in use; stop the other process or pass another --port`,
      });
    } finally {
      blocker.close();
    }
  });

  it('refuses to start without a token', async () => {
    await expect(startBackend({ port: 0, gatewayToken: '' })).rejects.toMatchObject({ code: 'PH_ERR_CONFIG' });
  });

  it('close() ends idle keep-alive connections promptly', async () => {
    const b = await startBackend({ port: 0, gatewayToken: TOKEN });
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      request(`${b.url}/health`, { agent, headers: { 'x-gateway-token': TOKEN } }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
        .on('error', reject)
        .end();
    });
    const t0 = Date.now();
    await b.close();
    expect(Date.now() - t0).toBeLessThan(1_500);
    agent.destroy();
  });
});
