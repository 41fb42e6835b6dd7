// Owns configuration validation: every key's rule and message, unknown-key suggestions, layering over defaults, deep freeze.
//
// Example:
//   const config = validateConfig({ port: '8080', limits: { upstreamTimeoutMs: '10s' } }, 'pathhelm.config.yaml');
//   config.limits.upstreamTimeoutMs; // 10000 (frozen)
//   validateConfig({ rateLimit: { ip: [{ limit: 5, windowMs: -5 }] } }, 'pathhelm.config.yaml');
//   // throws PH_ERR_CONFIG "pathhelm.config.yaml: rateLimit.ip[0].windowMs must be > 0 ms, got -5"
//
// Keys that other sections add to DEFAULT_CONFIG without a rule here are still checked by the type of
// their default (number, boolean, string, string[], object; *Ms numbers accept duration strings).

import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { PathHelmError } from '../errors.js';
import {
  DURATION_HINT,
  RATE_HINT,
  SIZE_HINT,
  parseCidr,
  tryParseDuration,
  tryParseRate,
  tryParseSize,
} from './parse.js';
import { DEFAULT_CONFIG, type PathHelmConfig, type RateWindow } from './types.js';
import { ID_CHARS, ID_PREFIX, KEY_PREFIX, isKeyId } from '../keys/format.js';
import { MAX_WINDOWS } from '../policy/ratelimit.js';

