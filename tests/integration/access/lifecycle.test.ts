// Integration: key lifecycle through the CLI (`node bin/pathhelm.js keys ...`) against a running
// gateway on the same SQLite file — added, revoked and rotated keys are seen within one second.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, get, startEnv, within, type Env } from './harness.js';

describe('keys CLI against a running gateway', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv({ rateLimit: { enabled: false, ip: [], key: [], maxClients: 100 } });
  });
  afterAll(async () => env?.close());

  const status = async (key: string) => (await get(env.gw.url, '/api/x', { 'x-api-key': key })).status;

  it('add → accepted within 1 s; rotate → both work during grace; revoke → refused within 1 s', async () => {
    const add = cli(['keys', 'add', 'ci-bot', '--json', '--db', env.dbFile]);
    expect(add.status, add.stderr).toBe(0);
    const added = JSON.parse(add.stdout) as { id: string; name: string; key: string };
    expect(added.name).toBe('ci-bot');
    expect(await within(1000, async () => (await status(added.key)) === 200)).toBeLessThanOrEqual(1000);

    const rot = cli(['keys', 'rotate', added.id, '--grace', '1h', '--json', '--db', env.dbFile]);
    expect(rot.status, rot.stderr).toBe(0);
    const rotated = JSON.parse(rot.stdout) as { key: string; status: string };
    expect(rotated.status).toBe('rotating');
    expect(rotated.key).not.toBe(added.key);
    await within(1000, async () => (await status(rotated.key)) === 200);
    expect(await status(added.key)).toBe(200); // old secret still valid in the grace period

    const rot0 = cli(['keys', 'rotate', added.id, '--grace', '0', '--json', '--db', env.dbFile]);
    expect(rot0.status, rot0.stderr).toBe(0);
    const third = JSON.parse(rot0.stdout) as { key: string };
    await within(1000, async () => (await status(rotated.key)) === 401);
    expect(await status(third.key)).toBe(200);
    expect(await status(added.key)).toBe(401); // only one previous secret is kept

    const rev = cli(['keys', 'revoke', added.id, '--db', env.dbFile]);
    expect(rev.status, rev.stderr).toBe(0);
    expect(await within(1000, async () => (await status(third.key)) === 401)).toBeLessThanOrEqual(1000);
    const r = await get(env.gw.url, '/api/x', { 'x-api-key': third.key });
    expect(JSON.parse(r.body).reason ?? r.body).toContain('auth_revoked');

    const list = cli(['keys', 'list', '--json', '--db', env.dbFile]);
    const keys = JSON.parse(list.stdout) as Array<{ id: string; status: string }>;
    expect(keys.find((k) => k.id === added.id)?.status).toBe('revoked');
    expect(list.stdout).not.toContain(third.key.slice(13));
  });
});
