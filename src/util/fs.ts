// Owns small file-system helpers shared by every module that writes files.
//
// Example:
//   ensureDir('./.pathhelm', 0o700); // like `mkdir -p`, but never hangs on odd file systems

import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * `mkdir -p` that creates one level at a time. Node's `mkdirSync(p, { recursive: true })` can
 * spin forever on some pseudo file systems (e.g. a path under /proc); this walks up to the
 * nearest existing ancestor and creates each missing level with a plain mkdir, so a bad path
 * fails fast with ENOENT/EACCES/ENOTDIR.
 */
export function ensureDir(path: string, mode?: number): void {
  const target = resolve(path);
  const missing: string[] = [];
  let dir = target;
  for (;;) {
    try {
      const st = statSync(dir);
      if (!st.isDirectory()) {
        const err = new Error(`${dir} exists and is not a directory`) as NodeJS.ErrnoException;
        err.code = 'ENOTDIR';
        throw err;
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      missing.push(dir);
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    try {
      mkdirSync(missing[i], mode === undefined ? undefined : { mode });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}
