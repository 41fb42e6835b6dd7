// End to end: the built `pathhelm keys` commands (add/list/revoke/rotate), output formats, exit codes,
// and `serve --demo` creating the demo key exactly once.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/pathhelm.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ph-e2e-keys-'));
const db = join(dir, 'keys.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000, cwd: dir });
}

describe('pathhelm keys', () => {
  it('add prints the key once with a warning; --json has id, name, key', () => {
    const human = run(['keys', 'add', 'mobile-app', '--rate', '50/1s', '--rate', '2000/1h', '--expires', '30d', '--db', db]);
    expect(human.status, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/phk_[0-9A-Za-z]{8}_[0-9A-Za-z]{40}/);
    expect(human.stdout).toMatch(/shown only this once/);
    expect(human.stdout).toContain('50/1s,2000/1h');
    const json = run(['keys', 'add', 'ci', '--json', '--db', db]);
    expect(json.status, json.stderr).toBe(0);
    const k = JSON.parse(json.stdout);
    expect(k).toMatchObject({ name: 'ci', status: 'active', rates: null, expiresAt: null });
    expect(k.id).toMatch(/^ph_[0-9A-Za-z]{8}$/);
    expect(k.key.startsWith(`phk_${k.id.slice(3)}_`)).toBe(true);
    expect(json.stderr).toMatch(/shown only once/);
  });

  it('list never shows a secret or hash; revoke and rotate change the status', () => {
    const added = JSON.parse(run(['keys', 'add', 'to-rotate', '--json', '--db', db]).stdout);
    const rot = run(['keys', 'rotate', added.id, '--grace', '10m', '--json', '--db', db]);
    expect(rot.status, rot.stderr).toBe(0);
    const rotated = JSON.parse(rot.stdout);
    expect(rotated.status).toBe('rotating');
    expect(rotated.key).not.toBe(added.key);
    expect(Date.parse(rotated.previousValidUntil) - Date.now()).toBeGreaterThan(9 * 60_000);
    const rev = run(['keys', 'revoke', added.id, '--db', db]);
    expect(rev.status, rev.stderr).toBe(0);
    expect(rev.stdout).toMatch(/Revoked/);
    const list = run(['keys', 'list', '--json', '--db', db]);
    const keys = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    expect(keys.map((x) => x.name)).toEqual(['mobile-app', 'ci', 'to-rotate']);
    expect(keys.find((x) => x.id === added.id)?.status).toBe('revoked');
    for (const secret of [added.key, rotated.key]) expect(list.stdout).not.toContain(secret.slice(13));
    expect(list.stdout).not.toMatch(/hash/i);
    const table = run(['keys', 'list', '--db', db]);
    expect(table.stdout).toMatch(/^ID\s+NAME\s+STATUS/);
    expect(table.stdout).toMatch(/revoked/);
  });

  it('maps errors to exit codes', () => {
    const missing = run(['keys', 'revoke', 'ph_00000000', '--db', db]);
    expect(missing.status).toBe(7);
    expect(missing.stderr).toMatch(/PH_ERR_KEY_NOT_FOUND/);
    const badRate = run(['keys', 'add', 'x', '--rate', 'fast', '--db', db]);
    expect(badRate.status).toBe(2);
    expect(badRate.stderr).toMatch(/--rate/);
    const badExp = run(['keys', 'add', 'x', '--expires', 'soon', '--db', db]);
    expect(badExp.status).toBe(2);
  });
});

function serveDemoOnce(dbFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--demo', '--port', '0', '--db', dbFile, '--no-model'], { cwd: dir });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve --demo did not print its help: ${out}`));
    }, 15_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('/_pathhelm/analytics')) {
        clearTimeout(timer);
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', () => resolve(out));
  });
}

describe('pathhelm serve --demo', () => {
  it('creates a demo key on the first run only', async () => {
    const demoDb = join(dir, 'demo.db');
    const first = await serveDemoOnce(demoDb);
    const key = /phk_[0-9A-Za-z]{8}_[0-9A-Za-z]{40}/.exec(first)?.[0];
    expect(key, first).toBeDefined();
    expect(first).toContain(`X-API-Key: ${key}`);
    const second = await serveDemoOnce(demoDb);
    expect(second).not.toMatch(/phk_[0-9A-Za-z]{8}_/);
    expect(second).toMatch(/created on an earlier run/);
    const list = JSON.parse(run(['keys', 'list', '--json', '--db', demoDb]).stdout) as Array<{ name: string }>;
    expect(list.filter((k) => k.name === 'demo')).toHaveLength(1);
  });
});
