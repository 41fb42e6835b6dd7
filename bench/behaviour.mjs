// Benchmark of the behaviour engine's per-request cost (issue 5 target: < 5 µs for the window update plus
// 100-tree scoring). Uses the built code (run `npm run build` first; `npm run bench:behaviour` does both).
//
// It fits a 100-tree forest (psi 256) on generated traffic, replays seeded client sessions of every profile
// through (a) the bare BehaviourWindow, (b) window + extract + score, and (c) the full behaviour pass
// (run() + after(): tracker lookup, extract, score, features JSON, explanation when flagged), and prints
// CPU ns per request (process.cpuUsage) as the median of several rounds.
//
//   $ npm run bench:behaviour            # add --clients 5000 --rounds 7 to change the load
import { cpus, loadavg } from 'node:os';
import { BehaviourWindow, FEATURE_NAMES, NUM_FEATURES } from '../dist/behaviour/features.js';
import { BehaviourScorer } from '../dist/behaviour/scorer.js';
import { IsolationForest } from '../dist/forest/forest.js';
import { generateDataset } from '../dist/dataset/generate.js';
import { PROFILES } from '../dist/dataset/profiles.js';
import { Random } from '../dist/dataset/rng.js';
import { BehaviourEngine } from '../dist/policy/behaviour.js';
import { BanManager } from '../dist/policy/bans.js';
import { DEFAULT_CONFIG } from '../dist/config/types.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? def : Number(process.argv[i + 1]);
};
const CLIENTS = arg('--clients', 2000);
const ROUNDS = arg('--rounds', 5);
const ROWS = 20_000;

// 1. fit the forest on generated rows
const X = new Float64Array(ROWS * NUM_FEATURES);
let r = 0;
generateDataset({ rows: ROWS, anomalyRatio: 0.1, seed: 7 }, (x) => {
  X.set(x, r * NUM_FEATURES);
  r++;
});
const forest = IsolationForest.fit(X, ROWS, NUM_FEATURES, { trees: 100, sampleSize: 256, seed: 1 });
const scores = forest.scoreBatch(X, ROWS).slice().sort();
const threshold = scores[Math.floor(ROWS * 0.99)];
const summary = FEATURE_NAMES.map((name, f) => {
  let s = 0, sq = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < ROWS; i++) {
    const v = X[i * NUM_FEATURES + f];
    s += v; sq += v * v; if (v < min) min = v; if (v > max) max = v;
  }
  const mean = s / ROWS;
  return { name, min, max, mean, sd: Math.sqrt(Math.max(0, sq / ROWS - mean * mean)) };
});
const model = { meta: { features: FEATURE_NAMES, threshold: { value: threshold }, featureSummary: summary }, forest };

// 2. request streams: CLIENTS clients, each replaying its own seeded session, interleaved round-robin.
//    "mixed": every profile in turn (5 of 8 are attackers: a worst case for explanations);
//    "ordinary": browser, mobile and office clients only (what a healthy API mostly sees).
function makeStream(profiles) {
  const master = new Random(11);
  const sessions = [];
  for (let c = 0; c < CLIENTS; c++) {
    const p = profiles[c % profiles.length];
    const reqs = p.session(master.fork()).slice(0, 400);
    sessions.push({ id: `10.${(c >> 8) & 255}.${c & 255}.1`, reqs, i: 0 });
  }
  const out = [];
  const base = 1_700_000_000_000;
  for (let more = true; more; ) {
    more = false;
    for (const s of sessions) {
      if (s.i < s.reqs.length) {
        const q = s.reqs[s.i++];
        out.push({ id: s.id, t: base + q.at, method: q.method, path: q.path, status: q.path.startsWith('/api/') ? 200 : 404 });
        more = true;
      }
    }
  }
  return out;
}
let stream = makeStream(PROFILES);
const ordinaryStream = makeStream(PROFILES.filter((p) => p.label === 0));
const N = stream.length;

function median(a) {
  const s = a.slice().sort((x, y) => x - y);
  return s[s.length >> 1];
}

