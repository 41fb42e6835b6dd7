// Benchmark: forwarding throughput of `pathhelm serve` against the backend directly, a bare undici
// forwarder (Pool + pool.stream, the ceiling for a Node forwarder), http-proxy with a keep-alive
// agent, and the built `pathhelm serve` binary (decision log on, to a temp SQLite file).
// Backend and forwarder are pinned to CPU 0 (`taskset -c 0`), wrk to CPU 1 (`wrk -t1 -c50 --latency`),
// GET of a 193-byte JSON; rounds alternate the targets; medians of req/s, p50 and p99 are reported
// with the ratio to bare undici. Each forwarder runs alone beside the backend, a fresh process per round
// (start, 2 s warm-up run, measured run, stop): idle neighbours pinned to the same core inflated the per-request CPU of
// whichever forwarder was measured (serve's full stack most: ~57 µs alone vs 64–72 µs beside four idle
// forwarders), and one process per target hid a ±2 µs process-to-process spread. `--shared` runs the older
// protocol (all forwarders started once, side by side). req/s and CPU per request are taken over a steady window of
// the measured run (from --skip s, default 2, for --seconds s; requests counted by the backend), not over the whole
// wrk run: right after the warm-up's connections close, V8 deoptimises and re-optimises the hot paths (see
// measure()). `--big` instead streams 1 GiB up and down through `serve` and
// reports its peak RSS. `--profile` writes a CPU profile of `serve` into ./bench/profiles/.
//
//   $ npm run bench:proxy                       # 3 rounds × 10 s
//   $ npm run build && node bench/proxy.mjs --rounds 5 --seconds 10
//   $ npm run build && node bench/proxy.mjs --big
//   $ npm run build && node bench/proxy.mjs --shared  # all forwarders side by side (the older protocol)
//   $ npm run build && node bench/proxy.mjs --targets serve-full   # bare undici and the named targets only
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, createServer, request as httpRequest } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'pathhelm.js');
const TOKEN = 'bench-gateway-token-0123456789';
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? def : process.argv[i + 1];
};
const flag = (name) => process.argv.includes(name);

// The reference payload of DESIGN.md: a 193-byte JSON object.
const BODY = JSON.stringify({ id: 1, name: 'Desk lamp', price: 39.9, tags: ['home', 'light'], stock: 12, description: 'A small lamp for a big desk. '.repeat(6) }).slice(0, 192) + '}';

// ---------------------------------------------------------------- children (pinned to CPU 0)

function childBackend() {
  const chunk = Buffer.alloc(1 << 20, 0x61);
  let served = 0; // requests answered, read by the harness through /__bench_count (which is not counted)
  const server = createServer((req, res) => {
    if (req.url === '/__bench_count') {
      req.resume();
      return res.end(String(served));
    }
    served++;
    if (req.url.startsWith('/big-download')) {
      const total = Number(new URL(req.url, 'http://x').searchParams.get('bytes'));
      req.resume();
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          const n = Math.min(chunk.length, total - sent);
          sent += n;
          if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
        }
        res.end();
      };
      return pump();
    }
    if (req.url.startsWith('/big-upload')) {
      const h = createHash('sha256');
      let n = 0;
      req.on('data', (c) => {
        n += c.length;
        h.update(c);
      });
      req.on('end', () => res.end(JSON.stringify({ bytes: n, sha256: h.digest('hex') })));
      return;
    }
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) });
    res.end(BODY);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => console.log(`READY http://127.0.0.1:${server.address().port}`));
}

