// Benchmark of the access-control passes (issue 3): ns per request of identity → deny/allow → API key
// auth → sliding-window rate limits on synthetic contexts, and heap with 1,000,000 distinct client
// addresses (state is capped by rateLimit.maxClients with LRU eviction, so memory must stay flat).
// Uses the built code (`npm run bench:policy` builds first).
//
//   $ npm run bench:policy                       # add --rounds 7 --ops 500000 to change the load
//   $ node --expose-gc bench/policy.mjs --memory-only
import { cpus } from 'node:os';
import { DEFAULT_CONFIG } from '../dist/config/types.js';
import { generateKey, hashKey } from '../dist/keys/format.js';
import { KeyTable } from '../dist/keys/table.js';
import { createAccessPasses } from '../dist/policy/access.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? def : Number(process.argv[i + 1]);
};
const ROUNDS = arg('--rounds', 5);
const OPS = arg('--ops', 300_000);
const memoryOnly = process.argv.includes('--memory-only');
const microOnly = process.argv.includes('--micro-only');
const T0 = 1_800_000_000_000;

// 1,000 keys in the table; contexts cycle through 10,000 client addresses.
const table = new KeyTable();
const keys = [];
const recs = [];
for (let i = 0; i < 1000; i++) {
  const { id, key } = generateKey();
  keys.push(key);
  recs.push({ id, name: `k${i}`, hash: hashKey(key), prevHash: null, prevValidUntil: null, rates: null, createdAt: T0, expiresAt: null, revokedAt: null, rotatedAt: null });
}
table.replace(recs, 1);

function config(over = {}) {
  return {
    auth: DEFAULT_CONFIG.auth,
    rateLimit: { ...DEFAULT_CONFIG.rateLimit, ip: [{ limit: 1e9, windowMs: 1000 }, { limit: 1e9, windowMs: 600_000 }], key: [{ limit: 1e9, windowMs: 1000 }, { limit: 1e9, windowMs: 600_000 }] },
    trustedProxies: [],
    ipv6PrefixLength: 64,
    allow: ['192.0.2.0/24'],
    deny: ['203.0.113.0/24', '2001:db8:bad::/48', '198.51.100.7'],
    ...over,
  };
}