export type DeepPartial<T> = T extends (infer U)[]
  ? U[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** Result marker for a value that failed its rule (the error has been recorded). */
const FAIL: unique symbol = Symbol('fail');
type Out = unknown | typeof FAIL;

interface Ctx {
  errors: string[];
  /** Directory relative paths in this layer resolve against; undefined leaves them as written. */
  baseDir?: string;
}

type Rule = (value: unknown, key: string, ctx: Ctx) => Out;

// ------------------------------------------------------------------ rule builders

function fail(ctx: Ctx, key: string, message: string): typeof FAIL {
  ctx.errors.push(`${key} ${message}`);
  return FAIL;
}

/** Shows a value in a message: strings quoted, objects named. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'function') return 'a function (export the configuration object itself)';
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return String(v);
}

/** Accepts numbers and (for flags and env) decimal strings. */
function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

function integer(min: number, max = Number.MAX_SAFE_INTEGER, unit = ''): Rule {
  return (v, key, ctx) => {
    const n = toNumber(v);
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    if (n === undefined || !Number.isInteger(n) || n < min || n > max) {
      return fail(ctx, key, `must be a whole number ${range}${unit}, got ${describe(v)}`);
    }
    return n;
  };
}

function fraction(opts: { minExclusive?: boolean; nullable?: boolean }): Rule {
  return (v, key, ctx) => {
    if (v === null && opts.nullable) return null;
    const n = toNumber(v);
    const lo = opts.minExclusive ? '> 0' : '>= 0';
    const ok = n !== undefined && (opts.minExclusive ? n > 0 : n >= 0) && n <= 1;
    if (!ok) {
      const range = opts.minExclusive ? 'in (0, 1]' : 'in [0, 1]';
      return fail(ctx, key, `must be a number ${range} (${lo} and <= 1)${opts.nullable ? ' or null' : ''}, got ${describe(v)}`);
    }
    return n;
  };
}

function duration(opts: { allowZero?: boolean; zeroMeans?: string } = {}): Rule {
  return (v, key, ctx) => {
    const ms = tryParseDuration(v);
    if (ms === undefined) return fail(ctx, key, `must be ${DURATION_HINT}, got ${describe(v)}`);
    if (opts.allowZero ? ms < 0 : ms <= 0) {
      const zero = opts.allowZero ? ` (0 ${opts.zeroMeans ?? 'turns it off'})` : '';
      return fail(ctx, key, `must be ${opts.allowZero ? '>= 0' : '> 0'} ms${zero}, got ${describe(v)}`);
    }
    return ms;
  };
}

function size(opts: { min: number; zeroMeans?: string }): Rule {
  return (v, key, ctx) => {
    const bytes = tryParseSize(v);
    if (bytes === undefined) return fail(ctx, key, `must be ${SIZE_HINT}, got ${describe(v)}`);
    if (!Number.isInteger(bytes)) return fail(ctx, key, `must be a whole number of bytes, got ${describe(v)}`);
    if (bytes === 0 && opts.zeroMeans) return 0;
    if (bytes < opts.min) {
      const zero = opts.zeroMeans ? ` (or 0 for ${opts.zeroMeans})` : '';
      return fail(ctx, key, `must be at least ${opts.min} bytes${zero}, got ${describe(v)}`);
    }
    return bytes;
  };
}

const boolean: Rule = (v, key, ctx) =>
  typeof v === 'boolean' ? v : fail(ctx, key, `must be true or false, got ${describe(v)}`);

function oneOf(values: readonly string[]): Rule {
  return (v, key, ctx) => {
    if (typeof v === 'string' && values.includes(v)) return v;
    const hint = typeof v === 'string' ? suggest(v, values) : undefined;
    return fail(
      ctx,
      key,
      `must be one of ${values.map((x) => `"${x}"`).join(', ')}, got ${describe(v)}${hint ? `; did you mean "${hint}"?` : ''}`,
    );
  };
}

function nonEmptyString(what = 'a non-empty string'): Rule {
  return (v, key, ctx) => (typeof v === 'string' && v.trim() !== '' ? v : fail(ctx, key, `must be ${what}, got ${describe(v)}`));
}

/** Secrets: null or at least 16 visible ASCII characters (they travel as HTTP header values). */
function secret(envName: string): Rule {
  return (v, key, ctx) => {
    if (v === null) return null;
    const problem = secretProblem(v);
    if (problem) return fail(ctx, key, `${problem}; set it to null to ${envName === 'PATHHELM_GATEWAY_TOKEN' ? 'generate one into the state directory' : 'turn it off'}, or use the ${envName} environment variable`);
    return v;
  };
}

/** Why a value cannot be used as a secret token, or undefined when it can. */
export function secretProblem(v: unknown): string | undefined {
  // Never echo the value: it may be (part of) a real secret.
  if (typeof v !== 'string') return `must be a string or null, got ${Array.isArray(v) ? 'a list' : `a ${typeof v}`}`;
  if (!/^[\x21-\x7e]+$/.test(v)) return 'must contain only visible ASCII characters (no spaces or control characters)';
  if (v.length < 16) return `must be at least 16 characters long (e.g. \`openssl rand -base64 32\`), got ${v.length}`;
  return undefined;
}

/** Relative file paths in a config file resolve against the file's directory. */
function filePath(opts: { nullable: boolean; special?: string[] }): Rule {
  return (v, key, ctx) => {
    if (v === null && opts.nullable) return null;
    if (typeof v !== 'string' || v.trim() === '') {
      return fail(ctx, key, `must be a file path${opts.nullable ? ' or null' : ''}, got ${describe(v)}`);
    }
    if (opts.special?.includes(v) || ctx.baseDir === undefined || isAbsolute(v)) return v;
    return resolve(ctx.baseDir, v);
  };
}

const HOSTNAME_RE = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

const host: Rule = (v, key, ctx) => {
  if (typeof v !== 'string' || v === '') return fail(ctx, key, `must be an IP address or host name like "127.0.0.1", "::" or "localhost", got ${describe(v)}`);
  if (/^\[.*\]$/.test(v)) return fail(ctx, key, `must be written without brackets: use "${v.slice(1, -1)}", got ${describe(v)}`);
  if (isIP(v) || HOSTNAME_RE.test(v)) return v;
  return fail(ctx, key, `must be an IP address or host name like "127.0.0.1", "::" or "localhost", got ${describe(v)}`);
};

const upstream: Rule = (v, key, ctx) => {
  const example = 'like "http://127.0.0.1:9000"';
  if (typeof v !== 'string') return fail(ctx, key, `must be an http:// or https:// URL ${example}, got ${describe(v)}`);
  let url: URL;
  if (!v.includes('://') && URL.canParse(`http://${v}`) && !/\s/.test(v)) {
    return fail(ctx, key, `must start with http:// or https://; did you mean "http://${v}"?`);
  }
  try {
    url = new URL(v);
  } catch {
    return fail(ctx, key, `must be an http:// or https:// URL ${example}, got ${describe(v)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return fail(ctx, key, `must use http:// or https://, got ${describe(v)}`);
  }
  if (!url.hostname) return fail(ctx, key, `must name a host ${example}, got ${describe(v)}`);
  if (url.username || url.password) return fail(ctx, key, `must not contain credentials (user:password@), got a URL with credentials`);
  if (url.search || url.hash) return fail(ctx, key, `must be a base URL without ?query or #fragment, got ${describe(v)}`);
  return v;
};

const adminPrefix: Rule = (v, key, ctx) => {
  if (typeof v !== 'string' || !/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]+$/.test(v) || v.endsWith('/') || v.includes('//')) {
    return fail(ctx, key, `must be a URL path like "/_pathhelm" (leading slash, no trailing slash, no spaces, ? or #), got ${describe(v)}`);
  }
  return v;
};

const TCHAR_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const RESERVED_HEADERS = ['x-gateway-token', 'host', 'connection', 'content-length', 'transfer-encoding', 'upgrade', 'cookie', 'x-request-id', 'x-forwarded-for'];

const headerName: Rule = (v, key, ctx) => {
  if (typeof v !== 'string' || !TCHAR_RE.test(v)) return fail(ctx, key, `must be an HTTP header name like "x-api-key", got ${describe(v)}`);
  const lower = v.toLowerCase();
  if (RESERVED_HEADERS.includes(lower)) return fail(ctx, key, `must not be "${lower}" (PathHelm or HTTP itself uses it); pick another header, e.g. "x-api-key"`);
  return lower;
};

function list(item: Rule, opts: { allowSingle?: boolean } = {}): Rule {
  return (v, key, ctx) => {
    if (opts.allowSingle && !Array.isArray(v) && v !== null && v !== undefined) v = [v];
    if (!Array.isArray(v)) return fail(ctx, key, `must be a list, got ${describe(v)}`);
    const out: unknown[] = [];
    let failed = false;
    v.forEach((x, i) => {
      const r = item(x, `${key}[${i}]`, ctx);
      if (r === FAIL) failed = true;
      else out.push(r);
    });
    return failed ? FAIL : out;
  };
}

const publicPath: Rule = (v, key, ctx) => {
  if (typeof v !== 'string' || !v.startsWith('/') || /\s/.test(v) || v.slice(0, -1).includes('*')) {
    return fail(ctx, key, `must be a path like "/health" or a prefix like "/docs/*" ("*" only at the end), got ${describe(v)}`);
  }
  return v;
};

const cidr: Rule = (v, key, ctx) => {
  if (typeof v !== 'string') return fail(ctx, key, `must be an IP address or CIDR string, got ${describe(v)}`);
  const parsed = parseCidr(v);
  if (typeof parsed === 'string') return fail(ctx, key, `${describe(v)} ${parsed}`);
  return v;
};

/**
 * allow/deny key ids: any identifier starting with a letter (so names from other id schemes work), except
 * that anything starting with `ph_` must be a well-formed PathHelm key id and a full key (`phk_…`) is refused.
 */
export const KEY_ID_RE = /^[A-Za-z][A-Za-z0-9_-]{0,127}$/;

/** allow/deny entries: an IP, a CIDR, or an API key id. */
const ipCidrOrKeyId: Rule = (v, key, ctx) => {
  if (typeof v !== 'string' || v === '') return fail(ctx, key, `must be an IP address, a CIDR or an API key id, got ${describe(v)}`);
  const looksLikeAddress = v.includes('/') || v.includes(':') || v.includes('.') || /^\d/.test(v);
  if (looksLikeAddress) {
    const parsed = parseCidr(v);
    if (typeof parsed === 'string') return fail(ctx, key, `${describe(v)} ${parsed}`);
    return v;
  }
  if (v.startsWith(KEY_PREFIX)) {
    return fail(ctx, key, `looks like an API key itself ("${KEY_PREFIX}…"); put its public id ("${ID_PREFIX}" + ${ID_CHARS} characters, shown by \`pathhelm keys list\`) here, never the key`);
  }
  if (v.startsWith(ID_PREFIX) && !isKeyId(v)) {
    return fail(ctx, key, `${describe(v)} looks like an API key id but is malformed: ids are "${ID_PREFIX}" + ${ID_CHARS} letters/digits, like "ph_4fZq81Kx"`);
  }
  if (KEY_ID_RE.test(v)) return v;
  return fail(ctx, key, `must be an IP address, a CIDR or an API key id (letters, digits, "_" or "-", starting with a letter, like "ph_4fZq81Kx"), got ${describe(v)}`);
};

const rateWindow: Rule = (v, key, ctx) => {
  if (typeof v === 'string') {
    const r = tryParseRate(v);
    if (!r) return fail(ctx, key, `must be ${RATE_HINT}, got ${describe(v)}`);
    if (r.limit < 1) return fail(ctx, key, `limit must be >= 1 request, got ${describe(v)}`);
    if (r.windowMs <= 0) return fail(ctx, key, `window must be > 0 ms, got ${describe(v)}`);
    return r;
  }
  if (!isPlainObject(v)) return fail(ctx, key, `must be ${RATE_HINT}, got ${describe(v)}`);
  if (!checkKeys(v, ['limit', 'windowMs'], key, ctx)) return FAIL;
  let failed = false;
  for (const k of ['limit', 'windowMs']) if (!(k in v)) failed = !!fail(ctx, `${key}.${k}`, 'is missing (write { limit: 100, windowMs: 1000 } or "100/1s")');
  if (failed) return FAIL;
  const limit = integer(1, Number.MAX_SAFE_INTEGER, ' requests')(v.limit, `${key}.limit`, ctx);
  const windowMs = duration()(v.windowMs, `${key}.windowMs`, ctx);
  if (limit === FAIL || windowMs === FAIL) return FAIL;
  return { limit, windowMs } as RateWindow;
};

/** Rules by dotted key. Anything not listed falls back to the type of its default. */
const RULES: Record<string, Rule> = {
  host,
  port: integer(0, 65535),
  upstream,
  db: filePath({ nullable: false, special: [':memory:'] }),
  gatewayToken: secret('PATHHELM_GATEWAY_TOKEN'),
  mode: oneOf(['enforce', 'monitor']),
  demo: boolean,

  'limits.maxHeaderBytes': size({ min: 1024 }),
  'limits.maxBodyBytes': size({ min: 1, zeroMeans: 'no limit' }),
  'limits.headersTimeoutMs': duration(),
  'limits.requestTimeoutMs': duration({ allowZero: true, zeroMeans: 'means no limit' }),
  'limits.upstreamTimeoutMs': duration(),
  'limits.keepAliveTimeoutMs': duration(),
  'limits.shutdownGraceMs': duration({ allowZero: true, zeroMeans: 'means do not wait' }),
  'limits.upstreamConnections': integer(1, 100_000, ' connections'),

  'telemetry.flushIntervalMs': duration(),
  'telemetry.batchSize': integer(1, 1_000_000, ' rows'),
  'telemetry.maxQueue': integer(1, 100_000_000, ' events'),

  'admin.prefix': adminPrefix,
  'admin.token': secret('PATHHELM_ADMIN_TOKEN'),

  'auth.required': boolean,
  'auth.header': headerName,
  'auth.publicPaths': list(publicPath),

  'rateLimit.enabled': boolean,
  'rateLimit.ip': list(rateWindow, { allowSingle: true }),
  'rateLimit.key': list(rateWindow, { allowSingle: true }),
  'rateLimit.maxClients': integer(1, 100_000_000, ' clients'),

  trustedProxies: list(cidr),
  ipv6PrefixLength: integer(1, 128),
  allow: list(ipCidrOrKeyId),
  deny: list(ipCidrOrKeyId),

  'behaviour.enabled': boolean,
  'behaviour.windowMs': duration(),
  'behaviour.minEvents': integer(1, 1_000_000, ' events'),
  'behaviour.maxClients': integer(1, 100_000_000, ' clients'),
  'behaviour.regular.requests': (v, key, ctx) =>
    toNumber(v) === 0 ? 0 : integer(2, 31, ' gaps (or 0 to turn the regular-crawl rule off)')(v, key, ctx),
  'behaviour.regular.maxCv': fraction({ minExclusive: true }),
  'behaviour.regular.minDistinct': integer(1, 32, ' endpoints'),
  'behaviour.regular.minGapMs': duration({ allowZero: true, zeroMeans: 'means any speed' }),
  'behaviour.poller.requests': (v, key, ctx) =>
    toNumber(v) === 0 ? 0 : integer(2, 32, ' requests (or 0 to turn the steady-poller rule off)')(v, key, ctx),
  'behaviour.poller.maxDistinct': integer(1, 32, ' targets'),
  'behaviour.poller.maxWindowDistinct': integer(1, 16, ' endpoints'),
  'behaviour.poller.maxExceptions': integer(0, 32, ' requests'),
  'behaviour.poller.minPeriodMs': duration({ allowZero: true, zeroMeans: 'means any speed' }),

  // The default names the model shipped inside the package; it stays as written so the model loader finds it.
  'ml.model': filePath({ nullable: true, special: [DEFAULT_CONFIG.ml.model ?? ''] }),
  'ml.mode': oneOf(['inline', 'async']),
  'ml.blockThreshold': fraction({ nullable: true }),
  'ml.flagThreshold': fraction({ nullable: true }),
  'ml.consecutive': integer(1, 1_000),
  'ml.flaggedRateFactor': fraction({ minExclusive: true }),

  'bans.baseMs': duration(),
  'bans.maxMs': duration(),
};

/** Checks after all layers merged: rules that involve two keys. */
function crossChecks(c: PathHelmConfig): string[] {
  const errors: string[] = [];
  const l = c.limits;
  if (l.requestTimeoutMs > 0 && l.headersTimeoutMs > l.requestTimeoutMs) {
    errors.push(`limits.headersTimeoutMs (${l.headersTimeoutMs} ms) must be <= limits.requestTimeoutMs (${l.requestTimeoutMs} ms); raise requestTimeoutMs or set it to 0 (no limit)`);
  }
  const { blockThreshold, flagThreshold } = c.ml;
  if (blockThreshold !== null && flagThreshold !== null && flagThreshold > blockThreshold) {
    errors.push(`ml.flagThreshold (${flagThreshold}) must be <= ml.blockThreshold (${blockThreshold}); flagging is the milder step`);
  }
  // Access control (issue 3): the limiter keeps at most MAX_WINDOWS windows per client.
  for (const scope of ['ip', 'key'] as const) {
    const n = c.rateLimit[scope].length;
    if (n > MAX_WINDOWS) errors.push(`rateLimit.${scope} has ${n} windows; at most ${MAX_WINDOWS} are supported (e.g. "10/1s", "300/1m", "5000/1h", "50000/1d")`);
  }
  const p = c.behaviour.poller;
  if (p.requests > 0 && p.maxDistinct > p.requests) {
    errors.push(`behaviour.poller.maxDistinct (${p.maxDistinct}) must be <= behaviour.poller.requests (${p.requests}); a client cannot touch more targets than requests`);
  }
  if (p.requests > 0 && p.maxExceptions >= p.requests) {
    errors.push(`behaviour.poller.maxExceptions (${p.maxExceptions}) must be < behaviour.poller.requests (${p.requests}); a steady poller is mostly clean reads`);
  }
  if (c.bans.maxMs < c.bans.baseMs) {
    errors.push(`bans.maxMs (${c.bans.maxMs} ms) must be >= bans.baseMs (${c.bans.baseMs} ms)`);
  }
  return errors;
}

// ------------------------------------------------------------------ structure walk

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Records unknown keys of `obj` (with suggestions); true when all keys are known. */
function checkKeys(obj: Record<string, unknown>, known: string[], path: string, ctx: Ctx): boolean {
  let ok = true;
  for (const k of Object.keys(obj)) {
    if (known.includes(k)) continue;
    ok = false;
    const full = path ? `${path}.${k}` : k;
    const near = suggest(k, known);
    if (near) {
      ctx.errors.push(`${full} is not a known key; did you mean ${path ? `${path}.` : ''}${near}?`);
      continue;
    }
    const elsewhere = ALL_KEYS.filter((p) => p.endsWith(`.${k}`) || p === k);
    if (elsewhere.length > 0) {
      ctx.errors.push(`${full} is not a known key here; did you mean ${elsewhere.join(' or ')}?`);
      continue;
    }
    ctx.errors.push(`${full} is not a known key (known keys${path ? ` in ${path}` : ''}: ${known.join(', ')})`);
  }
  return ok;
}

function leafKeys(obj: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    const p = prefix ? `${prefix}.${k}` : k;
    if (isPlainObject(v)) out.push(p, ...leafKeys(v, p));
    else out.push(p);
  }
  return out;
}

