// Header rules on real sockets: hop-by-hop and Connection-named headers stripped both ways,
// X-Forwarded-* set, client copies of the gateway token removed, the real one added.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send, startTestGateway, startUpstream, TOKEN, type TestGateway, type Upstream } from './helpers.js';

let up: Upstream;
let t: TestGateway;

beforeAll(async () => {
  up = await startUpstream((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, [
        'content-type', 'text/plain',
        'connection', 'keep-alive, x-internal-hop',
        'keep-alive', 'timeout=99',
        'x-internal-hop', 'secret',
        'proxy-authenticate', 'Basic',
        'trailer', 'x-checksum',
        'x-request-id', 'upstream-made-this-up',
        'x-gateway-token', 'leak',
        'x-kept', 'yes',
        'set-cookie', 'a=1',
        'set-cookie', 'b=2',
      ]);
      res.end('ok');
    });
  });
  t = await startTestGateway(up.url);
});
afterAll(async () => {
  await t?.dispose();
  await up?.close();
});

describe('request header rules', () => {
  it('strips hop-by-hop and Connection-named headers, keeps the rest', async () => {
    await send(t.gw.url, {
      method: 'POST',
      path: '/h',
      headers: [
        'Connection', 'keep-alive, X-Hop-Custom',
        'Keep-Alive', 'timeout=5',
        'X-Hop-Custom', 'drop me',
        'Proxy-Authorization', 'Basic Zm9vOmJhcg==',
        'Proxy-Connection', 'keep-alive',
        'TE', 'trailers',
        'Trailer', 'x-sum',
        'Transfer-Encoding', 'chunked',
        'Upgrade', 'h2c',
        'X-End-To-End', 'keep me',
        'Authorization', 'Bearer user-token',
      ],
      body: 'chunked body',
    });
    const h = up.seen.at(-1)!.headers;
    for (const gone of ['keep-alive', 'x-hop-custom', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'upgrade']) {
      expect(h[gone], gone).toBeUndefined();
    }
    expect(h.connection).not.toMatch(/x-hop-custom/i);
    expect(h['x-end-to-end']).toBe('keep me');
    expect(h.authorization).toBe('Bearer user-token');
    // The body still arrives (re-framed by the gateway).
    expect(up.seen.at(-1)!.method).toBe('POST');
  });

  it('sets X-Forwarded-For (appending), X-Forwarded-Proto and X-Forwarded-Host', async () => {
    await send(t.gw.url, { path: '/xf', headers: ['Host', 'api.example.com', 'X-Forwarded-For', '203.0.113.7', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'evil.example'] });
    const h = up.seen.at(-1)!.headers;
    expect(h['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-host']).toBe('api.example.com');
    expect(h.host).toBe('api.example.com');
  });

  it('sets X-Forwarded-For to the client address when none was sent', async () => {
    await send(t.gw.url, { path: '/xf2' });
    expect(up.seen.at(-1)!.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('removes every client copy of X-Gateway-Token and adds the real one once', async () => {
    await send(t.gw.url, { path: '/tok', headers: ['X-Gateway-Token', 'forged', 'x-gateway-token', 'forged-again'] });
    const seen = up.seen.at(-1)!;
    const copies = seen.rawHeaders.filter((_, i) => i % 2 === 0).filter((n) => n.toLowerCase() === 'x-gateway-token');
    expect(copies).toHaveLength(1);
    expect(seen.headers['x-gateway-token']).toBe(TOKEN);
  });
});

describe('response header rules', () => {
  it('strips hop-by-hop, Connection-named, upstream request id and token echo; keeps the rest', async () => {
    const r = await send(t.gw.url, { path: '/res', headers: ['X-Request-ID', 'client-id-1'] });
    expect(r.status).toBe(200);
    expect(r.headers['x-internal-hop']).toBeUndefined();
    expect(r.headers['proxy-authenticate']).toBeUndefined();
    expect(r.headers.trailer).toBeUndefined();
    expect(r.headers['x-gateway-token']).toBeUndefined();
    expect(r.headers['keep-alive']).not.toBe('timeout=99');
    expect(r.headers['x-request-id']).toBe('client-id-1');
    expect(r.headers['x-kept']).toBe('yes');
    expect(r.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(r.body.toString()).toBe('ok');
  });
});
