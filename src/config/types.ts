// Owns the shape of PathHelm's configuration and its embedded defaults (no loading, no validation).
//
// Example:
//   import { DEFAULT_CONFIG, type PathHelmConfig } from './types.js';
//   const port: number = DEFAULT_CONFIG.port; // 8000
//
// Every key here is documented in config/pathhelm.config.example.yaml and the README.
// Sections are owned by issues: core (gateway, limits, telemetry, admin), access (auth,
// rateLimit, identity, allow/deny, mode), behaviour (behaviour, ml, bans).

export type Mode = 'enforce' | 'monitor';
export type Decision = 'ALLOW' | 'THROTTLE' | 'BLOCK';

/** One rate-limit window: at most `limit` requests per `windowMs` milliseconds. */
export interface RateWindow {
  limit: number;
  windowMs: number;
}

export interface PathHelmConfig {
  /** Address the gateway binds to. Loopback by default. */
  host: string;
  port: number;
  /** Base URL of the protected backend. */
  upstream: string;
  /** SQLite decision log. Its directory is also the state directory (gateway token, etc.). */
  db: string;
  /** Secret the gateway adds as `X-Gateway-Token`; generated into the state dir when unset. */
  gatewayToken: string | null;
  /** enforce: block/throttle; monitor: record what would have happened, allow everything. */
  mode: Mode;
  /** Run the demo backend in-process and print ready-to-paste curl commands. */
  demo: boolean;

  limits: {
    /** Largest request head (request line + headers) in bytes; larger → 431. */
    maxHeaderBytes: number;
    /** Largest request body in bytes; larger → 413. 0 = unlimited (streamed). */
    maxBodyBytes: number;
    /** Time allowed to receive the complete request head (slowloris guard). */
    headersTimeoutMs: number;
    /** Time allowed to receive the complete request, head and body. 0 = no limit. */
    requestTimeoutMs: number;
    /** Time the backend has to start answering (response headers) → 504. */
    upstreamTimeoutMs: number;
    /** Idle keep-alive time for client connections. */
    keepAliveTimeoutMs: number;
    /** Upper bound for draining in-flight requests on SIGINT/SIGTERM. */
    shutdownGraceMs: number;
    /** Keep-alive connections the gateway keeps to the backend. */
    upstreamConnections: number;
  };

  telemetry: {
    /** How often the batched writer commits (one transaction per tick). */
    flushIntervalMs: number;
    /** Rows per transaction at most. */
    batchSize: number;
    /** Events held in memory while the disk is slow; beyond it rows are dropped and counted. */
    maxQueue: number;
  };

  admin: {
    /** Reserved path prefix for the admin API. */
    prefix: string;
    /** When set, admin endpoints accept non-loopback clients with `Authorization: Bearer <token>`. */
    token: string | null;
  };

  auth: {
    /** false turns API keys off (keyless deployments). */
    required: boolean;
    /** Header carrying the API key (Authorization: Bearer is also accepted). */
    header: string;
    /** Paths (exact, or prefix ending in `*`) that skip authentication. */
    publicPaths: string[];
  };

  rateLimit: {
    enabled: boolean;
    /** Windows applied per client address. */
    ip: RateWindow[];
    /** Windows applied per API key (override per key with `keys add --rate`). */
    key: RateWindow[];
    /** Most clients tracked at once; the least recently seen are evicted. */
    maxClients: number;
  };

  /** CIDRs whose X-Forwarded-For is trusted (right-most untrusted entry is the client). */
  trustedProxies: string[];
  /** IPv6 clients are grouped by this prefix length. */
  ipv6PrefixLength: number;
  /** IPs, CIDRs and key ids that skip rate limits and behaviour blocking. */
  allow: string[];
  /** IPs, CIDRs and key ids that are refused with 403. */
  deny: string[];