const ALL_KEYS = leafKeys(DEFAULT_CONFIG as unknown as Record<string, unknown>);

/** Fallback for keys without a rule: the type of the default decides. */
function inferredRule(def: unknown, key: string): Rule | undefined {
  if (typeof def === 'boolean') return boolean;
  if (typeof def === 'number') {
    if (/Ms$/.test(key)) return duration({ allowZero: true });
    if (/Bytes$/.test(key)) return size({ min: 0 });
    return (v, k, ctx) => {
      const n = toNumber(v);
      return n === undefined ? fail(ctx, k, `must be a number, got ${describe(v)}`) : n;
    };
  }
  if (typeof def === 'string') return nonEmptyString();
  if (Array.isArray(def)) {
    if (def.every((x) => typeof x === 'string')) return list(nonEmptyString());
    return (v, k, ctx) => (Array.isArray(v) ? v : fail(ctx, k, `must be a list, got ${describe(v)}`));
  }
  return undefined; // null default (or an unusual shape): accept as given
}

function walk(raw: Record<string, unknown>, base: Record<string, unknown>, shape: Record<string, unknown>, path: string, ctx: Ctx): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  checkKeys(raw, Object.keys(shape), path, ctx);
  for (const [k, v] of Object.entries(raw)) {
    if (!(k in shape) || v === undefined) continue;
    const key = path ? `${path}.${k}` : k;
    const rule = RULES[key];
    const def = shape[k];
    if (!rule && isPlainObject(def)) {
      if (!isPlainObject(v)) {
        fail(ctx, key, `must be an object (a mapping of ${Object.keys(def).join(', ')}), got ${describe(v)}`);
        continue;
      }
      out[k] = walk(v, (base[k] ?? def) as Record<string, unknown>, def, key, ctx);
      continue;
    }
    const r = (rule ?? inferredRule(def, key))?.(v, key, ctx) ?? v;
    if (r !== FAIL) out[k] = r;
  }
  return out;
}

