// Unit tests for src/config/state.ts: state directory and the gateway token (generated once, reused, env, modes).
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { describeGatewayToken, gatewayTokenFile, resolveGatewayToken, stateDir } from '../../../src/config/state.js';
import { validateConfig } from '../../../src/config/validate.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ph-state-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const cfg = (extra: Record<string, unknown> = {}) => validateConfig({ db: join(dir, 'state', 'ph.db'), ...extra }, 'test');
const posix = process.platform !== 'win32';

describe('stateDir', () => {
  it('is the directory of the db', () => {
    expect(stateDir(cfg())).toBe(join(dir, 'state'));
    expect(stateDir({ db: 'rel/x.db' })).toBe(resolve('rel'));
    expect(stateDir({ db: ':memory:' })).toBe(resolve('.pathhelm'));
    expect(gatewayTokenFile(cfg())).toBe(join(dir, 'state', 'gateway-token'));
  });
});

describe('resolveGatewayToken', () => {
  it('generates a 256-bit base64url token once, then reuses it', () => {
    const first = resolveGatewayToken(cfg(), {});
    expect(first.source).toBe('generated');
    expect(first.file).toBe(join(dir, 'state', 'gateway-token'));
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(first.token, 'base64url')).toHaveLength(32);
    const second = resolveGatewayToken(cfg(), {});
    expect(second).toEqual({ token: first.token, source: 'state-file', file: first.file });
    expect(readFileSync(first.file!, 'utf8').trim()).toBe(first.token);
    // no temp files left behind
    expect(readdirSync(join(dir, 'state'))).toEqual(['gateway-token']);
  });

  it('gives different installations different tokens', () => {
    const a = resolveGatewayToken(cfg(), {}).token;
    const b = resolveGatewayToken(validateConfig({ db: join(dir, 'other', 'x.db') }, 't'), {}).token;
    expect(a).not.toBe(b);
  });

  it.runIf(posix)('writes the file 0600 in a 0700 directory', () => {
    const { file } = resolveGatewayToken(cfg(), {});
    expect(statSync(file!).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'state')).mode & 0o777).toBe(0o700);
  });

  it('env PATHHELM_GATEWAY_TOKEN wins over the state file and creates nothing', () => {
    const token = 'env-provided-token-0123456789';
    expect(resolveGatewayToken(cfg(), { PATHHELM_GATEWAY_TOKEN: token })).toEqual({ token, source: 'env' });
    expect(() => statSync(join(dir, 'state'))).toThrow();
  });

  it('an explicit config/flag token wins over env', () => {
    const c = cfg({ gatewayToken: 'config-token-0123456789' });
    expect(resolveGatewayToken(c, { PATHHELM_GATEWAY_TOKEN: 'env-provided-token-0123456789' })).toEqual({
      token: 'config-token-0123456789',
      source: 'flag/config',
    });
  });

  it('reports env as the source when loadConfig took the token from the environment', async () => {
    const c = await loadConfig({ cwd: dir, env: { PATHHELM_GATEWAY_TOKEN: 'env-provided-token-0123456789' } });
    expect(resolveGatewayToken(c, {})).toEqual({ token: 'env-provided-token-0123456789', source: 'env' });
  });

  it('rejects a weak env token, naming the variable', () => {
    expect(() => resolveGatewayToken(cfg(), { PATHHELM_GATEWAY_TOKEN: 'weak' })).toThrow(
      /^environment variable PATHHELM_GATEWAY_TOKEN must be at least 16 characters long/,
    );
  });

  it('accepts a token file written by hand (trailing newline) and rejects an unusable one', () => {
    mkdirSync(join(dir, 'state'), { mode: 0o700 });
    const file = join(dir, 'state', 'gateway-token');
    writeFileSync(file, 'my-own-token-0123456789\n', { mode: 0o600 });
    expect(resolveGatewayToken(cfg(), {})).toMatchObject({ token: 'my-own-token-0123456789', source: 'state-file' });
    writeFileSync(file, 'short\n', { mode: 0o600 });
    expect(() => resolveGatewayToken(cfg(), {})).toThrow(/the gateway token in .*gateway-token must be at least 16 characters long.*delete the file/);
  });

  it.runIf(posix)('refuses a token file other users can read, with the chmod fix', () => {
    const { file } = resolveGatewayToken(cfg(), {});
    chmodSync(file!, 0o644);
    expect(() => resolveGatewayToken(cfg(), {})).toThrow(`is readable by other users (mode 0644); run \`chmod 600 ${file}\``);
  });

  // Skipped as root (CI here runs as root): root writes into a 0500 directory, so there is no error to explain.
  it.runIf(posix && process.getuid?.() !== 0)('explains an unwritable state directory', () => {
    mkdirSync(join(dir, 'ro'), { mode: 0o500 });
    const c = validateConfig({ db: join(dir, 'ro', 'sub', 'x.db') }, 't');
    expect(() => resolveGatewayToken(c, {})).toThrow(/cannot create the state directory .* choose a writable --db or set PATHHELM_GATEWAY_TOKEN/);
  });

  it('describeGatewayToken says where the token will come from without creating it', () => {
    expect(describeGatewayToken(cfg(), {})).toBe(`state file ${join(dir, 'state', 'gateway-token')} (generated on first start)`);
    expect(() => statSync(join(dir, 'state'))).toThrow();
    resolveGatewayToken(cfg(), {});
    expect(describeGatewayToken(cfg(), {})).toBe(`state file ${join(dir, 'state', 'gateway-token')}`);
    expect(describeGatewayToken(cfg(), { PATHHELM_GATEWAY_TOKEN: 'x'.repeat(20) })).toBe('environment variable PATHHELM_GATEWAY_TOKEN');
    expect(describeGatewayToken(cfg({ gatewayToken: 'y'.repeat(20) }), {})).toBe('configuration (flag or config file)');
  });
});
