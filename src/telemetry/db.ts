// Owns opening the SQLite file: directory creation, WAL, pragmas, and numbered migrations.
//
// Example:
//   const db = openDb('./.pathhelm/pathhelm.db');       // creates file + schema on first open
//   const ro = openDb(path, { readonly: true });       // for `top`, `report`, `trace`

import Database from 'better-sqlite3';
import { dirname, resolve } from 'node:path';
import { PathHelmError } from '../errors.js';
import { ensureDir } from '../util/fs.js';
import { MIGRATIONS, type Migration } from './migrations.js';

export type Db = Database.Database;

export interface OpenOptions {
  readonly?: boolean;
  /** Milliseconds to wait on a locked database before failing. */
  busyTimeoutMs?: number;
  migrations?: Migration[];
}

export function openDb(path: string, opts: OpenOptions = {}): Db {
  const file = path === ':memory:' ? path : resolve(path);
  let db: Db;
  try {
    if (!opts.readonly && file !== ':memory:') ensureDir(dirname(file));
    db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new PathHelmError('PH_ERR_DB', `cannot open the database ${file}: ${why}`, { cause: err });
  }
  try {
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      migrate(db, opts.migrations ?? MIGRATIONS);
    } else {
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version === 0) throw new Error('it has no PathHelm schema (was it written by `pathhelm serve`?)');
    }
  } catch (err) {
    db.close();
    if (err instanceof PathHelmError) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new PathHelmError('PH_ERR_DB', `cannot use the database ${file}: ${why}`, { cause: err });
  }
  return db;
}

/** Applies every migration newer than PRAGMA user_version, each in its own transaction. */
export function migrate(db: Db, migrations: Migration[] = MIGRATIONS): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.length ? migrations[migrations.length - 1].version : 0;
  if (current > latest) {
    throw new PathHelmError(
      'PH_ERR_DB',
      `the database schema is version ${current}, newer than this pathhelm understands (${latest}); upgrade pathhelm`,
    );
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return db.pragma('user_version', { simple: true }) as number;
}
