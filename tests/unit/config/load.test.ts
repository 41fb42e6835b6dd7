// Unit tests for src/config/load.ts: file discovery, --config, precedence, env, path resolution, masking.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSource, loadConfig, MASK, maskSecrets, SEARCH_PLACES, secretSource } from '../../../src/config/load.js';
import { DEFAULT_CONFIG } from '../../../src/config/types.js';
import { validateConfig } from '../../../src/config/validate.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ph-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, text: string) => writeFileSync(join(dir, name), text);

const FILES: Record<string, string> = {
  'pathhelm.config.json': '{ "port": 8101 }',
  'pathhelm.config.yaml': 'port: 8101\n',
  'pathhelm.config.yml': 'port: 8101\n',
  'pathhelm.config.js': 'export default { port: 8101 };\n',
  'pathhelm.config.mjs': 'export default { port: 8101 };\n',
  'pathhelm.config.cjs': 'module.exports = { port: 8101 };\n',
  '.pathhelmrc': 'port: 8101\n',
  '.pathhelmrc.json': '{ "port": 8101 }',
  '.pathhelmrc.yaml': 'port: 8101\n',
  '.pathhelmrc.yml': 'port: 8101\n',
  '.pathhelmrc.js': 'export default { port: 8101 };\n',
  '.pathhelmrc.mjs': 'export default { port: 8101 };\n',
  '.pathhelmrc.cjs': 'module.exports = { port: 8101 };\n',
  'package.json': '{ "name": "app", "type": "module", "pathhelm": { "port": 8101 } }',
};

describe('finding the config file', () => {
  it('covers every search place', () => {
    expect(Object.keys(FILES).sort()).toEqual([...SEARCH_PLACES].sort());
  });

  it.each(Object.keys(FILES))('finds %s in cwd', async (name) => {
    // .js files need "type": "module" to be ESM; cosmiconfig loads them through import()
    if (name.endsWith('.js')) write('package.json', '{ "name": "app", "type": "module" }');
    write(name, FILES[name]);
    const c = await loadConfig({ cwd: dir, env: {} });
    expect(c.port).toBe(8101);
    expect(configSource(c)).toBe(join(dir, name));
  });

  it('ignores a package.json without a "pathhelm" key and uses the defaults', async () => {
    write('package.json', '{ "name": "app" }');
    const c = await loadConfig({ cwd: dir, env: {} });
    expect(configSource(c)).toBeNull();
    expect(c.port).toBe(DEFAULT_CONFIG.port);
    expect(c.db).toBe(join(dir, '.pathhelm/pathhelm.db'));
  });

  it('prefers pathhelm.config.* over .pathhelmrc* over package.json', async () => {
    write('package.json', '{ "pathhelm": { "port": 1 } }');
    write('.pathhelmrc', 'port: 2\n');
    write('pathhelm.config.yaml', 'port: 3\n');
    expect((await loadConfig({ cwd: dir, env: {} })).port).toBe(3);
  });

  it('searches the given directory only, not its parents', async () => {
    write('pathhelm.config.yaml', 'port: 3\n');
    mkdirSync(join(dir, 'sub'));
    const c = await loadConfig({ cwd: join(dir, 'sub'), env: {} });
    expect(configSource(c)).toBeNull();
  });

  it('--config loads exactly that file, whatever its name', async () => {
    write('pathhelm.config.yaml', 'port: 3\n');
    write('prod.yaml', 'port: 4\n');
    const c = await loadConfig({ cwd: dir, configFile: 'prod.yaml', env: {} });
    expect(c.port).toBe(4);
    expect(configSource(c)).toBe(join(dir, 'prod.yaml'));
  });

  it('--config with a missing file is a clear error', async () => {
    await expect(loadConfig({ cwd: dir, configFile: 'nope.yaml', env: {} })).rejects.toMatchObject({
      code: 'PH_ERR_CONFIG',
      message: expect.stringMatching(/^config file nope\.yaml does not exist \(resolved to .*nope\.yaml\); check the --config path$/),
    });
  });

  it('--config with a directory is a clear error', async () => {
    await expect(loadConfig({ cwd: dir, configFile: '.', env: {} })).rejects.toThrow(/is a directory; pass a file/);
  });

  it('reports syntax errors with the file name', async () => {
    write('pathhelm.config.yaml', 'port: [1,\n');
    await expect(loadConfig({ cwd: dir, env: {} })).rejects.toMatchObject({
      code: 'PH_ERR_CONFIG',
      message: expect.stringMatching(/^pathhelm\.config\.yaml: cannot be read or parsed: /),
    });
    write('bad.json', '{ "port": }');
    await expect(loadConfig({ cwd: dir, configFile: 'bad.json', env: {} })).rejects.toThrow(/^bad\.json: cannot be read or parsed/);
  });

  it('names the file in validation errors', async () => {
    write('pathhelm.config.yaml', 'rateLimit:\n  ip:\n    - { limit: 5, windowMs: -5 }\n');
    await expect(loadConfig({ cwd: dir, env: {} })).rejects.toThrow('pathhelm.config.yaml: rateLimit.ip[0].windowMs must be > 0 ms, got -5');
  });

  it('explains a JS config that exports a function instead of an object', async () => {
    write('pathhelm.config.mjs', 'export default () => ({ port: 1 });\n');
    await expect(loadConfig({ cwd: dir, env: {} })).rejects.toThrow(
      'pathhelm.config.mjs: the configuration must be an object (a mapping of keys), got a function (export the configuration object itself)',
    );
  });

  it('treats an empty --config file as no settings', async () => {
    write('empty.yaml', '');
    const c = await loadConfig({ cwd: dir, configFile: 'empty.yaml', env: {} });
    expect(c.port).toBe(DEFAULT_CONFIG.port);
    expect(configSource(c)).toBe(join(dir, 'empty.yaml'));
  });
});

