// ensureDir: mkdir -p that fails fast (regression: Node's recursive mkdir spins forever under /proc).
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../../src/telemetry/db.js';
import { ensureDir } from '../../../src/util/fs.js';

describe('ensureDir', () => {
  it('creates every missing level with the given mode', () => {
    const root = mkdtempSync(join(tmpdir(), 'ph-fs-'));
    const deep = join(root, 'a', 'b', 'c');
    ensureDir(deep, 0o700);
    expect(statSync(deep).isDirectory()).toBe(true);
    expect(statSync(join(root, 'a')).mode & 0o777).toBe(0o700);
    ensureDir(deep); // idempotent
  });

  it('refuses a path under a regular file', () => {
    const root = mkdtempSync(join(tmpdir(), 'ph-fs-'));
    writeFileSync(join(root, 'file'), 'x');
    expect(() => ensureDir(join(root, 'file', 'sub'))).toThrow(/not a directory/);
  });

  it.skipIf(process.platform !== 'linux')('fails fast under /proc instead of hanging', () => {
    expect(() => ensureDir('/proc/pathhelm-nope/dir')).toThrow();
    expect(() => openDb('/proc/pathhelm-nope/x.db')).toThrow(/cannot open the database/);
  });
});
