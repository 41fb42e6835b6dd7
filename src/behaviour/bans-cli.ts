// Owns the core of `pathhelm bans`: listing and lifting bans in the SQLite file a running (or stopped) `serve`
// uses. A running gateway picks up a lift within about a second (it polls the bans change marker).
//
// Example:
//   listBansInDb('.pathhelm/pathhelm.db', { all: false });   // standing bans, newest first
//   liftBanInDb('.pathhelm/pathhelm.db', '127.0.0.9');        // 1 (throws PH_ERR_NOT_FOUND when not banned)

import { PathHelmError } from '../errors.js';
import type { Ban } from '../policy/bans.js';
import { liftBan, listBans } from '../policy/bans-store.js';
import { openDb } from '../telemetry/db.js';

export function listBansInDb(db: string, opts: { all?: boolean; now?: number } = {}): Ban[] {
  const handle = openDb(db);
  try {
    return listBans(handle, opts.now ?? Date.now(), { all: opts.all });
  } finally {
    handle.close();
  }
}

export function liftBanInDb(db: string, clientId: string, now = Date.now()): number {
  const handle = openDb(db);
  try {
    const n = handle.transaction(() => liftBan(handle, clientId, now)).immediate();
    if (n === 0) throw new PathHelmError('PH_ERR_NOT_FOUND', `no standing ban for "${clientId}" in ${db} (see \`pathhelm bans list\`)`);
    return n;
  } finally {
    handle.close();
  }
}

/** Human-readable duration, e.g. 4m 59s. */
export function formatRemaining(ms: number): string {
  if (ms <= 0) return '0s';
  const s = Math.ceil(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${sec}s` : `${sec}s`;
}

/** Table rows for `bans list` (header first). */
export function banTable(bans: Ban[], now: number): string[][] {
  const rows = [['CLIENT', 'REASON', 'OFFENCE', 'BANNED AT', 'REMAINING', 'STATE', 'WHY']];
  for (const b of bans) {
    let why = '';
    if (b.detail) {
      try {
        why = (JSON.parse(b.detail) as Array<{ feature: string }>).map((e) => e.feature).join(', ');
      } catch {
        why = '';
      }
    }
    const state = b.lifted !== null ? 'lifted' : b.expires <= now ? 'expired' : 'active';
    rows.push([b.clientId, b.reason, String(b.offences), new Date(b.created).toISOString(), state === 'active' ? formatRemaining(b.expires - now) : '-', state, why]);
  }
  return rows;
}

/** Pads columns to a plain-text table. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd()).join('\n') + '\n';
}