describe('precedence: flags > env > file > defaults', () => {
  it('flags win over the file, the file over defaults', async () => {
    write('pathhelm.config.yaml', 'port: 8200\nhost: 0.0.0.0\nlimits:\n  upstreamTimeoutMs: 5s\n');
    const c = await loadConfig({ cwd: dir, env: {}, overrides: { port: 8300, limits: { upstreamTimeoutMs: 1000 } } });
    expect(c.port).toBe(8300);
    expect(c.host).toBe('0.0.0.0');
    expect(c.limits.upstreamTimeoutMs).toBe(1000);
    expect(c.limits.headersTimeoutMs).toBe(DEFAULT_CONFIG.limits.headersTimeoutMs);
  });

  it('ignores undefined overrides (flags not given)', async () => {
    write('pathhelm.config.yaml', 'port: 8200\n');
    const c = await loadConfig({ cwd: dir, env: {}, overrides: { port: undefined, db: undefined, limits: { upstreamTimeoutMs: undefined } } });
    expect(c.port).toBe(8200);
  });

  it('validates flags too, naming them as flags', async () => {
    await expect(loadConfig({ cwd: dir, env: {}, overrides: { port: 99999 } })).rejects.toThrow(
      'command-line flags: port must be a whole number from 0 to 65535, got 99999',
    );
  });

  it('env secrets beat the file, flags beat env', async () => {
    write('pathhelm.config.yaml', 'gatewayToken: file-token-0123456789\nadmin:\n  token: file-admin-0123456789\n');
    const env = { PATHHELM_GATEWAY_TOKEN: 'env-token-0123456789', PATHHELM_ADMIN_TOKEN: 'env-admin-0123456789' };
    const fromFile = await loadConfig({ cwd: dir, env: {} });
    expect(fromFile.gatewayToken).toBe('file-token-0123456789');
    expect(secretSource(fromFile, 'gatewayToken')).toBe('file');
    const fromEnv = await loadConfig({ cwd: dir, env });
    expect(fromEnv.gatewayToken).toBe('env-token-0123456789');
    expect(fromEnv.admin.token).toBe('env-admin-0123456789');
    expect(secretSource(fromEnv, 'admin.token')).toBe('env');
    const fromFlag = await loadConfig({ cwd: dir, env, overrides: { gatewayToken: 'flag-token-0123456789' } });
    expect(fromFlag.gatewayToken).toBe('flag-token-0123456789');
    expect(secretSource(fromFlag, 'gatewayToken')).toBe('flag');
  });

  it('rejects a weak secret from the environment, naming the variable', async () => {
    await expect(loadConfig({ cwd: dir, env: { PATHHELM_ADMIN_TOKEN: 'short' } })).rejects.toThrow(
      /^environment \(PATHHELM_GATEWAY_TOKEN \/ PATHHELM_ADMIN_TOKEN\): admin\.token must be at least 16 characters/,
    );
  });

  it('ignores empty env variables', async () => {
    const c = await loadConfig({ cwd: dir, env: { PATHHELM_GATEWAY_TOKEN: '' } });
    expect(c.gatewayToken).toBeNull();
  });

  it('checks two-key rules over the merged result', async () => {
    write('pathhelm.config.yaml', 'limits:\n  requestTimeoutMs: 30s\n');
    await expect(loadConfig({ cwd: dir, env: {}, overrides: { limits: { headersTimeoutMs: 60_000 } } })).rejects.toThrow(
      /^pathhelm\.config\.yaml: limits\.headersTimeoutMs \(60000 ms\) must be <= limits\.requestTimeoutMs/,
    );
  });

  it('returns a deep-frozen config', async () => {
    const c = await loadConfig({ cwd: dir, env: {} });
    expect(Object.isFrozen(c.rateLimit.ip[0])).toBe(true);
  });
});

