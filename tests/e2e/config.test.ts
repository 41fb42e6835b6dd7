// End to end: `pathhelm config` from the built binary with a temp config file, a bad one, and none.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/pathhelm.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ph-e2e-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], cwd = dir, env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [BIN, 'config', ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, PATHHELM_GATEWAY_TOKEN: '', PATHHELM_ADMIN_TOKEN: '', ...env },
  });
}

/** Parses --json output; on failure the assertion shows what the binary printed on stderr. */
function json(r: ReturnType<typeof run>) {
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('pathhelm config', () => {
  it('--json prints the effective config from the file found in cwd, secrets masked', () => {
    writeFileSync(
      join(dir, 'pathhelm.config.yaml'),
      'port: 8088\nupstream: http://127.0.0.1:9100\ngatewayToken: very-secret-gateway-token-123\nrateLimit:\n  ip: ["10/1s"]\n',
    );
    const r = run(['--json']);
    const out = json(r);
    expect(out.source).toBe(join(dir, 'pathhelm.config.yaml'));
    expect(out.gatewayToken).toBe('configuration (flag or config file)');
    expect(out.config.port).toBe(8088);
    expect(out.config.upstream).toBe('http://127.0.0.1:9100');
    expect(out.config.gatewayToken).toBe('<set>');
    expect(out.config.admin.token).toBeNull();
    expect(out.config.rateLimit.ip).toEqual([{ limit: 10, windowMs: 1000 }]);
    expect(out.config.limits.upstreamTimeoutMs).toBe(30_000);
    expect(r.stdout).not.toContain('very-secret');
  });

  it('prints YAML with the source by default', () => {
    writeFileSync(join(dir, 'other.yml'), 'mode: monitor\nadmin:\n  token: admin-secret-token-123456\n');
    const r = run(['--config', 'other.yml']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`# source: ${join(dir, 'other.yml')}`);
    expect(r.stdout).toMatch(/^mode: monitor$/m);
    expect(r.stdout).toMatch(/^ {2}token: "<set>"$/m);
    expect(r.stdout).not.toContain('admin-secret');
  });

  it('shows the env token as set and where it comes from', () => {
    const r = run(['--json', '--config', 'other.yml'], dir, { PATHHELM_GATEWAY_TOKEN: 'env-secret-token-123456789' });
    const out = json(r);
    expect(out.config.gatewayToken).toBe('<set>');
    expect(out.gatewayToken).toBe('environment variable PATHHELM_GATEWAY_TOKEN');
    expect(r.stdout).not.toContain('env-secret');
  });

  it('falls back to the embedded defaults when no file is found', () => {
    const empty = mkdtempSync(join(tmpdir(), 'ph-e2e-config-empty-'));
    try {
      const out = json(run(['--json'], empty));
      expect(out.source).toBeNull();
      expect(out.config.port).toBe(8000);
      expect(out.config.db).toBe(join(empty, '.pathhelm', 'pathhelm.db'));
      expect(out.gatewayToken).toMatch(/generated on first start/);
      expect(run([], empty).stdout).toContain('# source: no config file found');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('exits 2 with a message naming the key and the fix for a bad config', () => {
    writeFileSync(join(dir, 'bad.yaml'), 'rateLimit:\n  ip:\n    - { limit: 5, windowMs: -5 }\n');
    const r = run(['--config', 'bad.yaml', '--json']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe('pathhelm: bad.yaml: rateLimit.ip[0].windowMs must be > 0 ms, got -5 [PH_ERR_CONFIG]');
  });

  it('suggests the key for a typo', () => {
    writeFileSync(join(dir, 'typo.json'), '{ "upstraem": "http://127.0.0.1:9000" }');
    const r = run(['--config', 'typo.json']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('typo.json: upstraem is not a known key; did you mean upstream?');
  });

  it('exits 2 when --config names a missing file', () => {
    const r = run(['--config', 'missing.yaml']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/config file missing\.yaml does not exist/);
  });
});
