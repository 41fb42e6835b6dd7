// Owns the admin API under the reserved prefix (default /_pathhelm): health, status, analytics,
// metrics. Admin requests are answered by the gateway itself, never forwarded, and not written to
// the decision log (they are operator traffic, not API traffic).
//
// Example:
//   const admin = createAdmin({ prefix: '/_pathhelm', token: null, db, status, snapshot, telemetry });
//   admin.handle(req, res, '/status', '');      // from the gateway's request handler
//   // $ curl -s 127.0.0.1:8000/_pathhelm/status
//   // $ curl -s -H 'Authorization: Bearer T' gw:8000/_pathhelm/analytics?since=15m

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isPathHelmError } from '../errors.js';
import type { GatewayStatsSnapshot } from '../gateway/stats.js';
import { analytics, parseSince } from '../telemetry/analytics.js';
import type { Db } from '../telemetry/db.js';
import type { TelemetryStats } from '../telemetry/types.js';
import { renderMetrics } from './metrics.js';
import { handleBansAdmin } from '../behaviour/bans-admin.js';
import { recentDecisions } from './recent.js';

/** Window `/analytics` covers when the caller gives no `since`. */
const DEFAULT_ANALYTICS_WINDOW = '1h';

export interface AdminOptions {
  prefix: string;
  /** When set, every admin request needs `Authorization: Bearer <token>` (from any address). */
  token: string | null;
  db: Db;
  status: () => unknown;
  snapshot: () => GatewayStatsSnapshot;
  telemetry: () => TelemetryStats;
}

export interface Admin {
  /** `sub` is the path after the prefix ('' or '/status'); `query` the raw query string. */
  handle(req: IncomingMessage, res: ServerResponse, sub: string, query: string): void;
}

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(addr: string | undefined): boolean {
  if (!addr) return false;
  if (addr === '::1') return true;
  const v4 = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
  return v4.startsWith('127.');
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

function send(res: ServerResponse, status: number, body: string, type = 'application/json; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value, null, 2) + '\n');
}

function fail(res: ServerResponse, status: number, error: string, message: string): void {
  sendJson(res, status, { error, message });
}

export function createAdmin(opts: AdminOptions): Admin {
  const tokenDigest = opts.token ? digest(opts.token) : null;

  function authorized(req: IncomingMessage, res: ServerResponse): boolean {
    if (tokenDigest === null) {
      // Loopback only, and not relayed: behind a reverse proxy on the same host every request comes
      // from 127.0.0.1, so a request that carries X-Forwarded-For / Forwarded is not a local operator.
      const relayed = req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined;
      if (!relayed && isLoopback(req.socket.remoteAddress)) return true;
      fail(res, 403, 'admin_forbidden', 'the admin API answers local (loopback, not proxied) clients only; set admin.token to allow remote access');
      return false;
    }
    const auth = req.headers.authorization;
    const m = typeof auth === 'string' ? /^Bearer\s+(.+)$/i.exec(auth.trim()) : null;
    if (m && timingSafeEqual(digest(m[1]), tokenDigest)) return true;
    res.setHeader('www-authenticate', 'Bearer realm="pathhelm-admin"');
    fail(res, 401, 'admin_unauthorized', 'the admin API needs Authorization: Bearer <admin.token>');
    return false;
  }

  return {
    handle(req, res, sub, query) {
      // Drain any request body; admin endpoints take none.
      req.resume();
      if (!authorized(req, res)) return;
      if (sub === '/bans' || sub.startsWith('/bans/') || sub === '/behaviour') {
        // Behaviour engine: bans (list, lift with DELETE/POST) and model/engine status — src/behaviour/bans-admin.ts.
        try {
          handleBansAdmin(opts.db, req, res, sub, query, sendJson, fail);
        } catch (err) {
          fail(res, 500, 'internal_error', err instanceof Error ? err.message : String(err));
        }
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        fail(res, 405, 'method_not_allowed', 'admin endpoints accept GET and HEAD');
        return;
      }
      const params = new URLSearchParams(query);
      try {
        switch (sub) {
          case '/health':
            sendJson(res, 200, { status: 'ok' });
            return;
          case '/status':
            sendJson(res, 200, opts.status());
            return;
          case '/recent': // decision rows after a rowid, for `pathhelm top --url` (src/admin/recent.ts)
            sendJson(res, 200, recentDecisions(opts.db, params));
            return;
          case '/metrics':
            send(res, 200, renderMetrics(opts.snapshot(), opts.telemetry()), 'text/plain; version=0.0.4; charset=utf-8');
            return;
          case '/analytics': {
            const sinceText = params.get('since');
            const limitText = params.get('limit');
            const limit = limitText === null ? undefined : Number(limitText);
            if (limit !== undefined && !(Number.isInteger(limit) && limit > 0 && limit <= 1000)) {
              fail(res, 400, 'bad_request', `limit must be an integer from 1 to 1000, got "${limitText}"`);
              return;
            }
            // The query runs on the gateway's event loop: without `since` it covers the last hour
            // (a whole multi-million-row log would stall proxying); `since=all` asks for everything.
            const since =
              sinceText === 'all' ? undefined : parseSince(sinceText === null || sinceText === '' ? DEFAULT_ANALYTICS_WINDOW : sinceText);
            sendJson(res, 200, analytics(opts.db, { since, limit }));
            return;
          }
          default:
            fail(res, 404, 'not_found', `no admin endpoint ${JSON.stringify(sub || '/')}; try /health, /status, /analytics, /metrics`);
        }
      } catch (err) {
        if (isPathHelmError(err) && err.status < 500) fail(res, 400, 'bad_request', err.message.replace('--since', 'since'));
        else fail(res, 500, 'internal_error', err instanceof Error ? err.message : String(err));
      }
    },
  };
}
