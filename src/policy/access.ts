// Owns the access-control passes of the pipeline, in order: client identity → IP deny/allow →
// API key auth (then key-id deny/allow) → sliding-window rate limits (per key, else per client address).
//
// Example:
//   const keys = new KeyTable(); watchKeys(db, keys);
//   const access = createAccessPasses(config, { keys });
//   const passes: Pass[] = [...access.passes, ...behaviourPasses];
//
// Every pass is synchronous and reads no SQLite; lists and CIDRs are compiled here, once.

import type { PathHelmConfig, RateWindow } from '../config/types.js';
import type { Pass, RequestContext, Verdict } from '../gateway/pipeline.js';
import type { StoredKey } from '../keys/store.js';
import { AUTH_EXPIRED, AUTH_OK, AUTH_REVOKED, KeyTable } from '../keys/table.js';
import { policySet, pushRateLimitHeaders, toSeconds, type PolicySet } from './headers.js';
import { ClientIdentity } from './identity.js';
import { CidrSet, parseCidrRange } from './ip.js';
import { SlidingWindowLimiter } from './ratelimit.js';

export type AccessConfig = Pick<PathHelmConfig, 'auth' | 'rateLimit' | 'trustedProxies' | 'ipv6PrefixLength' | 'allow' | 'deny'>;

export interface AccessDeps {
  keys: KeyTable;
}

export interface AccessPasses {
  identity: Pass;
  ipAccess: Pass;
  auth: Pass;
  rateLimit: Pass;
  /** The four passes in pipeline order. */
  passes: Pass[];
  ipLimiter: SlidingWindowLimiter;
  keyLimiter: SlidingWindowLimiter;
  identityResolver: ClientIdentity;
}

const WWW_AUTH: Array<[string, string]> = [['WWW-Authenticate', 'Bearer realm="pathhelm"']];

function verdict(status: number, reason: string, message: string, headers?: Array<[string, string]>): Verdict {
  const v: Verdict = { decision: 'BLOCK', status, reason, message };
  if (headers) v.headers = headers;
  return v;
}

// Verdicts are constants: the hot path allocates none for refusals (the server must not mutate them).
const V_DENY = Object.freeze(verdict(403, 'denylist', 'forbidden: this client is on the deny list')) as Verdict;
const V_MISSING = Object.freeze(
  verdict(401, 'auth_missing', 'an API key is required (X-API-Key header or Authorization: Bearer)', WWW_AUTH),
) as Verdict;
const V_INVALID = Object.freeze(verdict(401, 'auth_invalid', 'the API key is not valid', WWW_AUTH)) as Verdict;
const V_REVOKED = Object.freeze(verdict(401, 'auth_revoked', 'the API key has been revoked', WWW_AUTH)) as Verdict;
const V_EXPIRED = Object.freeze(verdict(401, 'auth_expired', 'the API key has expired', WWW_AUTH)) as Verdict;

/** Splits allow/deny entries into an IP/CIDR set and a key-id set (throws PH_ERR_CONFIG on junk). */
export function compileList(entries: readonly string[], key: string): { ips: CidrSet; keyIds: Set<string> } {
  const cidrs: string[] = [];
  const keyIds = new Set<string>();
  for (const e of entries) {
    // Config validation already accepted each entry as an IP, a CIDR or a key id.
    if (parseCidrRange(e)) cidrs.push(e);
    else keyIds.add(e);
  }
  return { ips: CidrSet.compile(cidrs, key), keyIds };
}

/**
 * True when a path has no dot segments, encoded dots/slashes, backslashes or empty segments: the
 * backend cannot resolve it to a different path than the prefix it appears to be under.
 */
function isPlainPath(path: string): boolean {
  if (path.indexOf('/.') >= 0 || path.indexOf('//') >= 0 || path.indexOf('\\') >= 0) return false;
  const pct = path.indexOf('%');
  if (pct >= 0 && /%(2e|2f|5c)/i.test(path)) return false;
  return true;
}

/**
 * Matcher for auth.publicPaths: exact paths, or prefixes ending in `*`. A prefix only matches plain
 * paths, so `/docs/../admin` (or `/docs/%2e%2e/admin`) never skips auth because of `/docs/*`.
 */
export function publicPathMatcher(paths: readonly string[]): (path: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const p of paths) {
    if (p.endsWith('*')) prefixes.push(p.slice(0, -1));
    else exact.add(p);
  }
  if (exact.size === 0 && prefixes.length === 0) return () => false;
  return (path) => {
    if (exact.has(path)) return true;
    for (let i = 0; i < prefixes.length; i++) if (path.startsWith(prefixes[i])) return isPlainPath(path);
    return false;
  };
}

