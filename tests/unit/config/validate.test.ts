// Unit tests for src/config/validate.ts: every rule with its message, suggestions, merging, freezing.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/config/types.js';
import { levenshtein, suggest, validateConfig } from '../../../src/config/validate.js';
import { PathHelmError } from '../../../src/errors.js';

const SRC = 'pathhelm.config.yaml';

function errorOf(raw: unknown): PathHelmError {
  try {
    validateConfig(raw, SRC);
  } catch (err) {
    expect(err).toBeInstanceOf(PathHelmError);
    expect((err as PathHelmError).code).toBe('PH_ERR_CONFIG');
    return err as PathHelmError;
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
}

describe('validateConfig: defaults, merging, freezing', () => {
  it('returns the defaults for an empty object and for undefined', () => {
    expect(validateConfig({}, SRC)).toEqual(DEFAULT_CONFIG);
    expect(validateConfig(undefined, SRC)).toEqual(DEFAULT_CONFIG);
  });

  it('merges nested sections over the defaults and keeps the other keys', () => {
    const c = validateConfig({ limits: { upstreamTimeoutMs: 5000 } }, SRC);
    expect(c.limits.upstreamTimeoutMs).toBe(5000);
    expect(c.limits.headersTimeoutMs).toBe(DEFAULT_CONFIG.limits.headersTimeoutMs);
    expect(c.telemetry).toEqual(DEFAULT_CONFIG.telemetry);
  });

  it('replaces lists instead of merging them', () => {
    const c = validateConfig({ rateLimit: { ip: ['10/1s'] } }, SRC);
    expect(c.rateLimit.ip).toEqual([{ limit: 10, windowMs: 1000 }]);
  });

  it('deep-freezes the result and never mutates DEFAULT_CONFIG', () => {
    const c = validateConfig({ rateLimit: { ip: ['10/1s'] } }, SRC);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.limits)).toBe(true);
    expect(Object.isFrozen(c.rateLimit.ip)).toBe(true);
    expect(Object.isFrozen(c.rateLimit.ip[0])).toBe(true);
    expect(() => {
      (c as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(Object.isFrozen(DEFAULT_CONFIG)).toBe(false);
    expect(DEFAULT_CONFIG.rateLimit.ip).toHaveLength(2);
  });

  it('rejects a non-object configuration', () => {
    expect(errorOf([1, 2]).message).toBe(`${SRC}: the configuration must be an object (a mapping of keys), got a list`);
    expect(errorOf('port: 1').message).toMatch(/must be an object/);
  });

  it('reports every problem at once, one per line', () => {
    const msg = errorOf({ port: -1, mode: 'x', limits: { maxBodyBytes: 'huge' } }).message;
    expect(msg).toMatch(/^pathhelm\.config\.yaml: 3 problems:\n {2}- port /);
    expect(msg).toContain('\n  - mode must be one of');
    expect(msg).toContain('\n  - limits.maxBodyBytes must be');
  });
});

describe('validateConfig: accepted forms', () => {
  it('parses durations, sizes, rates and numeric strings', () => {
    const c = validateConfig(
      {
        port: '8080',
        limits: { upstreamTimeoutMs: '10s', headersTimeoutMs: '500ms', maxHeaderBytes: '32kb', maxBodyBytes: '10mb', shutdownGraceMs: 0 },
        telemetry: { flushIntervalMs: '1s' },
        rateLimit: { ip: ['100/1s', { limit: 5, windowMs: '1m' }], key: '50/s' },
        behaviour: { windowMs: '5m' },
        bans: { baseMs: '1h', maxMs: '1d' },
      },
      SRC,
    );
    expect(c.port).toBe(8080);
    expect(c.limits).toMatchObject({ upstreamTimeoutMs: 10_000, headersTimeoutMs: 500, maxHeaderBytes: 32_768, maxBodyBytes: 10_485_760, shutdownGraceMs: 0 });
    expect(c.telemetry.flushIntervalMs).toBe(1000);
    expect(c.rateLimit.ip).toEqual([{ limit: 100, windowMs: 1000 }, { limit: 5, windowMs: 60_000 }]);
    expect(c.rateLimit.key).toEqual([{ limit: 50, windowMs: 1000 }]);
    expect(c.behaviour.windowMs).toBe(300_000);
    expect(c.bans).toEqual({ baseMs: 3_600_000, maxMs: 86_400_000 });
  });

  it('accepts IPs, CIDRs and key ids in allow/deny, CIDRs in trustedProxies', () => {
    const c = validateConfig(
      { allow: ['10.0.0.0/8', 'ph_4fZq81Kx', '2001:db8::/32'], deny: ['203.0.113.7', 'fe80::1', 'mobileApp'], trustedProxies: ['127.0.0.1', '10.0.0.0/8', '::1'] },
      SRC,
    );
    expect(c.allow).toEqual(['10.0.0.0/8', 'ph_4fZq81Kx', '2001:db8::/32']);
    expect(c.deny).toHaveLength(3);
    expect(c.trustedProxies).toHaveLength(3);
  });

  it('accepts hosts, http(s) upstreams, nullable secrets and thresholds', () => {
    const c = validateConfig(
      {
        host: '::',
        upstream: 'https://api.internal:8443/v1',
        gatewayToken: 'a-long-enough-secret-token',
        admin: { token: null, prefix: '/ops/_ph' },
        ml: { model: null, blockThreshold: 0.7, flagThreshold: 0.6, flaggedRateFactor: 1 },
        auth: { header: 'X-Client-Key', publicPaths: ['/health', '/docs/*'] },
      },
      SRC,
    );
    expect(c.host).toBe('::');
    expect(c.upstream).toBe('https://api.internal:8443/v1');
    expect(c.auth.header).toBe('x-client-key');
    expect(c.ml.model).toBeNull();
    for (const host of ['0.0.0.0', 'localhost', 'gateway.example.com']) expect(validateConfig({ host }, SRC).host).toBe(host);
  });

  it('leaves relative paths as written (loadConfig resolves them against the config file)', () => {
    expect(validateConfig({ db: 'data/x.db', ml: { model: 'm.json' } }, SRC)).toMatchObject({ db: 'data/x.db', ml: { model: 'm.json' } });
  });
});

describe('validateConfig: every rule names the key and the fix', () => {
  it.each<[string, unknown, string]>([
    ['port range', { port: 70000 }, 'port must be a whole number from 0 to 65535, got 70000'],
    ['port fraction', { port: 80.5 }, 'port must be a whole number from 0 to 65535, got 80.5'],
    ['port text', { port: 'http' }, 'port must be a whole number from 0 to 65535, got "http"'],
    ['host', { host: 'not a host!' }, 'host must be an IP address or host name like "127.0.0.1", "::" or "localhost", got "not a host!"'],
    ['host brackets', { host: '[::1]' }, 'host must be written without brackets: use "::1", got "[::1]"'],
    ['upstream scheme', { upstream: 'ftp://x:21' }, 'upstream must use http:// or https://, got "ftp://x:21"'],
    ['upstream scheme missing', { upstream: '127.0.0.1:9000' }, 'upstream must start with http:// or https://; did you mean "http://127.0.0.1:9000"?'],
    ['upstream junk', { upstream: 'not a url' }, 'upstream must be an http:// or https:// URL like "http://127.0.0.1:9000", got "not a url"'],
    ['upstream query', { upstream: 'http://x/?a=1' }, 'upstream must be a base URL without ?query or #fragment, got "http://x/?a=1"'],
    ['upstream creds', { upstream: 'http://u:p@x' }, 'upstream must not contain credentials (user:password@)'],
    ['db', { db: '' }, 'db must be a file path, got ""'],
    ['mode', { mode: 'monitr' }, 'mode must be one of "enforce", "monitor", got "monitr"; did you mean "monitor"?'],
    ['demo', { demo: 'yes' }, 'demo must be true or false, got "yes"'],
    ['gatewayToken short', { gatewayToken: 'secret' }, 'gatewayToken must be at least 16 characters long (e.g. `openssl rand -base64 32`), got 6; set it to null to generate one into the state directory, or use the PATHHELM_GATEWAY_TOKEN environment variable'],
    ['gatewayToken spaces', { gatewayToken: 'has spaces in it, long enough' }, 'gatewayToken must contain only visible ASCII characters'],
    ['gatewayToken type', { gatewayToken: 12345678901234567 }, 'gatewayToken must be a string or null, got a number'],
    ['admin.token', { admin: { token: 'short' } }, 'admin.token must be at least 16 characters long'],
    ['admin.prefix slash', { admin: { prefix: '/_pathhelm/' } }, 'admin.prefix must be a URL path like "/_pathhelm" (leading slash, no trailing slash, no spaces, ? or #), got "/_pathhelm/"'],
    ['admin.prefix relative', { admin: { prefix: '_pathhelm' } }, 'admin.prefix must be a URL path like "/_pathhelm"'],
    ['admin.prefix root', { admin: { prefix: '/' } }, 'admin.prefix must be a URL path'],
    ['maxHeaderBytes', { limits: { maxHeaderBytes: 100 } }, 'limits.maxHeaderBytes must be at least 1024 bytes, got 100'],
    ['maxBodyBytes', { limits: { maxBodyBytes: 'lots' } }, 'limits.maxBodyBytes must be a number of bytes or a string like "512b", "16kb", "10mb", "1gb" (1kb = 1024 bytes), got "lots"'],
    ['maxBodyBytes negative', { limits: { maxBodyBytes: -1 } }, 'limits.maxBodyBytes must be at least 1 bytes (or 0 for no limit), got -1'],
    ['headersTimeoutMs zero', { limits: { headersTimeoutMs: 0 } }, 'limits.headersTimeoutMs must be > 0 ms, got 0'],
    ['upstreamTimeoutMs', { limits: { upstreamTimeoutMs: '5 minutes' } }, 'limits.upstreamTimeoutMs must be a number of milliseconds or a string like "500ms", "10s", "5m", "1h", "1d", got "5 minutes"'],
    ['requestTimeoutMs', { limits: { requestTimeoutMs: -1 } }, 'limits.requestTimeoutMs must be >= 0 ms (0 means no limit), got -1'],
    ['shutdownGraceMs', { limits: { shutdownGraceMs: -1 } }, 'limits.shutdownGraceMs must be >= 0 ms (0 means do not wait), got -1'],
    ['keepAliveTimeoutMs', { limits: { keepAliveTimeoutMs: 0 } }, 'limits.keepAliveTimeoutMs must be > 0 ms, got 0'],
    ['upstreamConnections', { limits: { upstreamConnections: 0 } }, 'limits.upstreamConnections must be a whole number from 1 to 100000 connections, got 0'],
    ['flushIntervalMs', { telemetry: { flushIntervalMs: 0 } }, 'telemetry.flushIntervalMs must be > 0 ms, got 0'],
    ['batchSize', { telemetry: { batchSize: 0 } }, 'telemetry.batchSize must be a whole number from 1 to 1000000 rows, got 0'],
    ['maxQueue', { telemetry: { maxQueue: 1.5 } }, 'telemetry.maxQueue must be a whole number from 1 to 100000000 events, got 1.5'],
    ['auth.required', { auth: { required: 1 } }, 'auth.required must be true or false, got 1'],
    ['auth.header', { auth: { header: 'x api key' } }, 'auth.header must be an HTTP header name like "x-api-key", got "x api key"'],
    ['auth.header reserved', { auth: { header: 'X-Gateway-Token' } }, 'auth.header must not be "x-gateway-token" (PathHelm or HTTP itself uses it)'],
    ['publicPaths', { auth: { publicPaths: ['health'] } }, 'auth.publicPaths[0] must be a path like "/health" or a prefix like "/docs/*" ("*" only at the end), got "health"'],
    ['publicPaths star', { auth: { publicPaths: ['/ok', '/a/*/b'] } }, 'auth.publicPaths[1] must be a path like "/health"'],
    ['publicPaths type', { auth: { publicPaths: '/health' } }, 'auth.publicPaths must be a list, got "/health"'],
    ['rate windowMs', { rateLimit: { ip: [{ limit: 5, windowMs: -5 }] } }, 'rateLimit.ip[0].windowMs must be > 0 ms, got -5'],
    ['rate limit', { rateLimit: { key: [{ limit: 0, windowMs: 1000 }] } }, 'rateLimit.key[0].limit must be a whole number >= 1 requests, got 0'],
    ['rate string', { rateLimit: { ip: ['100/1s', '100 per second'] } }, 'rateLimit.ip[1] must be a string like "100/1s", "3000/10m" (requests/duration) or { limit, windowMs }, got "100 per second"'],
    ['rate string zero', { rateLimit: { ip: ['0/1s'] } }, 'rateLimit.ip[0] limit must be >= 1 request, got "0/1s"'],
    ['rate missing', { rateLimit: { ip: [{ limit: 5 }] } }, 'rateLimit.ip[0].windowMs is missing (write { limit: 100, windowMs: 1000 } or "100/1s")'],
    ['rate typo', { rateLimit: { ip: [{ limit: 5, window: 1000 }] } }, 'rateLimit.ip[0].window is not a known key; did you mean rateLimit.ip[0].windowMs?'],
    ['rate type', { rateLimit: { ip: [42] } }, 'rateLimit.ip[0] must be a string like "100/1s"'],
    ['rateLimit.enabled', { rateLimit: { enabled: 'no' } }, 'rateLimit.enabled must be true or false, got "no"'],
    ['rateLimit.maxClients', { rateLimit: { maxClients: 0 } }, 'rateLimit.maxClients must be a whole number from 1 to 100000000 clients, got 0'],
    ['trustedProxies', { trustedProxies: ['10.0.0.1/8'] }, 'trustedProxies[0] "10.0.0.1/8" has host bits set after /8; did you mean "10.0.0.0/8"?'],
    ['trustedProxies name', { trustedProxies: ['proxy.local'] }, 'trustedProxies[0] "proxy.local" is not a valid IP address or CIDR'],
    ['trustedProxies prefix', { trustedProxies: ['10.0.0.0/40'] }, 'trustedProxies[0] "10.0.0.0/40" has an invalid prefix length "/40"; IPv4 prefixes are /0 to /32'],
    ['ipv6PrefixLength', { ipv6PrefixLength: 0 }, 'ipv6PrefixLength must be a whole number from 1 to 128, got 0'],
    ['allow ip', { allow: ['300.1.1.1'] }, 'allow[0] "300.1.1.1" is not a valid IP address or CIDR'],
    ['deny key id', { deny: ['_bad id'] }, 'deny[0] must be an IP address, a CIDR or an API key id (letters, digits, "_" or "-", starting with a letter, like "ph_4fZq81Kx"), got "_bad id"'],
    ['deny short key id', { deny: ['ph_abc'] }, 'deny[0] "ph_abc" looks like an API key id but is malformed: ids are "ph_" + 8 letters/digits, like "ph_4fZq81Kx"'],
    ['allow full key', { allow: ['phk_4fZq81Kx_0123456789012345678901234567890123456789'] }, 'allow[0] looks like an API key itself ("phk_…"); put its public id ("ph_" + 8 characters, shown by `pathhelm keys list`) here, never the key'],
    ['deny ipv6 cidr', { deny: ['2001:db8::1/32'] }, 'deny[0] "2001:db8::1/32" has host bits set after /32; did you mean "2001:db8::/32"?'],
    ['behaviour.enabled', { behaviour: { enabled: null } }, 'behaviour.enabled must be true or false, got null'],
    ['behaviour.windowMs', { behaviour: { windowMs: '0s' } }, 'behaviour.windowMs must be > 0 ms, got "0s"'],
    ['behaviour.minEvents', { behaviour: { minEvents: 0 } }, 'behaviour.minEvents must be a whole number from 1 to 1000000 events, got 0'],
    ['ml.mode', { ml: { mode: 'sync' } }, 'ml.mode must be one of "inline", "async", got "sync"'],
    ['ml.model', { ml: { model: 5 } }, 'ml.model must be a file path or null, got 5'],
    ['ml.blockThreshold', { ml: { blockThreshold: 1.5 } }, 'ml.blockThreshold must be a number in [0, 1] (>= 0 and <= 1) or null, got 1.5'],
    ['ml.flagThreshold', { ml: { flagThreshold: -0.1 } }, 'ml.flagThreshold must be a number in [0, 1] (>= 0 and <= 1) or null, got -0.1'],
    ['ml.flaggedRateFactor zero', { ml: { flaggedRateFactor: 0 } }, 'ml.flaggedRateFactor must be a number in (0, 1] (> 0 and <= 1), got 0'],
    ['ml.flaggedRateFactor big', { ml: { flaggedRateFactor: 2 } }, 'ml.flaggedRateFactor must be a number in (0, 1] (> 0 and <= 1), got 2'],
    ['ml.consecutive', { ml: { consecutive: 0 } }, 'ml.consecutive must be a whole number from 1 to 1000, got 0'],
    ['bans.baseMs', { bans: { baseMs: 'forever' } }, 'bans.baseMs must be a number of milliseconds'],
    ['section type', { limits: 5 }, 'limits must be an object (a mapping of maxHeaderBytes, maxBodyBytes,'],
  ])('%s', (_name, raw, message) => {
    expect(errorOf(raw).message).toContain(`${SRC}: ${message}`);
  });

  it('checks rules that involve two keys', () => {
    expect(errorOf({ limits: { headersTimeoutMs: 20_000, requestTimeoutMs: 10_000 } }).message).toBe(
      `${SRC}: limits.headersTimeoutMs (20000 ms) must be <= limits.requestTimeoutMs (10000 ms); raise requestTimeoutMs or set it to 0 (no limit)`,
    );
    expect(errorOf({ ml: { blockThreshold: 0.5, flagThreshold: 0.6 } }).message).toContain('ml.flagThreshold (0.6) must be <= ml.blockThreshold (0.5)');
    expect(errorOf({ rateLimit: { ip: ['1/1s', '2/2s', '3/3s', '4/4s', '5/5s'] } }).message).toBe(
      `${SRC}: rateLimit.ip has 5 windows; at most 4 are supported (e.g. "10/1s", "300/1m", "5000/1h", "50000/1d")`,
    );
    expect(validateConfig({ rateLimit: { key: ['1/1s', '2/2s', '3/3s', '4/4s'] } }, SRC).rateLimit.key).toHaveLength(4);
    expect(errorOf({ bans: { baseMs: '1h', maxMs: '1m' } }).message).toContain('bans.maxMs (60000 ms) must be >= bans.baseMs (3600000 ms)');
    // requestTimeoutMs = 0 means no limit, so any headersTimeoutMs is fine
    expect(validateConfig({ limits: { headersTimeoutMs: 60_000, requestTimeoutMs: 0 } }, SRC).limits.headersTimeoutMs).toBe(60_000);
  });
});

describe('unknown keys', () => {
  it('suggests the closest sibling key', () => {
    expect(errorOf({ rateLimt: {} }).message).toBe(`${SRC}: rateLimt is not a known key; did you mean rateLimit?`);
    expect(errorOf({ limits: { maxBodyByte: 5 } }).message).toBe(`${SRC}: limits.maxBodyByte is not a known key; did you mean limits.maxBodyBytes?`);
    expect(errorOf({ PORT: 80 }).message).toBe(`${SRC}: PORT is not a known key; did you mean port?`);
  });

  it('points to the section when the key lives elsewhere', () => {
    expect(errorOf({ maxBodyBytes: 5 }).message).toBe(`${SRC}: maxBodyBytes is not a known key here; did you mean limits.maxBodyBytes?`);
    expect(errorOf({ enabled: true }).message).toBe(`${SRC}: enabled is not a known key here; did you mean rateLimit.enabled or behaviour.enabled?`);
  });

  it('lists the known keys when nothing is close', () => {
    expect(errorOf({ telemetry: { zzzzzz: 1 } }).message).toBe(`${SRC}: telemetry.zzzzzz is not a known key (known keys in telemetry: flushIntervalMs, batchSize, maxQueue)`);
  });

  it('levenshtein and suggest', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('Port', 'port')).toBe(0);
    expect(suggest('upstrem', ['upstream', 'port'])).toBe('upstream');
    expect(suggest('qqqq', ['upstream', 'port'])).toBeUndefined();
  });
});
