// Owns the contract of the request pipeline: the per-request context and the named passes that decide.
//
// Example:
//   const denyPass: Pass = {
//     name: 'denylist',
//     run(ctx) { return denied(ctx.clientIp) ? { decision: 'BLOCK', status: 403, reason: 'denylist', message: 'forbidden' } : undefined; },
//   };
//   // server.ts runs PASSES in order; the first verdict wins (in monitor mode it is recorded as
//   // would_decision and the request is forwarded anyway; later passes still run).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Decision } from '../config/types.js';

/** Everything the passes know about one request. Created once per request by the server. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Wall-clock ms at arrival (passes must use this, never Date.now(), so tests can fake time). */
  readonly now: number;
  /** Request id sent to the backend and back to the client. */
  requestId: string;
  /** Path without the query string. */
  readonly path: string;
  /** Socket address (IPv4-mapped IPv6 normalised); the identity pass may replace it with the XFF client. */
  clientIp: string;
  /** Identity for per-client state: key id when authenticated, else the client address (IPv6 by prefix). */
  clientId: string | null;
  /** Public id of the authenticated API key. */
  keyId: string | null;
  /** True when allow-listed: skips rate limits and behaviour blocking. */
  allowListed: boolean;
  /** Anomaly score, feature JSON and explanation when the behaviour pass scored the client. */
  score: number | null;
  features: string | null;
  explain: string | null;
  /** Response headers the passes want on the client response (e.g. RateLimit-*), as [name, value] pairs. */
  responseHeaders: Array<[string, string]>;
  /** What enforce mode would have decided (set by the server in monitor mode). */
  wouldDecision: Decision | null;
  /** Reason recorded with the decision when nothing refused the request (default 'ok'). */
  allowReason: string;
  /**
   * Comma-separated lower-case names of request headers a pass consumed and that must not be
   * forwarded (e.g. the API key header, or Authorization when it carried the key). Null: none.
   */
  stripHeaders?: string | null;
}

/** A pass's refusal. Passes return undefined to let the request continue. */
export interface Verdict {
  decision: Exclude<Decision, 'ALLOW'>;
  /** 401, 403, 429, ... */
  status: number;
  /** Stable machine-readable reason stored in the decision log, e.g. 'auth_missing', 'rate_limit_ip'. */
  reason: string;
  /** Human-readable message for the JSON error body. Never include secrets. */
  message: string;
  /** Extra response headers (e.g. Retry-After). */
  headers?: Array<[string, string]>;
}

/** One named step of the decision pipeline. Synchronous, allocation-light, no I/O. */
export interface Pass {
  readonly name: string;
  run(ctx: RequestContext): Verdict | undefined;
  /** Called after the response finished (e.g. to feed the behaviour window with the final status). */
  after?(ctx: RequestContext, status: number, decision: Decision): void;
}