  behaviour: {
    enabled: boolean;
    /** Sliding window over which a client's features are computed. */
    windowMs: number;
    /** Events in the window before the model scores a client. */
    minEvents: number;
    /** Most clients tracked at once; least recently seen evicted. */
    maxClients: number;
    /**
     * Regular-crawl rule (docs/features.md): 403 BLOCK `anomaly_regular` + ban when a client's last `requests` gaps
     * (counted, whatever the window) vary by at most `maxCv`, average at least `minGapMs`, and its requests touched
     * at least `minDistinct` distinct endpoints. Works with or without a model.
     */
    regular: {
      /** Gaps judged (2..31; the client needs one request more); 0 turns the rule off. */
      requests: number;
      /** Largest coefficient of variation (sd/mean) of those gaps. */
      maxCv: number;
      /** Fewest distinct endpoints among those requests (pollers hit a few fixed URLs). */
      minDistinct: number;
      /** Smallest mean gap; faster clients are left to the model. */
      minGapMs: number;
    };
    /**
     * Steady-poller rule (docs/features.md): the model's flag and block are not enforced for a client whose last
     * `requests` requests hit at most `maxDistinct` distinct targets (endpoint + query string), at most
     * `maxExceptions` of them refused, answered 4xx or writes, each target polled no faster than every `minPeriodMs`
     * (median), and whose window holds at most `maxWindowDistinct` distinct endpoints and query strings: a dashboard
     * or a monitor, not the search-polling bot the model was trained on. Rules, rate limits and bans still apply.
     */
    poller: {
      /** Requests judged (2..32, counted over the client's last requests); 0 turns the rule off. */
      requests: number;
      /** Most distinct targets (endpoint + query string) among them. */
      maxDistinct: number;
      /** Most distinct endpoints, and query strings, in the behaviour window (room for a page load first). */
      maxWindowDistinct: number;
      /** Most of them refused (BLOCK/THROTTLE), answered 400-499, or writes (bodies are not seen). */
      maxExceptions: number;
      /** Smallest median time between two requests for the same target; faster clients are left to the model. */
      minPeriodMs: number;
    };
  };

  ml: {
    /** Model file; null runs rules only (`--no-model`). */
    model: string | null;
    /** inline: the score decides this request; async: scored after forwarding, acts on the next. */
    mode: 'inline' | 'async';
    /** Score at or above which a request counts towards a block (null = the model's threshold). */
    blockThreshold: number | null;
    /** Score at or above which a client is flagged and rate limited tighter (null = derived). */
    flagThreshold: number | null;
    /** Consecutive scored requests at/above blockThreshold before blocking. */
    consecutive: number;
    /** Multiplier applied to rate limits for flagged clients (0 < f <= 1). */
    flaggedRateFactor: number;
  };

  bans: {
    /** First ban duration. */
    baseMs: number;
    /** Ban durations double per repeat offence up to this. */
    maxMs: number;
  };
}

export const DEFAULT_CONFIG: PathHelmConfig = {
  host: '127.0.0.1',
  port: 8000,
  upstream: 'http://127.0.0.1:9000',
  db: './.pathhelm/pathhelm.db',
  gatewayToken: null,
  mode: 'enforce',
  demo: false,
  limits: {
    maxHeaderBytes: 16 * 1024,
    maxBodyBytes: 0,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 0,
    upstreamTimeoutMs: 30_000,
    keepAliveTimeoutMs: 5_000,
    shutdownGraceMs: 10_000,
    upstreamConnections: 64,
  },
  telemetry: {
    flushIntervalMs: 100,
    batchSize: 20_000,
    maxQueue: 100_000,
  },
  admin: {
    prefix: '/_pathhelm',
    token: null,
  },
  auth: {
    required: true,
    header: 'x-api-key',
    publicPaths: ['/health'],
  },
  rateLimit: {
    enabled: true,
    ip: [
      { limit: 100, windowMs: 1_000 },
      { limit: 3_000, windowMs: 600_000 },
    ],
    key: [
      { limit: 100, windowMs: 1_000 },
      { limit: 6_000, windowMs: 600_000 },
    ],
    maxClients: 100_000,
  },
  trustedProxies: [],
  ipv6PrefixLength: 64,
  allow: [],
  deny: [],
  behaviour: {
    enabled: true,
    windowMs: 60_000,
    minEvents: 20,
    // ~21 kB preallocated per tracked client (1,000-event ring): 10,000 clients ≈ 210 MB at most.
    maxClients: 10_000,
    regular: { requests: 24, maxCv: 0.1, minDistinct: 8, minGapMs: 500 },
    poller: { requests: 20, maxDistinct: 6, maxWindowDistinct: 16, maxExceptions: 1, minPeriodMs: 400 },
  },
  ml: {
    model: 'models/default.json',
    mode: 'inline',
    blockThreshold: null,
    flagThreshold: null,
    consecutive: 3,
    flaggedRateFactor: 0.25,
  },
  bans: {
    baseMs: 5 * 60_000,
    maxMs: 24 * 60 * 60_000,
  },
};

/** Config keys holding secrets: masked by `pathhelm config`, never logged. */
export const SECRET_KEYS = ['gatewayToken', 'admin.token'] as const;