function bench(name, setup, step, data = stream) {
  const N = data.length;
  const times = [];
  for (let round = 0; round < ROUNDS + 1; round++) {
    const state = setup();
    const c0 = process.cpuUsage();
    for (let i = 0; i < N; i++) step(state, data[i]);
    const c1 = process.cpuUsage(c0);
    const ns = ((c1.user + c1.system) * 1e3) / N; // CPU time: less sensitive to other processes than wall time
    if (round > 0) times.push(ns); // round 0 warms up the JIT
  }
  const m = median(times);
  console.log(`${name.padEnd(58)} ${m.toFixed(0).padStart(6)} ns/request`);
  return m;
}

console.log(`behaviour bench: node ${process.version}, ${cpus()[0].model}, ${cpus().length} cores, load ${loadavg()[0].toFixed(2)}; ${N} requests from ${CLIENTS} clients (ordinary-only stream: ${ordinaryStream.length}), ${ROUNDS} rounds (median)`);
console.log(`forest: 100 trees, psi 256, ${NUM_FEATURES} features; block threshold ${threshold.toFixed(4)}`);

const ev = { t: 0, method: '', path: '', status: 0, decision: 'ALLOW' };
const windowsSetup = () => new Map();
const win = (m, q) => {
  let w = m.get(q.id);
  if (w === undefined) m.set(q.id, (w = new BehaviourWindow(60_000)));
  return w;
};
const a = bench('(a) window update (Map lookup + push)', windowsSetup, (m, q) => {
  ev.t = q.t; ev.method = q.method; ev.path = q.path; ev.status = q.status;
  win(m, q).push(ev);
});
const out = new Float64Array(NUM_FEATURES);
let sink = 0;
const b = bench('(b) window update + extract + 100-tree score', windowsSetup, (m, q) => {
  ev.t = q.t; ev.method = q.method; ev.path = q.path; ev.status = q.status;
  const w = win(m, q);
  w.push(ev);
  if (w.size >= 20) sink += forest.score(w.extract(q.t, out));
});

const config = { ...DEFAULT_CONFIG, mode: 'monitor' }; // monitor: no bans, so every client keeps being scored
const scorer = new BehaviourScorer(model, { blockThreshold: null, flagThreshold: null });
const ctx = {
  req: { method: 'GET' }, now: 0, path: '', clientIp: '', clientId: '', keyId: null, allowListed: false,
  score: null, features: null, explain: null, responseHeaders: [], wouldDecision: null, allowReason: 'ok',
};
let flagged = 0;
const engineSetup = () => new BehaviourEngine({ config, model: { scorer }, bans: new BanManager(DEFAULT_CONFIG.bans) });
const passStep = (engine, q) => {
  ctx.req.method = q.method; ctx.now = q.t; ctx.path = q.path; ctx.clientId = q.id; ctx.clientIp = q.id;
  ctx.score = null; ctx.features = null; ctx.explain = null; ctx.allowReason = 'ok'; ctx.wouldDecision = null;
  engine.pass.run(ctx);
  if (ctx.explain !== null) flagged++;
  engine.pass.after(ctx, q.status, 'ALLOW');
};
const c = bench('(c) full behaviour pass, mixed traffic: run() + after()', engineSetup, passStep);
const flaggedMixed = flagged / (ROUNDS + 1) / N;
flagged = 0;
const d = bench('(d) full behaviour pass, ordinary traffic only', engineSetup, passStep, ordinaryStream);
const flaggedOrdinary = flagged / (ROUNDS + 1) / ordinaryStream.length;
console.log(`(requests explained because flagged: mixed ${(flaggedMixed * 100).toFixed(1)}%, ordinary ${(flaggedOrdinary * 100).toFixed(1)}%; scored requests also get their features JSON)`);
console.log(JSON.stringify({ requests: N, clients: CLIENTS, windowNs: Math.round(a), windowScoreNs: Math.round(b), fullPassMixedNs: Math.round(c), fullPassOrdinaryNs: Math.round(d), sink: sink > 0 }));
