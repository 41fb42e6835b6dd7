// Benchmark: `serve` throughput with access control on (API key auth + per-key limits, 2 windows,
// RateLimit headers) versus off (auth.required false, rateLimit.enabled false), same build, same run.
// Backend and gateway are pinned to CPU 0, wrk (-t1 -c50) to CPU 1, like the reference figures in
// DESIGN.md; rounds interleave the variants and the median req/s is reported with the ratio.
// Behaviour scoring is off in both variants (it has its own benchmark).
//
//   $ npm run build && node bench/policy-serve.mjs [--rounds 5] [--seconds 5]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? def : process.argv[i + 1];
};

const BODY = JSON.stringify({ id: 1, name: 'Desk lamp', price: 39.9, tags: ['home', 'light'], stock: 12, description: 'A small lamp for a big desk. '.repeat(3) }).slice(0, 193);

async function childBackend() {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) });
    res.end(BODY);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => console.log(`READY http://127.0.0.1:${server.address().port}`));
}

async function childGateway(variant, upstream, db) {
  const { DEFAULT_CONFIG } = await import('../dist/config/types.js');
  const { startGateway } = await import('../dist/gateway/server.js');
  const on = variant === 'on';
  const config = {
    ...structuredClone(DEFAULT_CONFIG),
    port: 0,
    upstream,
    db,
    gatewayToken: 'bench-gateway-token-0123456789',
    ml: { ...DEFAULT_CONFIG.ml, model: null },
    behaviour: { ...DEFAULT_CONFIG.behaviour, enabled: false },
    auth: { ...DEFAULT_CONFIG.auth, required: on },
    rateLimit: {
      ...DEFAULT_CONFIG.rateLimit,
      enabled: on,
      // Real windows that never throttle the benchmark: the cost of counting and headers, not of 429s.
      key: [{ limit: 1e9, windowMs: 1000 }, { limit: 1e9, windowMs: 600_000 }],
    },
  };
  // 'headers': access control off, but the same five rate-limit response headers added by a trivial
  // pass — separates the cost of sending bigger responses from the cost of the checks.
  const HDRS = [
    ['RateLimit-Policy', '"key-1s";q=1000000000;w=1, "key-10m";q=1000000000;w=600'],
    ['RateLimit', '"key-1s";r=999999999;t=1, "key-10m";r=999999999;t=412'],
    ['X-RateLimit-Limit', '1000000000'],
    ['X-RateLimit-Remaining', '999999999'],
    ['X-RateLimit-Reset', '1'],
  ];
  const deps = variant === 'headers' ? { passes: [{ name: 'headers', run: (ctx) => void ctx.responseHeaders.push(...HDRS) }] } : {};
  const gw = await startGateway(config, deps);
  console.log(`READY ${gw.url}`);
  process.on('SIGTERM', async () => {
    await gw.close();
    process.exit(0);
  });
}

const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGTERM'); // never leave a backend or gateway behind
});

function startChild(args) {
  const child = spawn('taskset', ['-c', '0', process.execPath, SELF, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /READY (\S+)/.exec(out);
      if (m) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`child ${args.join(' ')} exited ${code}`)));
  });
}

/** CPU seconds (user + system) a process has used so far, from /proc (taskset execs node: same pid). */
function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

function wrk(url, seconds, headers) {
  const h = headers.flatMap((x) => ['-H', x]);
  const r = spawnSync('taskset', ['-c', '1', 'wrk', '-t1', '-c50', `-d${seconds}s`, ...h, `${url}/api/items/1`], { encoding: 'utf8' });
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout);
  const total = /(\d+) requests in/.exec(r.stdout);
  if (!rps) throw new Error(`wrk failed: ${r.stdout}${r.stderr}`);
  return { rps: Number(rps[1]), requests: Number(total[1]), non2xx: non2xx ? Number(non2xx[1]) : 0 };
}

async function main() {
  const rounds = Number(arg('--rounds', 5));
  const seconds = Number(arg('--seconds', 5));
  const dir = mkdtempSync(join(tmpdir(), 'ph-bench-policy-'));
  const { openDb } = await import('../dist/telemetry/db.js');
  const { addKey } = await import('../dist/keys/store.js');
  const variants = String(arg('--variants', 'off,on')).split(',');
  const results = Object.fromEntries(variants.map((v) => [v, []]));
  const cpuPerReq = Object.fromEntries(variants.map((v) => [v, []])); // µs of gateway CPU per request: robust on a shared machine
  try {
    const backend = await startChild(['--child', 'backend']);
    const gws = {};
    let key = '';
    for (const variant of variants) {
      const dbFile = join(dir, `${variant}.db`);
      const db = openDb(dbFile);
      if (variant === 'on') key = addKey(db, { name: 'bench' }, Date.now()).key;
      db.close();
      gws[variant] = await startChild(['--child', 'gateway', variant, backend.url, dbFile]);
    }
    const headers = { off: [], headers: [], on: [`X-API-Key: ${key}`] };
    for (const v of variants) wrk(gws[v].url, 1, headers[v]); // warm-up
    for (let r = 0; r < rounds; r++) {
      for (const v of r % 2 ? [...variants].reverse() : variants) {
        const cpu0 = cpuSeconds(gws[v].child.pid);
        const res = wrk(gws[v].url, seconds, headers[v]);
        cpuPerReq[v].push(((cpuSeconds(gws[v].child.pid) - cpu0) * 1e6) / res.requests);
        if (res.non2xx) throw new Error(`${v}: ${res.non2xx} non-2xx responses`);
        results[v].push(res.rps);
      }
    }
    for (const g of Object.values(gws)) g.child.kill('SIGTERM');
    backend.child.kill('SIGTERM');
  } finally {
    setTimeout(() => rmSync(dir, { recursive: true, force: true }), 500);
  }
  const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log(`node ${process.version}, ${cpus()[0].model} × ${cpus().length}; ${rounds} interleaved rounds × ${seconds}s, wrk -t1 -c50 on CPU 1, backend + gateway on CPU 0`);
  for (const v of variants) console.log(`${v.padEnd(7)} req/s: ${results[v].map((x) => x.toFixed(0)).join(', ')} → median ${med(results[v]).toFixed(0)}`);
  for (const v of variants) console.log(`${v.padEnd(7)} gateway CPU µs/request: ${cpuPerReq[v].map((x) => x.toFixed(1)).join(', ')} → median ${med(cpuPerReq[v]).toFixed(1)}`);
  if (results.on && results.off) {
    const cOff = med(cpuPerReq.off);
    const cOn = med(cpuPerReq.on);
    console.log(`ratio on/off: req/s ${(med(results.on) / med(results.off)).toFixed(3)}; CPU-bound ${(cOff / cOn).toFixed(3)} (added ${(cOn - cOff).toFixed(1)} µs/request) — target ≥ 0.95`);
  }
  if (results.headers && results.off) {
    console.log(`of which the five response headers alone: ${(med(cpuPerReq.headers) - med(cpuPerReq.off)).toFixed(1)} µs/request`);
  }
}

if (process.argv[2] === '--child') {
  if (process.argv[3] === 'backend') await childBackend();
  else await childGateway(process.argv[4], process.argv[5], process.argv[6]);
} else {
  await main();
}