/**
 * Value of header `lower` (a lower-case name) from node's rawHeaders [name, value, ...]; several
 * copies are joined with ', ' (like node does for unknown headers). Allocation-free when absent.
 */
export function rawHeader(raw: readonly string[], lower: string): string | undefined {
  const n = lower.length;
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.length !== n || (name !== lower && name.toLowerCase() !== lower)) continue;
    value = value === undefined ? raw[i + 1] : `${value}, ${raw[i + 1]}`;
  }
  return value;
}

function bearerOf(authz: string | undefined): string | undefined {
  if (authz === undefined || authz.length < 8) return undefined;
  // Case-insensitive "Bearer " scheme.
  if ((authz.charCodeAt(0) | 32) !== 98 || authz.slice(1, 7).toLowerCase() !== 'earer ') return undefined;
  return authz.slice(7).trim();
}

export function createAccessPasses(config: AccessConfig, deps: AccessDeps): AccessPasses {
  const identityResolver = new ClientIdentity(CidrSet.compile(config.trustedProxies, 'trustedProxies'), config.ipv6PrefixLength);
  const deny = compileList(config.deny, 'deny');
  const allow = compileList(config.allow, 'allow');
  const keys = deps.keys;
  const authRequired = config.auth.required;
  const keyHeader = config.auth.header.toLowerCase();
  const keyInAuthz = keyHeader === 'authorization'; // then only the Bearer form is read
  const stripKey = keyHeader;
  const stripAuthz = 'authorization';
  const stripBoth = `${keyHeader},authorization`;
  const isPublic = publicPathMatcher(config.auth.publicPaths);
  const rl = config.rateLimit;
  const ipSet = policySet('ip', rl.ip);
  const keySet = policySet('key', rl.key);
  const ipLimiter = new SlidingWindowLimiter(rl.maxClients);
  const keyLimiter = new SlidingWindowLimiter(rl.maxClients);
  const perKeySets = new WeakMap<StoredKey, PolicySet>();
  const keySetFor = (k: StoredKey | undefined): PolicySet => {
    if (!k || !k.rates || k.rates.length === 0) return keySet;
    let s = perKeySets.get(k);
    if (!s) {
      s = policySet('key', k.rates as RateWindow[]);
      perKeySets.set(k, s);
    }
    return s;
  };
  const trustNone = identityResolver.trusted.size === 0;

  const identity: Pass = {
    name: 'identity',
    run(ctx) {
      const peer = ctx.clientIp;
      const ip = trustNone ? identityResolver.resolve(peer, undefined) : identityResolver.resolve(peer, rawHeader(ctx.req.rawHeaders, 'x-forwarded-for'));
      ctx.clientIp = ip;
      ctx.clientId = identityResolver.key(ip);
      return undefined;
    },
  };

  const denyIps = deny.ips.size > 0 ? deny.ips : null;
  const allowIps = allow.ips.size > 0 ? allow.ips : null;
  const ipAccess: Pass = {
    name: 'denylist',
    run(ctx) {
      if (denyIps !== null && denyIps.has(ctx.clientIp)) return V_DENY;
      if (allowIps !== null && allowIps.has(ctx.clientIp)) ctx.allowListed = true;
      return undefined;
    },
  };

  const denyKeys = deny.keyIds.size > 0 ? deny.keyIds : null;
  const allowKeys = allow.keyIds.size > 0 ? allow.keyIds : null;
  const auth: Pass = {
    name: 'auth',
    run(ctx) {
      if (!authRequired) return undefined;
      // Read rawHeaders, not req.headers: node builds that object lazily and nothing else needs it.
      const req = ctx.req;
      let presented = keyInAuthz ? undefined : rawHeader(req.rawHeaders, keyHeader); // copies are joined: never valid
      if (presented !== undefined) {
        ctx.stripHeaders = stripKey; // never forwarded (the HTTP forwarder drops stripHeaders)
        if ((req as { upgrade?: boolean }).upgrade) delete req.headers[keyHeader]; // WebSocket upgrades forward req.headers
      }
      if (presented === undefined || presented === '') {
        const bearer = bearerOf(rawHeader(req.rawHeaders, 'authorization'));
        if (bearer !== undefined) {
          presented = bearer;
          ctx.stripHeaders = ctx.stripHeaders === stripKey ? stripBoth : stripAuthz; // it carried the key
          if ((req as { upgrade?: boolean }).upgrade) delete req.headers.authorization;
        }
      }
      if (isPublic(ctx.path)) {
        // Public paths never refuse; a valid key still identifies the client.
        if (presented && keys.verify(presented, ctx.now) === AUTH_OK) {
          ctx.keyId = ctx.clientId = keys.last!.id;
        }
        return undefined;
      }
      if (presented === undefined || presented === '') return V_MISSING;
      const r = keys.verify(presented, ctx.now);
      if (r !== AUTH_OK) {
        if (r === AUTH_REVOKED) {
          ctx.keyId = keys.last!.id;
          return V_REVOKED;
        }
        if (r === AUTH_EXPIRED) {
          ctx.keyId = keys.last!.id;
          return V_EXPIRED;
        }
        return V_INVALID;
      }
      const id = keys.last!.id;
      ctx.keyId = id;
      ctx.clientId = id;
      if (denyKeys !== null && denyKeys.has(id)) return V_DENY;
      if (allowKeys !== null && allowKeys.has(id)) ctx.allowListed = true;
      return undefined;
    },
  };

  const rateLimit: Pass = {
    name: 'rate-limit',
    run(ctx) {
      if (!rl.enabled || ctx.allowListed) return undefined;
      let set: PolicySet;
      let limiter: SlidingWindowLimiter;
      let id: string;
      let reason: string;
      if (ctx.keyId !== null) {
        set = keySetFor(keys.get(ctx.keyId));
        limiter = keyLimiter;
        id = ctx.keyId;
        reason = 'rate_limit_key';
      } else {
        set = ipSet;
        limiter = ipLimiter;
        id = ctx.clientId ?? identityResolver.key(ctx.clientIp);
        reason = 'rate_limit_ip';
      }
      if (set.windows.length === 0) return undefined;
      const ok = limiter.hit(id, set.windows, ctx.now);
      pushRateLimitHeaders(ctx.responseHeaders, set, limiter.remaining, limiter.resetMs);
      if (ok) return undefined;
      const retry = Math.max(1, toSeconds(limiter.retryAfterMs));
      return {
        decision: 'THROTTLE',
        status: 429,
        reason,
        message: reason === 'rate_limit_key' ? 'rate limit exceeded for this API key' : 'rate limit exceeded for this client',
        headers: [['Retry-After', String(retry)]],
      };
    },
  };

  return {
    identity,
    ipAccess,
    auth,
    rateLimit,
    passes: [identity, ipAccess, auth, rateLimit],
    ipLimiter,
    keyLimiter,
    identityResolver,
  };
}

