// End to end: `pathhelm backend` from the built binary: ready line with the real port, zero trust, SIGTERM flush.
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/pathhelm.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ph-e2e-backend-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Running {
  child: ChildProcess;
  url: string;
  line: string;
  out: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Running> {
  const child = spawn(process.execPath, [BIN, 'backend', ...args], {
    cwd: dir,
    env: { ...process.env, PATHHELM_GATEWAY_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line; stdout=${out} stderr=${err}`)), 15_000);
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /ready on (http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], line: out.split('\n')[0], out: () => out, exit });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}: ${err}`));
    });
  });
}

describe('pathhelm backend', () => {
  it('prints one ready line with the actual port, guards with the state-file token, flushes on SIGTERM', async () => {
    const db = join(dir, 'state', 'ph.db');
    const b = await start(['--port', '0', '--db', db]);
    const tokenFile = join(dir, 'state', 'gateway-token');
    const token = readFileSync(tokenFile, 'utf8').trim();
    expect(b.line).toMatch(/^pathhelm backend ready on http:\/\/127\.0\.0\.1:\d+ \(gateway token: generated into .*gateway-token; events: .*ph\.db\)$/);
    expect(b.line).not.toContain(token);
    expect(Number(new URL(b.url).port)).toBeGreaterThan(0);

    expect((await fetch(`${b.url}/api/items/3`)).status).toBe(403);
    const ok = await fetch(`${b.url}/api/items/3`, { headers: { 'x-gateway-token': token, 'x-request-id': 'e2e-1' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-request-id')).toBe('e2e-1');
    expect(await ok.json()).toMatchObject({ id: 3 });

    b.child.kill('SIGTERM');
    expect(await b.exit).toEqual({ code: 0, signal: null });
    expect(b.out()).toMatch(/pathhelm backend stopped \(2 events written\)/);
    const sql = new Database(db, { readonly: true });
    const rows = sql.prepare('SELECT request_id, status FROM backend_events ORDER BY id').all();
    sql.close();
    expect(rows).toEqual([
      { request_id: null, status: 403 },
      { request_id: 'e2e-1', status: 200 },
    ]);

    // a second start with the same --db reuses the token (this is how `serve` and `backend` agree)
    const again = await start(['--port', '0', '--db', db]);
    expect(again.line).toContain(`gateway token: state file ${tokenFile}`);
    expect((await fetch(`${again.url}/health`, { headers: { 'x-gateway-token': token } })).status).toBe(200);
    again.child.kill('SIGINT');
    expect((await again.exit).code).toBe(0);
  });

  it('takes the token from --gateway-token or PATHHELM_GATEWAY_TOKEN', async () => {
    const flagToken = 'flag-token-for-e2e-0123456789';
    const b = await start(['--port', '0', '--db', join(dir, 'flag', 'ph.db'), '--gateway-token', flagToken]);
    expect(b.line).toContain('gateway token: from flag/config');
    expect((await fetch(`${b.url}/health`, { headers: { 'x-gateway-token': flagToken } })).status).toBe(200);
    b.child.kill('SIGTERM');
    await b.exit;

    const envToken = 'env-token-for-e2e-0123456789';
    const e = await start(['--port', '0', '--db', join(dir, 'env', 'ph.db')], { PATHHELM_GATEWAY_TOKEN: envToken });
    expect(e.line).toContain('gateway token: env PATHHELM_GATEWAY_TOKEN');
    expect((await fetch(`${e.url}/health`, { headers: { 'x-gateway-token': envToken } })).status).toBe(200);
    e.child.kill('SIGTERM');
    await e.exit;
  });

  it('exits non-zero with one clear line when the port is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const child = spawn(process.execPath, [BIN, 'backend', '--port', String(port), '--db', join(dir, 'busy', 'ph.db')], { cwd: dir });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      expect({ code, lines: err.trim().split('\n') }).toEqual({
        code: 3,
        lines: [`pathhelm: port ${port} on 127.0.0.1 is already in use; stop the other process or pass another --port [PH_ERR_PORT_IN_USE]`],
      });
    } finally {
      blocker.close();
    }
  });

  it('rejects a bad --port as a usage error', async () => {
    const child = spawn(process.execPath, [BIN, 'backend', '--port', 'http', '--db', join(dir, 'x', 'ph.db')], { cwd: dir });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect({ code, err: err.trim() }).toEqual({ code: 2, err: 'pathhelm: --port must be a whole number from 0 to 65535, got "http" [PH_ERR_USAGE]' });
  });
});
