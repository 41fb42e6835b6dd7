// Owns the gateway's lifecycle: the node:http server, the per-request hot path (admin routing,
// request id, limits, passes, verdicts, monitor mode, forwarding), client errors, WebSocket
// upgrades, and graceful shutdown (stop accepting, drain, flush telemetry, close the db).
//
// Example:
//   const gw = await startGateway({ ...DEFAULT_CONFIG, port: 0, gatewayToken: 's3cret' });
//   await fetch(gw.url + '/api/items/1');        // forwarded to config.upstream
//   gw.stats().totals.ALLOW;                      // 1
//   await gw.close();                             // drains, flushes the decision log

import { createServer, type IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { PathHelmConfig } from '../config/types.js';
import { PathHelmError } from '../errors.js';
import { openDb, type Db } from '../telemetry/db.js';
import type { DecisionEvent, TelemetryStats } from '../telemetry/types.js';
import { createDecisionWriter, createThreadedDecisionWriter, type BatchWriter } from '../telemetry/writer.js';
import { VERSION } from '../version.js';
import { createAdmin } from '../admin/admin.js';
import { Exchange, type GatewayCore, kExchange, onResponseClose, rawErrorResponse, sendError } from './exchange.js';
import { createForwarder } from './forward.js';
import { scanRequestHeaders, type RequestScan } from './headers.js';
import { stripNamedHeaders } from '../policy/access.js';
import { buildPasses } from './passes.js';
import type { Pass } from './pipeline.js';
import { uuidv7 } from './request-id.js';
import { GatewayStats, type GatewayStatsSnapshot } from './stats.js';

export interface GatewayDeps {
  /** Open decision log; default: openDb(config.db). A db passed in is not closed by close(). */
  db?: Db;
  /** Decision passes; default: buildPasses(config, { db }). */
  passes?: Pass[];
  /** Wall clock (ms) stamped on each request as ctx.now; default Date.now. */
  clock?: () => number;
  /** Decision writer; default: a threaded writer on the db file. Closed by close(). */
  writer?: BatchWriter<DecisionEvent>;
}

/** What /_pathhelm/status reports. */
export interface GatewayStatus {
  version: string;
  startedAt: string;
  uptimeMs: number;
  mode: PathHelmConfig['mode'];
  upstream: string;
  totals: { requests: number; ALLOW: number; THROTTLE: number; BLOCK: number };
  byReason: Record<string, number>;
  inFlight: number;
  telemetry: TelemetryStats;
}

export interface Gateway {
  /** http://host:port of the gateway. */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  readonly db: Db;
  stats(): GatewayStatus;
  /** Counters for /_pathhelm/metrics. */
  snapshot(): GatewayStatsSnapshot;
  telemetry(): TelemetryStats;
  /** Stop accepting, drain in-flight requests (≤ limits.shutdownGraceMs), flush telemetry, close the db. */
  close(): Promise<void>;
}

/** IPv4-mapped IPv6 addresses are reported as plain IPv4. */
export function normalizeIp(addr: string | undefined): string {
  if (addr === undefined) return '';
  if (addr.length > 7 && addr.charCodeAt(0) === 58 && addr.startsWith('::ffff:') && addr.indexOf('.') !== -1) return addr.slice(7);
  return addr;
}

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'header_too_large', 'the request head exceeds limits.maxHeaderBytes'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'the request was not received in time'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'body_too_large', 'chunk extensions too large'],
};

/** First line of a partial request ("GET /path HTTP/1.1") → method and path, best effort. */
function parseRequestLine(raw: Buffer | undefined): [string, string] {
  if (!raw || raw.length === 0) return ['', ''];
  const end = raw.indexOf(13);
  const line = raw.subarray(0, Math.min(end === -1 ? raw.length : end, 2048)).toString('latin1');
  const parts = line.split(' ');
  const method = /^[A-Z]{1,16}$/.test(parts[0] ?? '') ? parts[0] : '';
  let path = parts[1] ?? '';
  const q = path.indexOf('?');
  if (q !== -1) path = path.slice(0, q);
  return [method, path.slice(0, 1024)];
}

