// Streaming on real sockets: 256 MiB uploads and downloads pass through the gateway intact
// (sha256) while the process's memory stays flat — the gateway never buffers a body.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echo, readRows, send, startTestGateway, startUpstream, type TestGateway, type Upstream } from './helpers.js';

const CHUNK = randomBytes(64 * 1024);
const TOTAL = 256 * 1024 * 1024;
const CHUNKS = TOTAL / CHUNK.length;

function expectedHash(): string {
  const h = createHash('sha256');
  for (let i = 0; i < CHUNKS; i++) h.update(CHUNK);
  return h.digest('hex');
}

/** A generated body: the same 64 KiB chunk, TOTAL bytes, pulled on demand (no buffering). */
function generated(): Readable {
  let i = 0;
  return new Readable({
    read() {
      this.push(i++ < CHUNKS ? CHUNK : null);
    },
  });
}

let up: Upstream;
let t: TestGateway;
let peakRss = 0;
let sampler: NodeJS.Timeout;

beforeAll(async () => {
  up = await startUpstream((req, res) => {
    if (req.url === '/download') {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(TOTAL) });
      generated().pipe(res);
      return;
    }
    echo(req, res);
  });
  t = await startTestGateway(up.url);
  sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);
});
afterAll(async () => {
  clearInterval(sampler);
  await t?.dispose();
  await up?.close();
});

async function measure<T>(fn: () => Promise<T>): Promise<{ value: T; growth: number }> {
  global.gc?.();
  const base = process.memoryUsage.rss();
  peakRss = base;
  const value = await fn();
  if (process.env.PH_DEBUG) console.log("rss growth MiB", (peakRss - base) / 1048576);
  return { value, growth: peakRss - base };
}

describe('streaming', () => {
  const want = expectedHash();

  it('uploads 256 MiB (chunked) intact with flat memory', async () => {
    const { value: r, growth } = await measure(() =>
      send(t.gw.url, { method: 'PUT', path: '/upload', headers: ['content-type', 'application/octet-stream'], body: generated() }),
    );
    expect(r.status).toBe(200);
    const echoed = r.json<{ bytes: number; sha256: string }>();
    expect(echoed.bytes).toBe(TOTAL);
    expect(echoed.sha256).toBe(want);
    // Client, gateway and upstream share this process; buffering one body would add ≥ 256 MiB.
    expect(growth).toBeLessThan(96 * 1024 * 1024);
  }, 60_000);

  it('uploads 256 MiB with Content-Length intact', async () => {
    const r = await send(t.gw.url, { method: 'POST', path: '/upload-cl', headers: ['content-length', String(TOTAL)], body: generated() });
    expect(r.json<{ bytes: number; sha256: string }>()).toMatchObject({ bytes: TOTAL, sha256: want });
  }, 60_000);

  it('downloads 256 MiB intact with flat memory', async () => {
    const { value: r, growth } = await measure(() => send(t.gw.url, { path: '/download', hashOnly: true, headers: ['X-Request-ID', 'download-1'] }));
    expect(r.status).toBe(200);
    expect(r.bytes).toBe(TOTAL);
    expect(r.sha256).toBe(want);
    expect(growth).toBeLessThan(96 * 1024 * 1024);
  }, 60_000);

  it('counts bytes in and out in the decision log', async () => {
    await t.close();
    const rows = readRows(t.dbPath);
    expect(rows.find((r) => r.path === '/upload')!.bytes_in).toBe(TOTAL);
    expect(rows.find((r) => r.request_id === 'download-1')!.bytes_out).toBe(TOTAL);
  });
});
