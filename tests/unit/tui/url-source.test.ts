// `top --url`: the admin API source against the real admin router (createAdmin) on 127.0.0.1:0 —
// /_pathhelm/recent pages rows by rowid; status gives uptime, mode and totals.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin } from '../../../src/admin/admin.js';
import { recentDecisions } from '../../../src/admin/recent.js';
import { TopModel } from '../../../src/tui/model.js';
import { UrlSource } from '../../../src/tui/source.js';
import { insertDecisions, tempDb } from './fixtures.js';

describe('UrlSource over the admin API', () => {
  const { db } = tempDb();
  let server: Server;
  let url: string;
  beforeAll(async () => {
    insertDecisions(db, [{ clientIp: '10.0.0.1', path: '/a' }, { clientIp: '10.0.0.2', path: '/b', decision: 'BLOCK', reason: 'denylist', status: 403 }]);
    const admin = createAdmin({
      prefix: '/_pathhelm',
      token: null,
      db,
      status: () => ({ uptimeMs: 65_000, mode: 'monitor', totals: { requests: 1234, ALLOW: 1200, THROTTLE: 30, BLOCK: 4 } }),
      snapshot: () => ({}) as never,
      telemetry: () => ({ written: 0, dropped: 0, failures: 0, queued: 0, lagMs: 0, lastError: null }),
    });
    server = createServer((req, res) => {
      const [path, query = ''] = (req.url ?? '/').split('?');
      admin.handle(req, res, path.slice('/_pathhelm'.length), query);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('seeds from the newest rows and status, then reads only new rows', async () => {
    const src = new UrlSource(url + '/_pathhelm/', null);
    expect(src.label).toBe(`url ${url}`);
    const m = new TopModel();
    const now = Date.now();
    await src.init(m, now);
    let v = m.view(now);
    expect(v.feed.map((r) => r.path)).toEqual(['/a', '/b']);
    expect(v.total).toBe(1234); // the gateway's own counters
    expect(v.clients.map((c) => c.clientIp).sort()).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(v.mode).toBe('monitor');
    expect(src.uptimeMs(now + 1000)).toBe(66_000);
    insertDecisions(db, [{ clientIp: '10.0.0.3', path: '/c' }]);
    expect(await src.poll(m, now)).toBe(1);
    expect(await src.poll(m, now)).toBe(0);
    v = m.view(now);
    expect(v.feed.at(-1)!.path).toBe('/c');
    expect(v.clients.map((c) => c.clientIp)).toContain('10.0.0.3');
    expect(src.note()).toBeNull();
  });

  it('recent pages by rowid and validates its parameters', () => {
    expect(recentDecisions(db, new URLSearchParams('after=1&limit=1')).rows.map((r) => r.id)).toEqual([2]);
    expect(recentDecisions(db, new URLSearchParams('tail=1&limit=2')).rows.map((r) => r.id)).toEqual([2, 3]);
    expect(() => recentDecisions(db, new URLSearchParams('limit=0'))).toThrow(/limit must be an integer from 1 to 5000/);
  });

  it('answers 400 for bad parameters through the router', async () => {
    const res = await fetch(`${url}/_pathhelm/recent?after=-1`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/after must be an integer/);
  });

  it('names the live model from /_pathhelm/behaviour', async () => {
    const stub = createServer((req, res) => {
      const body =
        req.url === '/_pathhelm/behaviour' ? { model: { path: '/srv/models/prod.json', blockThreshold: 0.62 } }
        : req.url === '/_pathhelm/status' ? { uptimeMs: 1000, mode: 'enforce', totals: { requests: 0, ALLOW: 0, THROTTLE: 0, BLOCK: 0 } }
        : { lastId: 0, rows: [] };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
    try {
      const src = new UrlSource(`http://127.0.0.1:${(stub.address() as AddressInfo).port}`, null);
      await src.init(new TopModel(), Date.now());
      expect(src.modelLabel()).toBe('prod.json');
    } finally {
      await new Promise<void>((r) => stub.close(() => r()));
    }
  });

  it('fails clearly when nothing listens', async () => {
    const src = new UrlSource('http://127.0.0.1:9', null);
    await expect(src.init(new TopModel(), Date.now())).rejects.toThrow(/cannot reach the admin API/);
  });
});
