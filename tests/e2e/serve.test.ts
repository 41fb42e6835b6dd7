// End to end: the built binary serves, forwards to a backend, logs every request, exits 0 on SIGTERM,
// and fails with one clear line and a non-zero exit when the port is taken.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/telemetry/db.js';
import { BIN, startServe as spawnServe } from './spawn.js';

const TOKEN = 'e2e-token-abcdefghijklmnop';

let dir: string;
let backend: Server;
let backendUrl: string;
const seenTokens: Array<string | undefined> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ph-e2e-serve-'));
  backend = createServer((req, res) => {
    seenTokens.push(req.headers['x-gateway-token'] as string | undefined);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url }));
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
});
afterAll(async () => {
  backend?.closeAllConnections();
  await new Promise((r) => backend?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

// No gateway token from the environment: each test passes --gateway-token.
const startServe = (args: string[]) => spawnServe(args, { cwd: dir, env: { ...process.env, PATHHELM_GATEWAY_TOKEN: '' }, readyTimeoutMs: 15_000 });

describe('pathhelm serve (built binary)', () => {
  it('forwards, logs every request, and exits 0 on SIGTERM with nothing missing', async () => {
    const db = join(dir, 'log.db');
    // Access control and behaviour off: this suite is about forwarding and the log.
    writeFileSync(join(dir, 'plain.json'), JSON.stringify({ auth: { required: false }, rateLimit: { enabled: false }, behaviour: { enabled: false } }));
    const { child, url, out } = await startServe(['--port', '0', '--upstream', backendUrl, '--db', db, '--gateway-token', TOKEN, '--config', join(dir, 'plain.json'), '--no-model']);
    expect(out()).toContain(`upstream ${backendUrl}`);
    expect(out()).toContain('mode enforce');
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`${url}/api/items/${i}?x=1`);
      expect(r.status).toBe(200);
      ids.push(r.headers.get('x-request-id')!);
    }
    expect(seenTokens.at(-1)).toBe(TOKEN);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const d = openDb(db, { readonly: true });
    const rows = d.prepare('SELECT request_id, path, status, decision FROM decisions ORDER BY id').all() as Array<{ request_id: string; path: string }>;
    d.close();
    expect(rows.map((r) => r.request_id)).toEqual(ids);
    expect(rows[3].path).toBe('/api/items/3');
  });

  it('keeps serving when whoever read its output goes away (EPIPE on stdout/stderr), and still exits 0 on SIGTERM', async () => {
    writeFileSync(join(dir, 'plain.json'), JSON.stringify({ auth: { required: false }, rateLimit: { enabled: false }, behaviour: { enabled: false } }));
    const { child, url } = await startServe(['--port', '0', '--upstream', backendUrl, '--db', join(dir, 'epipe.db'), '--gateway-token', TOKEN, '--config', join(dir, 'plain.json'), '--no-model']);
    child.stdout!.destroy();
    child.stderr!.destroy();
    await new Promise((r) => setTimeout(r, 100));
    // serve prints on SIGHUP (model reload notice) and on shutdown: both would now write into a closed pipe
    child.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 200));
    const r = await fetch(`${url}/api/items/1`);
    expect(r.status).toBe(200);
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('requires an API key by default, and --no-auth turns keys off', async () => {
    for (const [flags, expected] of [[[], 401], [['--no-auth'], 200]] as const) {
      const { child } = await startServe(['--port', '0', '--upstream', backendUrl, '--db', join(dir, 'auth.db'), '--gateway-token', TOKEN, '--no-model', ...flags]).then(async (s) => {
        const r = await fetch(`${s.url}/api/items/1`);
        expect(r.status).toBe(expected);
        if (expected === 401) expect(((await r.json()) as { error: string }).error).toBe('auth_missing');
        else await r.arrayBuffer();
        return s;
      });
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('fails with one clear line and a non-zero exit when the port is in use', async () => {
    const r = spawnSync(process.execPath, [BIN, 'serve', '--port', String((backend.address() as AddressInfo).port), '--upstream', backendUrl, '--db', join(dir, 'b.db'), '--gateway-token', TOKEN, '--no-model'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(r.status).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/already in use.*PH_ERR_PORT_IN_USE/);
  });

  it('fails clearly on an unusable db path', () => {
    writeFileSync(join(dir, 'a-file'), 'not a directory');
    const r = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--upstream', backendUrl, '--db', join(dir, 'a-file', 'x.db'), '--gateway-token', TOKEN, '--no-model'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/PH_ERR_(DB|CONFIG)/);
  });

  it('fails clearly on an invalid flag value', () => {
    const r = spawnSync(process.execPath, [BIN, 'serve', '--mode', 'yolo', '--db', join(dir, 'c.db')], { cwd: dir, encoding: 'utf8', timeout: 15_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/mode/);
  });
});
