// End to end: the built `pathhelm` binary starts, lists its commands and maps bad usage to exit codes.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/pathhelm.js', import.meta.url));

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000 });
}

describe('pathhelm binary', () => {
  it('prints its version', () => {
    const r = run(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('lists the main commands in --help', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    for (const cmd of ['serve', 'keys', 'dataset', 'train', 'top']) expect(r.stdout).toContain(cmd);
  });

  it('exits non-zero with a message on an unknown command', () => {
    const r = run(['no-such-command']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown command/i);
  });
});
