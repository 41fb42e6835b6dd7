// End to end: ids that `serve` minted (logged with rid_by_ts = 1, outside the request-id index) and ids a client
// sent are all found by `pathhelm trace` on the log serve wrote.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../../src/gateway/request-id.js';
import { openDb } from '../../src/telemetry/db.js';
import { BIN, Procs, startServe } from './spawn.js';

let dir: string;
let backend: Server;
let backendUrl: string;
const procs = new Procs();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ph-e2e-trace-served-'));
  backend = createServer((_req, res) => res.end('{"ok":true}'));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
});
afterAll(async () => {
  procs.killAll();
  backend?.closeAllConnections();
  await new Promise((r) => backend?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('pathhelm trace on a log written by serve', () => {
  it('finds minted ids, client ids and client UUIDv7s of another ms', async () => {
    const db = join(dir, 'log.db');
    writeFileSync(join(dir, 'plain.json'), JSON.stringify({ auth: { required: false }, rateLimit: { enabled: false }, behaviour: { enabled: false } }));
    const { child, url } = await startServe(
      ['--port', '0', '--upstream', backendUrl, '--db', db, '--gateway-token', 'e2e-token-abcdefghijklmnop', '--config', join(dir, 'plain.json'), '--no-model'],
      { cwd: dir, procs, env: { ...process.env, PATHHELM_GATEWAY_TOKEN: '' }, readyTimeoutMs: 15_000 },
    );
    const sent: Array<[string, string]> = []; // [request id, path]
    for (let i = 0; i < 6; i++) {
      const r = await fetch(`${url}/api/minted/${i}`);
      expect(r.status).toBe(200);
      sent.push([r.headers.get('x-request-id')!, `/api/minted/${i}`]);
    }
    const clientUuid = uuidv7(Date.now() - 60_000);
    for (const [id, path] of [['client-1', '/api/client'], [clientUuid, '/api/client-uuid']]) {
      const r = await fetch(`${url}${path}`, { headers: { 'x-request-id': id } });
      expect(r.headers.get('x-request-id')).toBe(id);
      sent.push([id, path]);
    }
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const d = openDb(db, { readonly: true });
    const flags = d.prepare('SELECT request_id AS rid, rid_by_ts AS f FROM decisions ORDER BY id').all() as Array<{ rid: string; f: number | null }>;
    d.close();
    expect(flags.map((r) => [r.rid, r.f])).toEqual(sent.map(([id], i) => [id, i < 6 ? 1 : null]));

    for (const [id, path] of sent) {
      const r = spawnSync(process.execPath, [BIN, 'trace', id, '--db', db, '--json'], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status, r.stderr).toBe(0);
      const t = JSON.parse(r.stdout) as { decisions: Array<{ requestId: string; path: string }> };
      expect(t.decisions.map((x) => [x.requestId, x.path])).toEqual([[id, path]]);
    }
  });
});
