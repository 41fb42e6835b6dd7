// Owns the decision-event contract between the request path and the decision log.
//
// Example:
//   const ev: DecisionEvent = { ts: Date.now(), requestId, clientIp: '127.0.0.1', ... };
//   writer.push(ev); // cheap: an array push; the writer commits in batches off the hot path

import type { Decision, Mode } from '../config/types.js';

/** One request's decision, as written to the `decisions` table (one row per request). */
export interface DecisionEvent {
  /** Milliseconds since the epoch when the request arrived. */
  ts: number;
  requestId: string;
  /**
   * True when serve minted requestId itself as uuidv7(ts), false when the client sent it: the writer then sets
   * rid_by_ts (migration 7) without reading the id back. Left out, the writer checks the id (idCarriesTs).
   */
  requestIdMinted?: boolean;
  /** Client address after trusted-proxy resolution (IPv4-mapped IPv6 normalised). */
  clientIp: string;
  /** Identity the behaviour window is kept for: the key id, else the client address (/64 for IPv6). */
  clientId: string | null;
  /** Public id of the API key (never the key itself). */
  keyId: string | null;
  method: string;
  /** Path without the query string (query strings can carry secrets). */
  path: string;
  /** Status the client got. 0 when the connection was closed before a status was sent. */
  status: number;
  /** Status the backend answered with; null when the request never reached it. */
  upstreamStatus: number | null;
  decision: Decision;
  /** Machine-readable reason, e.g. `ok`, `auth_missing`, `rate_limit_ip`, `upstream_unavailable`. */
  reason: string;
  /** In monitor mode: what enforce mode would have decided. Null in enforce mode. */
  wouldDecision: Decision | null;
  mode: Mode;
  /** Anomaly score in [0, 1]; null when the client was not scored. */
  score: number | null;
  /** Feature values that were scored, compact `<set id>|v1,v2,...` (decode with telemetry/features-codec.ts); null when not scored. */
  features: string | null;
  /** JSON array of the features that drove an anomaly decision; null otherwise. */
  explain: string | null;
  /** Time from request arrival to response end at the gateway, ms. */
  latencyMs: number;
  /** Time from forwarding to upstream response headers, ms; null when not forwarded. */
  upstreamMs: number | null;
  bytesIn: number;
  bytesOut: number;
}

/** One request as the demo backend saw it (for end-to-end tracing). */
export interface BackendEvent {
  ts: number;
  requestId: string | null;
  method: string;
  path: string;
  status: number;
  latencyMs: number;
}

/** Counters reported by the batched writer (shown in /_pathhelm/status). */
export interface TelemetryStats {
  /** Rows committed to SQLite. */
  written: number;
  /** Rows lost: queue overflow or failed writes. */
  dropped: number;
  /** Failed write attempts (disk full, locked file, ...). */
  failures: number;
  /** Events waiting in memory. */
  queued: number;
  /** Age in ms of the oldest queued event (0 when the queue is empty). */
  lagMs: number;
  /** Last write error message, if any. */
  lastError: string | null;
}
