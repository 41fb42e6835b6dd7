// Forwarding on real sockets: every method with path, query and headers intact; request ids both ways.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7Time } from '../../../src/gateway/request-id.js';
import { readRows, send, startTestGateway, startUpstream, TOKEN, type TestGateway, type Upstream } from './helpers.js';

let up: Upstream;
let t: TestGateway;

beforeAll(async () => {
  up = await startUpstream();
  t = await startTestGateway(up.url);
});
afterAll(async () => {
  await t?.dispose();
  await up?.close();
});

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('forwarding', () => {
  for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
    it(`forwards ${method} with path, query string, headers and body`, async () => {
      const withBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
      const r = await send(t.gw.url, {
        method,
        path: `/api/items/42?q=a%20b&x=1&x=2`,
        headers: ['X-Custom', 'Value One', 'accept', 'application/json', ...(withBody ? ['content-type', 'text/plain'] : [])],
        body: withBody ? 'hello body' : undefined,
      });
      expect(r.status).toBe(200);
      const seen = up.seen.at(-1)!;
      expect(seen.method).toBe(method);
      expect(seen.url).toBe('/api/items/42?q=a%20b&x=1&x=2');
      expect(seen.headers['x-custom']).toBe('Value One');
      expect(seen.headers.accept).toBe('application/json');
      if (method !== 'HEAD') {
        const echo = r.json<{ bytes: number }>();
        expect(echo.bytes).toBe(withBody ? 10 : 0);
      } else {
        expect(r.body.length).toBe(0);
        expect(Number(r.headers['content-length'])).toBeGreaterThan(0);
      }
    });
  }

  it('generates a UUIDv7 request id when none is sent, on both sides', async () => {
    const before = Date.now();
    const r = await send(t.gw.url, { path: '/rid' });
    const id = r.headers['x-request-id'] as string;
    expect(id).toMatch(UUID_V7);
    expect(uuidv7Time(id)).toBeGreaterThanOrEqual(before - 1);
    expect(up.seen.at(-1)!.headers['x-request-id']).toBe(id);
  });

  it('keeps a valid inbound X-Request-ID, both directions', async () => {
    const r = await send(t.gw.url, { path: '/rid', headers: ['X-Request-ID', 'abc-123_x.y:z'] });
    expect(r.headers['x-request-id']).toBe('abc-123_x.y:z');
    expect(up.seen.at(-1)!.headers['x-request-id']).toBe('abc-123_x.y:z');
  });

  it('replaces an invalid inbound X-Request-ID', async () => {
    for (const bad of ['has space', 'x'.repeat(129), 'semi;colon', '']) {
      const r = await send(t.gw.url, { path: '/rid', headers: ['X-Request-ID', bad] });
      const id = r.headers['x-request-id'] as string;
      expect(id).toMatch(UUID_V7);
      expect(up.seen.at(-1)!.headers['x-request-id']).toBe(id);
    }
  });

  it('adds the gateway token and writes a decision row', async () => {
    const r = await send(t.gw.url, { path: '/row?secret=1' });
    expect(up.seen.at(-1)!.headers['x-gateway-token']).toBe(TOKEN);
    await t.close();
    const rows = readRows(t.dbPath);
    const row = rows.find((x) => x.request_id === r.headers['x-request-id'])!;
    expect(row).toMatchObject({ method: 'GET', path: '/row', status: 200, upstream_status: 200, decision: 'ALLOW', reason: 'ok', mode: 'enforce', client_ip: '127.0.0.1' });
    expect(row.latency_ms).toBeGreaterThan(0);
    expect(row.upstream_ms).toBeGreaterThan(0);
    expect(row.bytes_out).toBe(r.body.length);
  });
});
