// End to end: `pathhelm top` in a real pseudo-terminal (tmux) against a decision log this test writes
// while top runs: rows appear, `p` freezes the feed, `/` + text + enter filters, `q` exits 0.
// Also the non-TTY snapshot, --json, and a clear error for a missing db.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { insertDecisions, tempDb } from '../unit/tui/fixtures.js';

const BIN = fileURLToPath(new URL('../../bin/pathhelm.js', import.meta.url));
const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, ...env } });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(fn: () => T | undefined | false, timeoutMs = 8000, what = 'condition', show?: () => string): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined | false;
  while (Date.now() < end) {
    last = fn();
    if (last) return last;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${show ? `; screen:\n${show()}` : ''}`);
}

describe('pathhelm top without a TTY', () => {
  it('prints one plain snapshot and exits 0', () => {
    const { db, file } = tempDb();
    insertDecisions(db, [
      { clientIp: '198.51.100.7', decision: 'BLOCK', reason: 'denylist', status: 403 },
      { clientIp: '198.51.100.8', path: '/api/orders' },
    ]);
    const r = run(['top', '--db', file], { NO_COLOR: '' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('PathHelm top');
    expect(r.stdout).toContain('198.51.100.7');
    expect(r.stdout).toContain('denylist');
    expect(r.stdout).toMatch(/BLOCK\s+1\b/);
    expect(r.stdout).not.toContain('\x1b['); // plain text, no escapes
  });

  it('prints --json with totals, clients and recent rows', () => {
    const { db, file } = tempDb();
    insertDecisions(db, [
      { clientIp: '198.51.100.7', decision: 'THROTTLE', reason: 'rate_limit_ip', status: 429 },
      { clientIp: '198.51.100.7' },
      { clientIp: '198.51.100.9' },
    ]);
    const r = run(['top', '--db', file, '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.total).toBe(3);
    expect(j.byDecision).toEqual({ ALLOW: 2, THROTTLE: 1, BLOCK: 0 });
    expect(j.topClients[0]).toMatchObject({ clientIp: '198.51.100.7', requests: 2, throttled: 1 });
    expect(j.recent).toHaveLength(3);
  });

  it('fails clearly when the db does not exist', () => {
    const r = run(['top', '--db', join(tempDb().dir, 'nope.db')]);
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/no decision log at .*nope\.db.*PH_ERR_DB/);
  });
});

describe.skipIf(!HAS_TMUX)('pathhelm top in a pseudo-terminal (tmux)', () => {
  const session = `phtop-${process.pid}`;
  // A private tmux server (own socket): no interference from other tmux servers or test runs.
  const SOCK = ['-L', `pathhelm-test-${process.pid}`];
  afterAll(() => {
    spawnSync('tmux', [...SOCK, 'kill-server']);
  });

  it('shows rows as they are written, pauses, filters and quits with 0', async () => {
    const { db, file, dir } = tempDb();
    insertDecisions(db, [{ clientIp: '10.1.1.1', path: '/api/first' }]);
    const exitFile = join(dir, 'exit-code');
    const script = join(dir, 'run.sh');
    writeFileSync(
      script,
      `#!/bin/sh\nNO_COLOR=1 '${process.execPath}' '${BIN}' top --db '${file}' --interval 200\necho $? > '${exitFile}'\nsleep 60\n`,
    );
    const started = spawnSync('tmux', [...SOCK, 'new-session', '-d', '-s', session, '-x', '100', '-y', '30', `sh '${script}'`]);
    expect(started.status).toBe(0);
    const screen = () => spawnSync('tmux', [...SOCK, 'capture-pane', '-p', '-t', session], { encoding: 'utf8' }).stdout;
    const keys = (...k: string[]) => spawnSync('tmux', [...SOCK, 'send-keys', '-t', session, ...k]);

    await until(() => screen().includes('/api/first'), 30_000, 'the first row', screen); // node + Ink start-up is slow on a busy CI box
    // a row written while top runs appears
    insertDecisions(db, [{ clientIp: '10.2.2.2', path: '/api/live-one', decision: 'BLOCK', reason: 'denylist', status: 403 }]);
    await until(() => screen().includes('/api/live-one'), 10_000, 'a live row');
    expect(screen()).toMatch(/10\.2\.2\.2/);

    // pause: new rows do not show up until resumed
    keys('p');
    await until(() => screen().includes('PAUSED'), 10_000, 'PAUSED');
    insertDecisions(db, [{ clientIp: '10.3.3.3', path: '/api/while-paused' }]);
    await sleep(1000);
    expect(screen()).not.toContain('/api/while-paused');
    keys('p');
    await until(() => screen().includes('/api/while-paused'), 10_000, 'the row written while paused, after resume');

    // filter by path: only matching rows remain in the feed
    keys('/');
    await until(() => screen().includes('enter apply'), 10_000, 'the filter prompt');
    keys('l', 'i', 'v', 'e', '-', 'o', 'n', 'e');
    keys('Enter');
    await until(() => screen().includes('filter: live-one'), 10_000, 'the filter to apply');
    const filtered = screen();
    const feed = filtered.slice(filtered.indexOf('FEED'));
    expect(feed).toContain('/api/live-one');
    expect(feed).not.toContain('/api/first');
    expect(feed).not.toContain('/api/while-paused');

    // follows a resize down to 80x24: the frame re-lays out to fit (no wrapped rows)
    spawnSync('tmux', [...SOCK, 'resize-window', '-t', session, '-x', '80', '-y', '24']);
    const small = await until(() => {
      const rows = screen().replace(/\n+$/, '').split('\n');
      const fits = rows.length <= 24 && rows.every((r) => Array.from(r).length <= 80);
      return fits && rows[0].startsWith('PathHelm top') && rows.at(-1)!.includes('q quit') && rows;
    }, 10_000, 'the 80x24 re-layout');
    expect(small[1]).toMatch(/^req\/s /);
    expect(small.join('\n')).toContain('FEED');

    // help and back
    keys('?');
    await until(() => screen().includes('HELP'), 10_000, 'help');
    keys('Escape');
    await until(() => screen().includes('FEED'), 10_000, 'back to main');

    keys('q');
    await until(() => existsSync(exitFile) && readFileSync(exitFile, 'utf8').trim() !== '', 10_000, 'top to exit');
    expect(readFileSync(exitFile, 'utf8').trim()).toBe('0');
  }, 60_000);
});
