// Integration: WebSocket upgrades go through the same access passes; the API key is not forwarded.
import type { IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey } from '../../../src/keys/store.js';
import { startEnv, type Env } from './harness.js';

let env: Env;
let key = '';
let seen: IncomingHttpHeaders | null = null;

beforeAll(async () => {
  env = await startEnv({}, (db) => {
    key = addKey(db, { name: 'ws' }, Date.now()).key;
  });
});
afterAll(async () => env?.close());

/** Sends a raw upgrade request and returns the status line. */
function upgrade(url: string, headers: string[]): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => {
      s.write(`GET /ws HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`);
    });
    let buf = '';
    s.on('data', (d) => {
      buf += d;
      if (buf.includes('\r\n')) {
        s.destroy();
        resolve(buf.slice(0, buf.indexOf('\r\n')));
      }
    });
    s.on('error', reject);
  });
}

describe('WebSocket upgrades', () => {
  it('refuse a missing key (401) and strip a valid key before forwarding', async () => {
    // The harness backend is a node:http server: answer upgrades with a bare 101.
    env.backend.server.on('upgrade', (req, socket: Duplex) => {
      seen = req.headers;
      socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    });
    expect(await upgrade(env.gw.url, [])).toMatch(/^HTTP\/1\.1 401/);
    expect(await upgrade(env.gw.url, [`X-API-Key: ${key}`])).toMatch(/^HTTP\/1\.1 101/);
    expect(seen).not.toBeNull();
    expect(seen!['x-api-key']).toBeUndefined();
    expect(await upgrade(env.gw.url, [`Authorization: Bearer ${key}`])).toMatch(/^HTTP\/1\.1 101/);
    expect(seen!.authorization).toBeUndefined();
  });
});