/** For tests and the bench: a context with just what the access passes read. */
export function accessContext(init: {
  ip: string;
  path?: string;
  headers?: Record<string, string>;
  now: number;
}): RequestContext {
  const headers = { ...(init.headers ?? {}) };
  const rawHeaders = Object.entries(headers).flat();
  const req = { headers, rawHeaders, method: 'GET', url: init.path ?? '/' } as unknown as RequestContext['req'];
  return {
    req,
    res: undefined as unknown as RequestContext['res'],
    now: init.now,
    requestId: 'test',
    path: init.path ?? '/',
    clientIp: init.ip,
    clientId: null,
    keyId: null,
    allowListed: false,
    score: null,
    features: null,
    explain: null,
    responseHeaders: [],
    wouldDecision: null,
    allowReason: 'ok',
    stripHeaders: null,
  };
}

/**
 * Removes from a flat [name, value, ...] header list the headers named in `names` (comma-separated,
 * lower-case; what a pass put in ctx.stripHeaders). Compares lengths first, so it allocates only for
 * a header whose name has the length of one being removed.
 *
 * Example: stripNamedHeaders(['X-API-Key', 'phk_…', 'Accept', '*\/*'], 'x-api-key') // → ['Accept', '*\/*']
 */
export function stripNamedHeaders(list: string[], names: string): void {
  let w = 0;
  for (let r = 0; r < list.length; r += 2) {
    const name = list[r];
    const n = name.length;
    let drop = false;
    // names is tiny ("x-api-key" or "x-api-key,authorization"): scan it in place.
    let start = 0;
    while (start < names.length) {
      let end = names.indexOf(',', start);
      if (end < 0) end = names.length;
      if (end - start === n && names.startsWith(name.toLowerCase(), start)) {
        drop = true;
        break;
      }
      start = end + 1;
    }
    if (drop) continue;
    list[w] = name;
    list[w + 1] = list[r + 1];
    w += 2;
  }
  list.length = w;
}
