// Owns GET /_pathhelm/recent: decision rows after a rowid, for `pathhelm top --url` (incremental polling
// of a running gateway without access to its SQLite file).
//
// Example:
//   $ curl -s '127.0.0.1:8000/_pathhelm/recent?after=1200&limit=500'   # rows with id > 1200, oldest first
//   $ curl -s '127.0.0.1:8000/_pathhelm/recent?tail=1&limit=50'        # the newest 50 rows
//   // → { "lastId": 1700, "rows": [ { "id": 1201, "ts": ..., "decision": "ALLOW", ... } ] }

import { PathHelmError } from '../errors.js';
import type { Db } from '../telemetry/db.js';
import { decisionsAfter, lastDecisions, latestId, type FeedRow } from '../telemetry/queries.js';

/** Most rows one call returns (a rowid range read: a few ms). */
export const RECENT_MAX = 5000;

export interface RecentResponse {
  /** Highest rowid in the log when read: poll again with after=lastId (or the last row's id). */
  lastId: number;
  rows: FeedRow[];
}

function intParam(params: URLSearchParams, name: string, def: number, min: number, max: number): number {
  const text = params.get(name);
  if (text === null || text === '') return def;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new PathHelmError('PH_ERR_BAD_REQUEST', `${name} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return n;
}

/** Reads the rows for one /recent request. Throws PH_ERR_BAD_REQUEST on bad parameters. */
export function recentDecisions(db: Db, params: URLSearchParams): RecentResponse {
  const limit = intParam(params, 'limit', 500, 1, RECENT_MAX);
  const tail = params.get('tail') === '1' || params.get('tail') === 'true';
  const after = intParam(params, 'after', 0, 0, Number.MAX_SAFE_INTEGER);
  return db.transaction(() => {
    const last = latestId(db);
    const rows = tail ? lastDecisions(db, limit, last) : decisionsAfter(db, after, limit);
    return { lastId: last, rows };
  })();
}
