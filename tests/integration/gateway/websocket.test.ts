// WebSocket upgrades through the gateway (http-proxy behind the forwarding module): echo works,
// header rules apply to the upgrade request and the 101, and the tunnel is one logged decision.
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { connect } from 'node:net';
import { WebSocket } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRows, startTestGateway, startUpstream, TOKEN, type TestGateway, type Upstream } from './helpers.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Minimal RFC 6455 echo for short text frames: unmask what the client sends, send it back unmasked. */
function echoFrames(socket: Duplex): void {
  let buf = Buffer.alloc(0);
  // Upgraded sockets of node:http are half-open: close when the peer does.
  socket.on('end', () => socket.end());
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 6) {
      const opcode = buf[0] & 0x0f;
      const len = buf[1] & 0x7f; // short frames only (< 126 bytes)
      if (buf.length < 6 + len) return;
      const mask = buf.subarray(2, 6);
      const payload = Buffer.from(buf.subarray(6, 6 + len));
      for (let i = 0; i < len; i++) payload[i] ^= mask[i % 4];
      buf = buf.subarray(6 + len);
      if (opcode === 0x8) {
        socket.end(Buffer.from([0x88, 0x00]));
        return;
      }
      socket.write(Buffer.concat([Buffer.from([0x80 | opcode, len]), payload]));
    }
  });
}

let up: Upstream;
let t: TestGateway;
let upgradeHeaders: IncomingHttpHeaders | null = null;

beforeAll(async () => {
  up = await startUpstream();
  up.server.on('upgrade', (req, socket: Duplex) => {
    upgradeHeaders = req.headers;
    if (req.headers['x-gateway-token'] !== TOKEN) {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(String(req.headers['sec-websocket-key']) + GUID).digest('base64');
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\nX-Upstream: yes\r\nX-Gateway-Token: leak\r\n\r\n`,
    );
    echoFrames(socket);
  });
  t = await startTestGateway(up.url);
});
afterAll(async () => {
  await t?.dispose();
  await up?.close();
});

describe('websocket', () => {
  it('echoes through the gateway with the gateway token, forwarded headers and a request id', async () => {
    const ws = new WebSocket(t.gw.url.replace('http', 'ws') + '/ws/chat?room=1', { headers: { 'x-gateway-token': 'forged', 'x-request-id': 'ws-req-1' } } as never);
    const got = await new Promise<string>((resolve, reject) => {
      ws.onerror = (e) => reject(new Error('websocket error: ' + String((e as { message?: string }).message)));
      ws.onopen = () => ws.send('hello through the gateway');
      ws.onmessage = (m) => resolve(String(m.data));
    });
    expect(got).toBe('hello through the gateway');
    expect(upgradeHeaders!['x-gateway-token']).toBe(TOKEN);
    expect(upgradeHeaders!['x-request-id']).toBe('ws-req-1');
    expect(upgradeHeaders!['x-forwarded-for']).toBe('127.0.0.1');
    expect(upgradeHeaders!['x-forwarded-proto']).toBe('http');
    const closed = new Promise((r) => (ws.onclose = r));
    ws.close();
    await closed;
    await new Promise((r) => setTimeout(r, 50));
    expect(t.gw.stats().inFlight).toBe(0);
    await t.close();
    const rows = readRows(t.dbPath).filter((r) => r.request_id === 'ws-req-1');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ method: 'GET', path: '/ws/chat', status: 101, upstream_status: 101, decision: 'ALLOW', reason: 'ok' });
    expect(rows[0].bytes_in).toBeGreaterThan(0);
    expect(rows[0].bytes_out).toBeGreaterThan(0);
  });

  it('rewrites the 101 head: X-Request-ID added, token echo removed, upstream headers kept', async () => {
    const t2 = await startTestGateway(up.url);
    const head = await rawUpgrade(t2.gw.url, '/ws/raw', 'ws-raw-1');
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    expect(head).toMatch(/\r\nx-request-id: ws-raw-1\r\n/i);
    expect(head).toMatch(/\r\nx-upstream: yes\r\n/i);
    expect(head).not.toMatch(/x-gateway-token/i);
    // The client went away: the gateway must close its upstream socket too.
    await new Promise((r) => setTimeout(r, 100));
    expect(t2.gw.stats().inFlight).toBe(0);
    await t2.dispose();
  });

  it('answers 502 when the backend is down, and logs it', async () => {
    const gone = await startUpstream();
    const url = gone.url;
    await gone.close();
    const t3 = await startTestGateway(url);
    const head = await rawUpgrade(t3.gw.url, '/ws/down', 'ws-down-1');
    expect(head).toMatch(/^HTTP\/1\.1 502 /);
    await new Promise((r) => setTimeout(r, 50));
    await t3.close();
    const rows = readRows(t3.dbPath).filter((r) => r.request_id === 'ws-down-1');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 502, reason: 'upstream_unavailable' });
    await t3.dispose();
  });
});

/** Sends a WebSocket upgrade on a raw socket and returns the response head. */
function rawUpgrade(base: string, path: string, requestId: string): Promise<string> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname);
    let out = '';
    s.on('error', reject);
    s.on('data', (c) => {
      out += c.toString('latin1');
      const end = out.indexOf('\r\n\r\n');
      if (end !== -1) {
        s.destroy();
        resolve(out.slice(0, end + 2));
      }
    });
    s.on('close', () => resolve(out));
    s.write(
      `GET ${path} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Request-ID: ${requestId}\r\n\r\n`,
    );
  });
}