describe('paths', () => {
  it('resolves relative paths in a config file against its directory', async () => {
    mkdirSync(join(dir, 'etc'));
    writeFileSync(join(dir, 'etc', 'ph.yaml'), 'db: data/ph.db\nml:\n  model: models/m.json\n');
    const c = await loadConfig({ cwd: dir, configFile: 'etc/ph.yaml', env: {} });
    expect(c.db).toBe(join(dir, 'etc', 'data', 'ph.db'));
    expect(c.ml.model).toBe(join(dir, 'etc', 'models', 'm.json'));
  });

  it('resolves --db and the default db against cwd and keeps :memory:', async () => {
    expect((await loadConfig({ cwd: dir, env: {}, overrides: { db: 'x/y.db' } })).db).toBe(join(dir, 'x', 'y.db'));
    expect((await loadConfig({ cwd: dir, env: {} })).db).toBe(join(dir, '.pathhelm', 'pathhelm.db'));
    expect((await loadConfig({ cwd: dir, env: {}, overrides: { db: ':memory:' } })).db).toBe(':memory:');
  });

  it('keeps the default model path as shipped (resolved by the model loader)', async () => {
    expect((await loadConfig({ cwd: dir, env: {} })).ml.model).toBe(DEFAULT_CONFIG.ml.model);
  });
});

describe('maskSecrets', () => {
  it('replaces set secrets with "<set>", keeps null, and leaves the rest', () => {
    const c = validateConfig({ gatewayToken: 'super-secret-token-123456', admin: { token: null } }, 'x');
    const masked = maskSecrets(c) as typeof c;
    expect(masked.gatewayToken).toBe(MASK);
    expect(MASK).toBe('<set>');
    expect(masked.admin.token).toBeNull();
    expect(masked.port).toBe(c.port);
    expect(JSON.stringify(masked)).not.toContain('super-secret');
    expect(Object.isFrozen(masked)).toBe(false);
    expect(c.gatewayToken).toBe('super-secret-token-123456');
  });

  it('masks the admin token', () => {
    const masked = maskSecrets(validateConfig({ admin: { token: 'admin-secret-token-99' } }, 'x')) as { admin: { token: unknown } };
    expect(masked.admin.token).toBe('<set>');
  });
});