/**
 * Validates one layer (a config file, the environment, command-line flags) over `base` and returns the
 * merged, not yet frozen config. Errors are collected and thrown together as one PH_ERR_CONFIG.
 */
export function applyLayer(raw: unknown, base: PathHelmConfig, source: string, baseDir?: string): PathHelmConfig {
  if (raw === undefined || raw === null) return base;
  if (!isPlainObject(raw)) {
    throw new PathHelmError('PH_ERR_CONFIG', `${source}: the configuration must be an object (a mapping of keys), got ${describe(raw)}`);
  }
  const ctx: Ctx = { errors: [], baseDir };
  const merged = walk(raw, base as unknown as Record<string, unknown>, DEFAULT_CONFIG as unknown as Record<string, unknown>, '', ctx);
  throwIfErrors(ctx.errors, source);
  return merged as unknown as PathHelmConfig;
}

/** Runs the checks that involve several keys; throws PH_ERR_CONFIG naming the keys. */
export function checkCombined(config: PathHelmConfig, source: string): void {
  throwIfErrors(crossChecks(config), source);
}

function throwIfErrors(errors: string[], source: string): void {
  if (errors.length === 0) return;
  if (errors.length === 1) throw new PathHelmError('PH_ERR_CONFIG', `${source}: ${errors[0]}`);
  throw new PathHelmError('PH_ERR_CONFIG', `${source}: ${errors.length} problems:\n  - ${errors.join('\n  - ')}`);
}

/**
 * Validates a raw config object, merges it over DEFAULT_CONFIG and deep-freezes the result.
 * `source` prefixes every message (usually the config file name).
 */
export function validateConfig(raw: unknown, source: string): PathHelmConfig {
  const merged = applyLayer(raw, structuredClone(DEFAULT_CONFIG), source);
  checkCombined(merged, source);
  return deepFreeze(merged);
}

/** Freezes an object graph in place and returns it. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

// ------------------------------------------------------------------ suggestions

/** Levenshtein distance (case-insensitive). */
export function levenshtein(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** The closest candidate within a distance of max(2, a third of its length), if any. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  if (best === undefined) return undefined;
  return bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}