const N_CTX = 10_000;
function makeContexts(kind) {
  const out = [];
  for (let i = 0; i < N_CTX; i++) {
    const v6 = kind === 'v6';
    const ip = v6 ? `2001:db8:${(i >> 8).toString(16)}:${(i & 255).toString(16)}::${i.toString(16)}` : `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    out.push({
      req: { headers: {}, rawHeaders: [] },
      res: undefined,
      now: T0,
      requestId: 'x',
      path: '/api/items',
      clientIp: kind === 'xff' ? '127.0.0.1' : ip,
      clientId: null,
      keyId: null,
      allowListed: false,
      score: null,
      features: null,
      explain: null,
      responseHeaders: [],
      wouldDecision: null,
      allowReason: 'ok',
      _ip: ip,
      _key: keys[i % keys.length],
    });
  }
  return out;
}

function scenario(name, passes, ctxs, prep) {
  const results = [];
  let sink = 0;
  for (let round = 0; round < ROUNDS + 1; round++) {
    // CPU time of this process, not wall time: the machines are shared and wall time counts waiting.
    const c0 = process.cpuUsage();
    for (let n = 0; n < OPS; n++) {
      const ctx = ctxs[n % N_CTX];
      prep(ctx, n);
      for (let p = 0; p < passes.length; p++) {
        const v = passes[p].run(ctx);
        if (v !== undefined) {
          sink++;
          break;
        }
      }
    }
    const c1 = process.cpuUsage(c0);
    const ns = ((c1.user + c1.system) * 1e3) / OPS;
    if (round > 0) results.push(ns); // first round warms up the JIT
  }
  results.sort((a, b) => a - b);
  return { name, nsPerOp: results[Math.floor(results.length / 2)], refusals: sink };
}

function reset(ctx, n, headers) {
  ctx.now = T0 + n * 0.01; // 100 req/ms overall
  ctx.clientIp = ctx._xffPeer ?? ctx._ip;
  ctx.clientId = null;
  ctx.keyId = null;
  ctx.allowListed = false;
  ctx.responseHeaders.length = 0;
  // rawHeaders (what the passes read; node's req.headers is lazy) are built once per context: the
  // passes never mutate them, and building them is node's cost, not the checks'.
  if (headers && ctx.req.rawHeaders.length === 0) ctx.req.rawHeaders = Object.entries(headers(ctx)).flat();
  ctx.stripHeaders = null;
}

function micro() {
  const rows = [];
  const keyed = createAccessPasses(config(), { keys: table });
  const ctxKeyed = makeContexts('v4');
  rows.push(scenario('keyed: identity + deny + auth (known key, constant-time compare) + 2 key windows', keyed.passes, ctxKeyed, (c, n) => reset(c, n, (x) => ({ 'x-api-key': x._key }))));
  rows.push(scenario('  of which auth pass alone', [keyed.auth], ctxKeyed, (c, n) => reset(c, n, (x) => ({ 'x-api-key': x._key }))));
  const ctxWrong = makeContexts('v4');
  rows.push(scenario('  auth pass, wrong secret for a known id (SHA-256 every time → 401)', [keyed.auth], ctxWrong, (c, n) =>
    reset(c, n, (x) => ({ 'x-api-key': `${x._key.slice(0, -4)}0000` })),
  ));
  rows.push(scenario('  of which rate-limit pass alone (2 windows, headers built)', [keyed.rateLimit], ctxKeyed, (c, n) => {
    reset(c, n);
    c.keyId = c._key.slice(0, 0) + recs[n % 1000].id;
  }));
  const open = createAccessPasses(config({ auth: { ...DEFAULT_CONFIG.auth, required: false } }), { keys: table });
  rows.push(scenario('keyless IPv4: identity + deny + 2 IP windows (10k clients)', open.passes, makeContexts('v4'), (c, n) => reset(c, n)));
  rows.push(scenario('keyless IPv6 (/64 grouping) + deny + 2 IP windows', open.passes, makeContexts('v6'), (c, n) => reset(c, n)));
  const proxied = createAccessPasses(config({ auth: { ...DEFAULT_CONFIG.auth, required: false }, trustedProxies: ['127.0.0.1', '10.0.0.0/8'] }), { keys: table });
  const ctxXff = makeContexts('xff');
  for (const c of ctxXff) c._xffPeer = '127.0.0.1';
  rows.push(scenario('keyless behind a trusted proxy (X-Forwarded-For walk)', proxied.passes, ctxXff, (c, n) => reset(c, n, (x) => ({ 'x-forwarded-for': `198.18.0.1, ${x._ip}` }))));
  const none = createAccessPasses(config({ auth: { ...DEFAULT_CONFIG.auth, required: false }, rateLimit: { ...DEFAULT_CONFIG.rateLimit, enabled: false }, deny: [], allow: [] }), { keys: table });
  rows.push(scenario('everything off (identity pass only)', none.passes, makeContexts('v4'), (c, n) => reset(c, n)));
  return rows;
}

function heapMb() {
  globalThis.gc?.();
  globalThis.gc?.();
  // Typed-array backing stores live outside the JS heap (arrayBuffers): count both.
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 1048576;
}

function memory() {
  if (!globalThis.gc) console.warn('(run with --expose-gc for exact heap numbers)');
  const out = [];
  for (const maxClients of [DEFAULT_CONFIG.rateLimit.maxClients, 1_000_000]) {
    const passes = createAccessPasses(config({ auth: { ...DEFAULT_CONFIG.auth, required: false }, rateLimit: { ...DEFAULT_CONFIG.rateLimit, maxClients } }), { keys: table });
    const ctx = makeContexts('v4')[0];
    const before = heapMb();
    const samples = [];
    for (let i = 0; i < 1_000_000; i++) {
      reset(ctx, i);
      ctx.clientIp = ctx._ip = `${(i >>> 24) + 11}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
      for (const p of passes.passes) if (p.run(ctx)) break;
      if ((i + 1) % 250_000 === 0) samples.push([i + 1, heapMb() - before]);
    }
    out.push({ maxClients, tracked: passes.ipLimiter.size, evictions: passes.ipLimiter.evictions, samples });
  }
  return out;
}

console.log(`node ${process.version}, ${cpus()[0].model} × ${cpus().length}, ${ROUNDS} rounds × ${OPS} ops (median CPU ns per request)`);
if (!memoryOnly) {
  for (const r of micro()) console.log(`${r.nsPerOp.toFixed(0).padStart(6)} ns/op  ${r.name}`);
}
for (const m of microOnly ? [] : memory()) {
  console.log(`1,000,000 distinct IPv4 clients, maxClients ${m.maxClients.toLocaleString('en')}: tracked ${m.tracked.toLocaleString('en')}, evicted ${m.evictions.toLocaleString('en')}; heap + array buffers growth ${m.samples.map(([n, mb]) => `${(n / 1000).toFixed(0)}k→${mb.toFixed(1)} MB`).join(', ')}`);
}
