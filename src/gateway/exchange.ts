// Owns one request's life in the gateway: the RequestContext the passes see, the JSON error
// responses, and the single decision event written when the response is over (exactly once).
//
// Example:
//   const ex = new Exchange(core, req, res, Date.now(), performance.now(), '/api/items', clientIp);
//   res.on('close', onResponseClose);          // → ex.finish(): one DecisionEvent, counters, pass.after()
//   sendError(ex, 502, 'ALLOW', 'upstream_unavailable', 'the backend refused the connection');

import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Decision, Mode } from '../config/types.js';
import type { DecisionEvent } from '../telemetry/types.js';
import type { BatchWriter } from '../telemetry/writer.js';
import type { Pass, RequestContext } from './pipeline.js';
import { isValidRequestId, uuidv7 } from './request-id.js';
import type { GatewayStats } from './stats.js';

/** What every exchange of one gateway shares (built once at start-up). */
export interface GatewayCore {
  readonly mode: Mode;
  readonly passes: Pass[];
  /** The passes that have an after() hook, in order. */
  readonly afterPasses: Pass[];
  readonly writer: BatchWriter<DecisionEvent>;
  readonly stats: GatewayStats;
  /** True once close() began: responses ask the client to close the connection. */
  closing: boolean;
}

/** Key under which the exchange hangs off its ServerResponse / IncomingMessage. */
export const kExchange = Symbol('pathhelm.exchange');

/** Something the exchange can cancel when the client goes away (the upstream call). */
export interface Cancellable {
  cancel(): void;
}

export class Exchange implements RequestContext {
  // --- RequestContext (what passes see) ---
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly now: number;
  requestId = '';
  /** True when requestId was minted here (uuidv7(now)) rather than taken from the client's X-Request-ID. */
  requestIdMinted = false;
  readonly path: string;
  clientIp: string;
  /** The socket peer (normalised); X-Forwarded-For gets this appended. */
  readonly peerIp: string;
  clientId: string | null = null;
  keyId: string | null = null;
  allowListed = false;
  score: number | null = null;
  features: string | null = null;
  explain: string | null = null;
  responseHeaders: Array<[string, string]> = [];
  wouldDecision: Decision | null = null;
  allowReason = 'ok';
  stripHeaders: string | null = null;

  // --- gateway-private ---
  readonly core: GatewayCore;
  /** performance.now() at arrival. */
  readonly t0: number;
  decision: Decision = 'ALLOW';
  /** Set when the outcome is not the allow reason (refusal, upstream failure, abort). */
  reason: string | null = null;
  /** Status sent to the client; 0 until a status line went out. */
  status = 0;
  upstreamStatus: number | null = null;
  upstreamMs: number | null = null;
  bytesIn = 0;
  bytesOut = 0;
  done = false;
  /** True when the response ended normally (set by the forwarder or sendError). */
  completed = false;
  upstream: Cancellable | null = null;

  constructor(core: GatewayCore, req: IncomingMessage, res: ServerResponse, now: number, t0: number, path: string, clientIp: string) {
    this.core = core;
    this.req = req;
    this.res = res;
    this.now = now;
    this.t0 = t0;
    this.path = path;
    this.clientIp = clientIp;
    this.peerIp = clientIp;
  }

  /** Takes the client's X-Request-ID when it is valid, else mints a UUIDv7 from this request's arrival time. */
  adoptRequestId(inbound: string | undefined): void {
    if (isValidRequestId(inbound)) this.requestId = inbound;
    else {
      this.requestId = uuidv7(this.now);
      this.requestIdMinted = true;
    }
  }

  /** Writes the one decision event for this request. Idempotent; called when the response closes. */
  finish(): void {
    if (this.done) return;
    this.done = true;
    const latencyMs = performance.now() - this.t0;
    const core = this.core;
    let reason = this.reason;
    if (reason === null) {
      if (this.completed || this.res.writableFinished) reason = this.allowReason;
      else reason = 'client_abort';
    }
    if (!this.completed && this.upstream !== null) this.upstream.cancel();
    const decision = this.decision;
    const status = this.status;
    const ev: DecisionEvent = {
      ts: this.now,
      requestId: this.requestId,
      requestIdMinted: this.requestIdMinted,
      clientIp: this.clientIp,
      clientId: this.clientId,
      keyId: this.keyId,
      method: this.req.method ?? '',
      path: this.path,
      status,
      upstreamStatus: this.upstreamStatus,
      decision,
      reason,
      wouldDecision: this.wouldDecision,
      mode: core.mode,
      score: this.score,
      features: this.features,
      explain: this.explain,
      latencyMs,
      upstreamMs: this.upstreamMs,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
    };
    core.writer.push(ev);
    core.stats.record(decision, reason, latencyMs);
    core.stats.inFlight--;
    const after = core.afterPasses;
    for (let i = 0; i < after.length; i++) {
      try {
        after[i].after!(this, status, decision);
      } catch {
        // a broken after() hook must not break the gateway; the decision is already recorded
      }
    }
  }
}

/** `res.on('close', onResponseClose)`: shared listener, no closure per request. */
export function onResponseClose(this: ServerResponse): void {
  (this as unknown as { [kExchange]: Exchange })[kExchange].finish();
}

/** JSON error body: {"error": reason, "message": ..., "requestId": ...}. */
export function errorBody(reason: string, message: string, requestId: string): string {
  return '{"error":' + JSON.stringify(reason) + ',"message":' + JSON.stringify(message) + ',"requestId":' + JSON.stringify(requestId) + '}';
}

/**
 * Answers the client with a JSON error and records the decision and reason.
 * `close` asks the client to close the connection (unread body, broken framing, shutdown).
 */
export function sendError(
  ex: Exchange,
  status: number,
  decision: Decision,
  reason: string,
  message: string,
  extra?: Array<[string, string]>,
  close = false,
): void {
  ex.decision = decision;
  ex.reason = reason;
  // Monitor mode forwards what the passes would refuse, but a request the gateway cannot forward
  // (limits, malformed) is refused in both modes; would_decision then says the same.
  if (ex.core.mode === 'monitor' && (decision !== 'ALLOW' || ex.wouldDecision === null)) ex.wouldDecision = decision;
  const res = ex.res;
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = errorBody(reason, message, ex.requestId);
  const headers: string[] = [
    'content-type', 'application/json; charset=utf-8',
    'content-length', String(Buffer.byteLength(body)),
    'cache-control', 'no-store',
    'x-request-id', ex.requestId,
  ];
  const rh = ex.responseHeaders;
  for (let i = 0; i < rh.length; i++) headers.push(rh[i][0], rh[i][1]);
  if (extra !== undefined) for (let i = 0; i < extra.length; i++) headers.push(extra[i][0], extra[i][1]);
  if (close || ex.core.closing) res.shouldKeepAlive = false;
  ex.status = status;
  ex.completed = true;
  res.writeHead(status, headers);
  res.end(ex.req.method === 'HEAD' ? undefined : body);
}

/** A complete HTTP/1.1 error response for a raw socket (client errors, refused upgrades). */
export function rawErrorResponse(status: number, reason: string, message: string, requestId: string): string {
  const body = errorBody(reason, message, requestId);
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: application/json; charset=utf-8\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\nx-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`
  );
}
