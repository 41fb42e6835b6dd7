// Owns the admin API for bans (mounted by src/admin/admin.ts under the admin prefix):
//   GET    /_pathhelm/bans[?all=1]            standing bans (or the whole history), newest first
//   DELETE /_pathhelm/bans/CLIENT             lift CLIENT's standing ban (URL-encode the id)
//   POST   /_pathhelm/bans/CLIENT/lift        same, for clients that cannot send DELETE
//   GET    /_pathhelm/behaviour               the live model (path, thresholds, reloads, refusals), tracked
//                                             clients, scored/flagged/blocked counters, standing bans
// A lift is written to SQLite; the gateway's ban poller applies it within ~0.5 s (the same path as the CLI).
//
// Example:
//   $ curl -s 127.0.0.1:8000/_pathhelm/bans
//   $ curl -s -X DELETE 127.0.0.1:8000/_pathhelm/bans/127.0.0.9

import type { IncomingMessage, ServerResponse } from 'node:http';
import { liftBan, listBans } from '../policy/bans-store.js';
import { behaviourStatus } from './runtime.js';
import type { Db } from '../telemetry/db.js';

type SendJson = (res: ServerResponse, status: number, value: unknown) => void;
type Fail = (res: ServerResponse, status: number, error: string, message: string) => void;

function view(b: ReturnType<typeof listBans>[number], now: number) {
  let detail: unknown = null;
  if (b.detail) {
    try {
      detail = JSON.parse(b.detail);
    } catch {
      detail = b.detail;
    }
  }
  const state = b.lifted !== null ? 'lifted' : b.expires <= now ? 'expired' : 'active';
  return {
    clientId: b.clientId,
    reason: b.reason,
    offences: b.offences,
    created: new Date(b.created).toISOString(),
    expires: new Date(b.expires).toISOString(),
    lifted: b.lifted === null ? null : new Date(b.lifted).toISOString(),
    state,
    remainingMs: state === 'active' ? b.expires - now : 0,
    explain: detail,
  };
}

/** Handles `sub` = '/bans', '/bans/...' or '/behaviour'. Returns after answering. */
export function handleBansAdmin(db: Db, req: IncomingMessage, res: ServerResponse, sub: string, query: string, sendJson: SendJson, fail: Fail): void {
  const now = Date.now();
  const method = req.method ?? 'GET';
  if (sub === '/behaviour') {
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      fail(res, 405, 'method_not_allowed', 'GET only');
      return;
    }
    sendJson(res, 200, behaviourStatus(db, now) ?? { model: null, note: 'no behaviour engine runs with this gateway' });
    return;
  }
  if (sub === '/bans' || sub === '/bans/') {
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      fail(res, 405, 'method_not_allowed', 'GET lists bans; lift one with DELETE /bans/CLIENT or POST /bans/CLIENT/lift');
      return;
    }
    const all = new URLSearchParams(query).get('all');
    const bans = listBans(db, now, { all: all === '1' || all === 'true' });
    sendJson(res, 200, { bans: bans.map((b) => view(b, now)) });
    return;
  }
  let rest = sub.slice('/bans/'.length);
  const viaPost = method === 'POST' && rest.endsWith('/lift');
  if (viaPost) rest = rest.slice(0, -'/lift'.length);
  if (!(method === 'DELETE' || viaPost) || rest === '' || rest.includes('/')) {
    res.setHeader('allow', 'DELETE, POST');
    fail(res, 405, 'method_not_allowed', 'lift a ban with DELETE /bans/CLIENT or POST /bans/CLIENT/lift');
    return;
  }
  let client: string;
  try {
    client = decodeURIComponent(rest);
  } catch {
    fail(res, 400, 'bad_request', 'the client id is not valid URL encoding');
    return;
  }
  const n = db.transaction(() => liftBan(db, client, now)).immediate();
  if (n === 0) {
    fail(res, 404, 'not_found', `no standing ban for ${JSON.stringify(client)}`);
    return;
  }
  sendJson(res, 200, { lifted: client, bans: n, appliesWithinMs: 1000 });
}