export async function startGateway(config: Readonly<PathHelmConfig>, deps: GatewayDeps = {}): Promise<Gateway> {
  const token = config.gatewayToken;
  if (!token) {
    throw new PathHelmError('PH_ERR_CONFIG', 'gatewayToken is not set: pass --gateway-token, set PATHHELM_GATEWAY_TOKEN, or let `pathhelm serve` generate one');
  }
  const limits = config.limits;
  const forwarder = createForwarder({ upstream: config.upstream, gatewayToken: token, limits });
  const ownDb = deps.db === undefined;
  let db: Db;
  try {
    db = deps.db ?? openDb(config.db, { busyTimeoutMs: 20 });
  } catch (err) {
    await forwarder.close();
    throw err;
  }
  // The decision log is written by a worker thread (own connection) unless the db lives in memory.
  const writer: BatchWriter<DecisionEvent> =
    deps.writer ?? (db.memory ? createDecisionWriter(db, config.telemetry) : createThreadedDecisionWriter(db.name, config.telemetry));
  const stats = new GatewayStats();
  const passes = deps.passes ?? buildPasses(config, { db });
  const core: GatewayCore = {
    mode: config.mode,
    passes,
    afterPasses: passes.filter((p) => typeof p.after === 'function'),
    writer,
    stats,
    closing: false,
  };
  const clock = deps.clock ?? Date.now;
  const monitor = config.mode === 'monitor';
  const maxBody = limits.maxBodyBytes;
  const adminPrefix = config.admin.prefix.replace(/\/+$/, '');
  const scan: RequestScan = { requestId: undefined, xff: undefined, host: undefined, contentLength: -1, chunked: false };

  /** Runs the passes; returns true when the request was refused (response already sent). */
  function decide(ex: Exchange, refuse: (ex: Exchange, status: number, decision: 'THROTTLE' | 'BLOCK', reason: string, message: string, headers?: Array<[string, string]>) => void): boolean {
    try {
      for (let i = 0; i < passes.length; i++) {
        const v = passes[i].run(ex);
        if (v === undefined) continue;
        if (!monitor) {
          refuse(ex, v.status, v.decision, v.reason, v.message, v.headers);
          return true;
        }
        if (ex.wouldDecision === null) {
          ex.wouldDecision = v.decision;
          ex.allowReason = v.reason;
        }
      }
    } catch {
      refuse(ex, 500, 'BLOCK', 'internal_error', 'the gateway could not decide on this request');
      return true;
    }
    if (monitor && ex.wouldDecision === null) ex.wouldDecision = 'ALLOW';
    return false;
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const t0 = performance.now();
    const now = clock();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path.startsWith(adminPrefix) && (path.length === adminPrefix.length || path.charCodeAt(adminPrefix.length) === 47)) {
      admin.handle(req, res, path.slice(adminPrefix.length), q === -1 ? '' : url.slice(q + 1));
      return;
    }
    const ex = new Exchange(core, req, res, now, t0, path, normalizeIp(req.socket.remoteAddress));
    (res as unknown as { [kExchange]: Exchange })[kExchange] = ex;
    stats.inFlight++;
    res.on('close', onResponseClose);
    const headers: string[] = [];
    scanRequestHeaders(req.rawHeaders, headers, scan);
    ex.adoptRequestId(scan.requestId);

    if (path.charCodeAt(0) !== 47) {
      sendError(ex, 400, 'BLOCK', 'bad_request', 'the request target must be an absolute path', undefined, true);
      return;
    }
    if (scan.host === undefined && req.httpVersionMinor === 1 && req.httpVersionMajor === 1) {
      sendError(ex, 400, 'BLOCK', 'bad_request', 'HTTP/1.1 requests need a Host header', undefined, true);
      return;
    }
    if (Number.isNaN(scan.contentLength)) {
      sendError(ex, 400, 'BLOCK', 'bad_request', 'invalid Content-Length', undefined, true);
      return;
    }
    if (maxBody > 0 && scan.contentLength > maxBody) {
      sendError(ex, 413, 'BLOCK', 'body_too_large', `the request body (${scan.contentLength} bytes) exceeds limits.maxBodyBytes (${maxBody})`, undefined, true);
      return;
    }
    if (passes.length !== 0 && decide(ex, sendError)) return;
    if (ex.stripHeaders) stripNamedHeaders(headers, ex.stripHeaders); // e.g. the API key header (src/policy/access.ts)
    forwarder.http(ex, headers, scan);
  }

  const upgradeRes = (ex: Exchange, status: number, decision: 'THROTTLE' | 'BLOCK', reason: string, message: string): void => {
    ex.decision = decision;
    ex.reason = reason;
    ex.status = status;
    ex.completed = true;
    if (monitor && ex.wouldDecision === null) ex.wouldDecision = decision;
    const socket = ex.req.socket;
    if (socket.writable) socket.end(rawErrorResponse(status, reason, message, ex.requestId));
    else socket.destroy();
  };

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const t0 = performance.now();
    const now = clock();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const ex = new Exchange(core, req, new ServerResponse(req), now, t0, path, normalizeIp(req.socket.remoteAddress));
    stats.inFlight++;
    socket.once('close', () => {
      if (ex.status === 0 && ex.reason === null) ex.reason = 'client_abort';
      ex.bytesIn = (socket as Socket).bytesRead ?? 0;
      ex.bytesOut = (socket as Socket).bytesWritten ?? 0;
      ex.completed = ex.completed || ex.status !== 0;
      ex.finish();
    });
    socket.on('error', () => socket.destroy());
    const inbound = req.headers['x-request-id'];
    ex.adoptRequestId(typeof inbound === 'string' ? inbound : undefined);
    if (core.closing) {
      upgradeRes(ex, 503, 'BLOCK', 'shutting_down', 'the gateway is shutting down');
      return;
    }
    if (path.startsWith(adminPrefix) || path.charCodeAt(0) !== 47) {
      upgradeRes(ex, 400, 'BLOCK', 'bad_request', 'cannot upgrade this path');
      return;
    }
    const upgrade = req.headers.upgrade;
    if (req.method !== 'GET' || typeof upgrade !== 'string' || upgrade.toLowerCase() !== 'websocket') {
      upgradeRes(ex, 400, 'BLOCK', 'bad_request', 'only WebSocket upgrades (GET, Upgrade: websocket) are supported');
      return;
    }
    if (passes.length !== 0 && decide(ex, upgradeRes)) return;
    forwarder.upgrade(ex, socket, head);
  }

  function onClientError(err: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex): void {
    const known = CLIENT_ERRORS[err.code ?? ''];
    // Peer resets and errors on dead sockets have nobody to answer.
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, reason, message] = known ?? [400, 'bad_request', 'malformed request (' + (err.code ?? 'parse error') + ')'];
    const inProgress = (socket as unknown as { _httpMessage?: ServerResponse })._httpMessage;
    const ex = inProgress ? (inProgress as unknown as { [kExchange]?: Exchange })[kExchange] : undefined;
    if (ex !== undefined && !ex.done) {
      // A request is being handled (e.g. its body is too slow): answer if we still can, then close.
      if (!inProgress!.headersSent) {
        sendError(ex, status, 'BLOCK', reason, message, undefined, true);
        ex.upstream?.cancel();
      } else {
        ex.reason = reason;
        socket.destroy();
      }
      return;
    }
    const now = clock();
    const requestId = uuidv7(now);
    const [method, path] = parseRequestLine(err.rawPacket);
    socket.end(rawErrorResponse(status, reason, message, requestId));
    setTimeout(() => socket.destroy(), 1000).unref();
    const clientIp = normalizeIp((socket as Socket).remoteAddress);
    writer.push({
      ts: now, requestId, requestIdMinted: true, clientIp, clientId: null, keyId: null, method, path, status, upstreamStatus: null,
      decision: 'BLOCK', reason, wouldDecision: monitor ? 'BLOCK' : null, mode: config.mode, score: null,
      features: null, explain: null, latencyMs: 0, upstreamMs: null, bytesIn: 0, bytesOut: 0,
    });
    stats.record('BLOCK', reason, 0);
  }

  let requestTimeout = limits.requestTimeoutMs;
  let headersTimeout = limits.headersTimeoutMs;
  if (requestTimeout > 0 && headersTimeout > requestTimeout) headersTimeout = requestTimeout;
  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout,
      requestTimeout,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(headersTimeout, requestTimeout || headersTimeout) / 4))),
      requireHostHeader: false,
      noDelay: true,
    },
    onRequest,
  );
  server.on('upgrade', onUpgrade);
  server.on('clientError', onClientError);

  const status = (): GatewayStatus => {
    const snap = stats.snapshot();
    return {
      version: VERSION,
      startedAt: new Date(snap.startedAt).toISOString(),
      uptimeMs: Date.now() - snap.startedAt,
      mode: config.mode,
      upstream: config.upstream,
      totals: { requests: snap.total, ...snap.byDecision },
      byReason: snap.byReason,
      inFlight: snap.inFlight,
      telemetry: writer.stats(),
    };
  };
  const admin = createAdmin({ prefix: adminPrefix, token: config.admin.token, db, status, snapshot: () => stats.snapshot(), telemetry: () => writer.stats() });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // A deep accept queue: bursts of new connections (page loads, load tests) are not dropped.
      server.listen({ port: config.port, host: config.host, backlog: 4096 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await forwarder.close();
    await writer.close();
    if (ownDb) db.close();
    const e = err as NodeJS.ErrnoException;
    const where = `${config.host}:${config.port}`;
    if (e.code === 'EADDRINUSE') throw new PathHelmError('PH_ERR_PORT_IN_USE', `port ${config.port} on ${config.host} is already in use; pick another with --port`, { cause: err });
    throw new PathHelmError('PH_ERR_LISTEN', `cannot listen on ${where}: ${e.message}`, { cause: err });
  }
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;

  let closing: Promise<void> | null = null;
  async function close(): Promise<void> {
    core.closing = true;
    server.close();
    server.closeIdleConnections();
    const deadline = Date.now() + limits.shutdownGraceMs;
    while (stats.inFlight - forwarder.tunnels.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      server.closeIdleConnections();
    }
    server.closeAllConnections();
    await forwarder.close();
    // Let the 'close' events of cut connections record their decisions before the final flush.
    for (let i = 0; i < 5 && stats.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 10));
    await writer.close();
    if (ownDb) db.close();
  }

  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    host: config.host,
    db,
    stats: status,
    snapshot: () => stats.snapshot(),
    telemetry: () => writer.stats(),
    close() {
      closing ??= close();
      return closing;
    },
  };
}