/** The bare undici forwarder: what a minimal Node reverse proxy costs (no header rules, no log). */
async function childUndici(upstream) {
  const { Pool } = await import('undici');
  const pool = new Pool(upstream, { connections: 64, pipelining: 1 });
  const factory = ({ statusCode, headers, opaque }) => {
    opaque.writeHead(statusCode, headers);
    return opaque;
  };
  const server = createServer((req, res) => {
    const headers = { ...req.headers };
    delete headers.connection;
    delete headers['keep-alive'];
    delete headers['transfer-encoding'];
    const body = req.method === 'GET' || req.method === 'HEAD' ? null : req;
    pool.stream({ path: req.url, method: req.method, headers, body, opaque: res }, factory, (err) => {
      if (err && !res.headersSent) {
        res.statusCode = 502;
        res.end();
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => console.log(`READY http://127.0.0.1:${server.address().port}`));
}

async function childHttpProxy(upstream) {
  const { default: httpProxy } = await import('http-proxy');
  const proxy = httpProxy.createProxyServer({ target: upstream, agent: new HttpAgent({ keepAlive: true, maxSockets: 64 }) });
  proxy.on('error', (_err, _req, res) => {
    res.statusCode = 502;
    res.end();
  });
  const server = createServer((req, res) => proxy.web(req, res));
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => console.log(`READY http://127.0.0.1:${server.address().port}`));
}

// ---------------------------------------------------------------- harness

function startPinned(args, readyRe = /READY (\S+)/) {
  const child = spawn('taskset', ['-c', '0', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = readyRe.exec(out);
      if (m) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${out}`)));
  });
}

async function startServe(dir, upstream, extra = []) {
  // Decision log on (temp db); access control and behaviour scoring off, so every request is
  // forwarded: this measures the gateway core (pipeline, header rules, request ids, log).
  const cfg = join(dir, 'bench.config.json');
  writeFileSync(cfg, JSON.stringify({ auth: { required: false }, rateLimit: { enabled: false }, behaviour: { enabled: false } }));
  return startPinned(
    [...extra, BIN, 'serve', '--port', '0', '--upstream', upstream, '--db', join(dir, 'serve.db'), '--config', cfg, '--gateway-token', TOKEN, '--no-model'],
    /ready on (http:\/\/\S+)/,
  );
}

/**
 * `serve` with the whole decision stack (issue 5): API key auth, per-key rate limits, the behaviour
 * engine with the shipped model (window + 100-tree score + features JSON on every request) and the
 * decision log, in enforce mode. The thresholds are set to 1 (a score never reaches it) so the one wrk
 * client hammering one URL is scored on every request but never flagged or banned (it would be), and
 * the key's limit is high enough to count but never throttle: every pass runs on every request.
 */
async function startServeFull(dir, upstream) {
  const cfg = join(dir, 'full.config.json');
  const db = join(dir, 'full.db');
  let key = fullKeys.get(db);
  if (key === undefined) {
    writeFileSync(cfg, JSON.stringify({ rateLimit: { key: [{ limit: 1_000_000_000, windowMs: 1000 }] }, ml: { blockThreshold: 1, flagThreshold: 1 } }));
    const add = spawnSync(process.execPath, [BIN, 'keys', 'add', 'bench', '--db', db, '--json'], { encoding: 'utf8' });
    if (add.status !== 0) throw new Error(`keys add failed: ${add.stderr}`);
    key = JSON.parse(add.stdout).key;
    fullKeys.set(db, key);
  }
  const started = await startPinned(
    [BIN, 'serve', '--port', '0', '--upstream', upstream, '--db', db, '--config', cfg, '--gateway-token', TOKEN],
    /ready on (http:\/\/\S+)/,
  );
  return { ...started, headers: [`x-api-key: ${key}`] };
}
/** The key made for each full-stack db (the same db and key serve every round). */
const fullKeys = new Map();

function ensureWrk() {
  if (spawnSync('wrk', ['--version']).error === undefined) return;
  console.log('wrk not found; installing it with apt-get (needs root)…');
  const r = spawnSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq wrk'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('could not install wrk; install it (apt-get install wrk) and rerun');
}

const toMs = (v, unit) => Number(v) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : 1);

/** CPU seconds (user + system, all threads) a process has used so far. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ
}

/** Parses wrk's --latency report. */
function parseWrk(stdout) {
  const total = /(\d+) requests in/.exec(stdout);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s)/m.exec(stdout);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)/m.exec(stdout);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
  const errors = /Socket errors: (.*)/.exec(stdout);
  if (!rps || !p50 || !p99) throw new Error(`wrk failed: ${stdout}`);
  return {
    total: total ? Number(total[1]) : 0,
    rps: Number(rps[1]),
    p50: toMs(p50[1], p50[2]),
    p99: toMs(p99[1], p99[2]),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    errors: errors ? errors[1] : '',
  };
}

/** A warm-up run: wrk for `seconds`, nothing measured. */
function wrkWarm(url, seconds, headers = []) {
  const h = headers.flatMap((x) => ['-H', x]);
  const r = spawnSync('taskset', ['-c', '1', 'wrk', '-t1', '-c50', `-d${seconds}s`, ...h, `${url}/api/items/1`], { encoding: 'utf8' });
  if (!/Requests\/sec/.test(r.stdout)) throw new Error(`wrk failed: ${r.stdout}${r.stderr}`);
}

/** Requests the backend has answered so far (its own counter; the query itself is not counted). */
async function backendCount(backendUrl) {
  const r = await fetch(`${backendUrl}/__bench_count`);
  return Number(await r.text());
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * One measurement: wrk runs for skip + seconds + 1 s; throughput and CPU per request are taken over the steady
 * window from `skip` to `skip + seconds` (backend request counter and /proc CPU snapshots at both ends), so
 * neither the first seconds after the warm-up's connections closed (V8 deoptimises the connection-close paths and
 * re-optimises the hot ones then: measured 10–20 % more CPU per request over the first 3 s for the full stack) nor
 * the closing of wrk's connections fall inside it. p50/p99 are wrk's, over its whole run.
 */
async function measure(url, backendUrl, seconds, skip, pids = [], headers = []) {
  const h = headers.flatMap((x) => ['-H', x]);
  const child = spawn('taskset', ['-c', '1', 'wrk', '-t1', '-c50', `-d${skip + seconds + 1}s`, '--latency', ...h, `${url}/api/items/1`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const done = new Promise((r) => child.once('exit', r));
  await sleep(skip * 1000);
  const c0 = pids.map(cpuSeconds);
  const n0 = await backendCount(backendUrl);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const c1 = pids.map(cpuSeconds);
  const n1 = await backendCount(backendUrl);
  const elapsed = (performance.now() - t0) / 1000;
  await done;
  const w = parseWrk(out);
  const n = n1 - n0;
  return {
    ...w,
    // Steady-window figures (see above); wrk's own req/s (whole run) is kept as wrkRps.
    wrkRps: w.rps,
    rps: n / elapsed,
    // CPU µs per request of each process in `pids` (forwarder, backend): robust on a shared machine.
    cpuUs: pids.map((p, i) => (n ? ((c1[i] - c0[i]) * 1e6) / n : 0)),
  };
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function throughput() {
  ensureWrk();
  const rounds = Number(arg('--rounds', 3));
  const seconds = Number(arg('--seconds', 10));
  const skip = Number(arg('--skip', 2));
  const dir = mkdtempSync(join(tmpdir(), 'ph-bench-proxy-'));
  const children = [];
  // Default protocol: each forwarder runs alone next to the backend on CPU 0 — started fresh for each measurement
  // (warm-up, measure, stop), so no idle neighbour shares the core and every round samples a new process.
  // --shared keeps the older protocol: every forwarder started once and left running side by side for all rounds.
  const shared = flag('--shared');
  try {
    const backend = await startPinned([SELF, '--child', 'backend']);
    children.push(backend.child);
    const profDir = join(ROOT, 'bench', 'profiles');
    if (flag('--profile')) mkdirSync(profDir, { recursive: true });
    const starters = {
      direct: async () => backend,
      undici: () => startPinned([SELF, '--child', 'undici', backend.url]),
      'http-proxy': () => startPinned([SELF, '--child', 'http-proxy', backend.url]),
      serve: () => startServe(dir, backend.url, flag('--profile') ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []),
      'serve-full': () => startServeFull(dir, backend.url),
    };
    // --targets undici,serve-full measures a subset (bare undici is always included: it is the baseline).
    const only = arg('--targets', null);
    const names = only === null ? Object.keys(starters) : Object.keys(starters).filter((n) => n === 'undici' || only.split(',').includes(n));
    const running = {};
    const stop = async (n) => {
      const t = running[n];
      delete running[n];
      if (!t || n === 'direct') return;
      const gone = new Promise((r) => t.child.once('exit', r));
      t.child.kill('SIGTERM');
      await gone;
    };
    const start = async (n) => {
      running[n] = await starters[n]();
      if (n !== 'direct') children.push(running[n].child);
      wrkWarm(running[n].url, 2, running[n].headers); // warm-up (JIT, pools, db)
      return running[n];
    };
    if (shared) for (const n of names) await start(n);
    const results = Object.fromEntries(names.map((n) => [n, []]));
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? [...names].reverse() : names;
      for (const n of order) {
        const t = shared ? running[n] : await start(n);
        const pids = n === 'direct' ? [backend.child.pid] : [t.child.pid, backend.child.pid];
        const res = await measure(t.url, backend.url, seconds, skip, pids, t.headers);
        if (!shared) await stop(n);
        if (res.non2xx || res.errors) throw new Error(`${n}: ${res.non2xx} non-2xx, socket errors ${res.errors}`);
        results[n].push(res);
        const fwdCpu = n === 'direct' ? 0 : res.cpuUs[0];
        console.error(`round ${r + 1} ${n.padEnd(10)} ${res.rps.toFixed(0).padStart(6)} req/s (wrk ${res.wrkRps.toFixed(0)})  p50 ${res.p50.toFixed(2)} ms  p99 ${res.p99.toFixed(2)} ms  forwarder CPU ${fwdCpu.toFixed(1)} µs/req`);
      }
    }
    const base = median(results.undici.map((x) => x.rps));
    const basep99 = median(results.undici.map((x) => x.p99));
    const fwdCpu = (n) => (n === 'direct' ? 0 : median(results[n].map((x) => x.cpuUs[0])));
    const backendCpu = median(names.flatMap((n) => results[n].map((x) => x.cpuUs[x.cpuUs.length - 1])));
    const rows = names.map((n) => {
      const rps = median(results[n].map((x) => x.rps));
      const p50 = median(results[n].map((x) => x.p50));
      const p99 = median(results[n].map((x) => x.p99));
      // One core running backend + forwarder serves at most 1 / (backend CPU + forwarder CPU) req/s.
      const cpuRatio = (backendCpu + fwdCpu('undici')) / (backendCpu + fwdCpu(n));
      return { n, rps, p50, p99, ratio: rps / base, p99ratio: p99 / basep99, cpu: fwdCpu(n), cpuRatio };
    });
    const label = { direct: 'backend directly (no proxy)', undici: 'bare undici Pool + pool.stream', 'http-proxy': 'http-proxy 1.18.1 (keep-alive agent)', serve: '`pathhelm serve` (decision log on)', 'serve-full': '`pathhelm serve` full stack (key auth + rate limits + behaviour scoring + log)' };
    const cpu = cpus()[0].model.trim();
    console.log(`\nnode ${process.version}; ${cpu} × ${cpus().length}; ${rounds} alternating rounds; each: 2 s warm-up run, then wrk for ${skip + seconds + 1} s with req/s and CPU taken over its steady window ${skip}–${skip + seconds} s (backend's request counter); backend + forwarder on CPU 0, wrk -t1 -c50 --latency on CPU 1; GET /api/items/1 (193-byte JSON); ${shared ? 'all forwarders running side by side (--shared)' : 'each forwarder alone, a fresh process per round'}\n`);
    console.log('| target | req/s (median) | × bare undici | p50 ms | p99 ms | p99 × bare undici | forwarder CPU µs/req | one-core capacity × bare undici |');
    console.log('|---|--:|--:|--:|--:|--:|--:|--:|');
    for (const r of rows) {
      console.log(
        `| ${label[r.n]} | ${r.rps.toFixed(0)} | ${r.ratio.toFixed(2)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.p99ratio.toFixed(2)} | ` +
          `${r.n === 'direct' ? '—' : r.cpu.toFixed(1)} | ${r.n === 'direct' ? '—' : r.cpuRatio.toFixed(2)} |`,
      );
    }
    console.log(`\nbackend CPU: ${backendCpu.toFixed(1)} µs/req (median over all runs)`);
    const serve = rows.find((r) => r.n === 'serve');
    if (serve) console.log(`serve / bare undici: ${serve.ratio.toFixed(2)} by req/s, ${serve.cpuRatio.toFixed(2)} by CPU per request (target ≥ 0.80)`);
    const full = rows.find((r) => r.n === 'serve-full');
    if (full) console.log(`serve full stack / bare undici: ${full.ratio.toFixed(2)} by req/s, ${full.cpuRatio.toFixed(2)} by CPU per request (target ≥ 0.80); p99 ${full.p99.toFixed(2)} ms vs ${rows.find((r) => r.n === 'undici').p99.toFixed(2)} ms`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Peak RSS (VmHWM) and current RSS of a process, in MiB. */
function memOf(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)[1]);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

function transfer(url, method, body) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, agent: false }, (res) => {
      const h = createHash('sha256');
      let n = 0;
      const chunks = [];
      res.on('data', (c) => {
        n += c.length;
        if (n < 4096) chunks.push(c);
        else h.update(c);
      });
      res.on('end', () => resolve({ status: res.statusCode, bytes: n, head: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body) body.pipe(req);
    else req.end();
  });
}

async function big() {
  const GiB = 1024 ** 3;
  const dir = mkdtempSync(join(tmpdir(), 'ph-bench-big-'));
  const children = [];
  try {
    const backend = await startPinned([SELF, '--child', 'backend']);
    children.push(backend.child);
    const serve = await startServe(dir, backend.url);
    children.push(serve.child);
    await transfer(`${serve.url}/api/items/1`, 'GET');
    const before = memOf(serve.child.pid);
    const chunk = Buffer.alloc(1 << 20, 0x62);
    let i = 0;
    const src = new Readable({ read() { this.push(i++ < 1024 ? chunk : null); } });
    let t = performance.now();
    const up = await transfer(`${serve.url}/big-upload`, 'POST', src);
    const upS = (performance.now() - t) / 1000;
    const afterUp = memOf(serve.child.pid);
    t = performance.now();
    const down = await transfer(`${serve.url}/big-download?bytes=${GiB}`, 'GET');
    const downS = (performance.now() - t) / 1000;
    const after = memOf(serve.child.pid);
    console.log(`1 GiB upload:   status ${up.status}, backend got ${JSON.parse(up.head).bytes} bytes in ${upS.toFixed(1)} s (${(1024 / upS).toFixed(0)} MiB/s)`);
    console.log(`1 GiB download: status ${down.status}, client got ${down.bytes} bytes in ${downS.toFixed(1)} s (${(1024 / downS).toFixed(0)} MiB/s)`);
    console.log(`serve RSS: ${before.rss.toFixed(0)} MiB before, peak ${afterUp.hwm.toFixed(0)} MiB after the upload, peak ${after.hwm.toFixed(0)} MiB after the download (flat = no body buffering)`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  const [kind, upstream] = process.argv.slice(3);
  if (kind === 'backend') childBackend();
  else if (kind === 'undici') await childUndici(upstream);
  else await childHttpProxy(upstream);
} else if (flag('--big')) {
  await big();
} else {
  await throughput();
}
