#!/usr/bin/env node
// Replays hand-written scenarios around the steady-poller rule (docs/features.md "Steady pollers") through the
// shared replay and the shipped model, with and without the rule: legitimate pollers the profiles do not cover, and
// attackers shaped to slip through it. Built code (`npm run build` first).
// Usage: node scripts/poller-scenarios.mjs [models/default.json] [--sessions 100]
import { DEFAULT_POLLER_RULE } from '../dist/behaviour/features.js';
import { replaySession } from '../dist/dataset/generate.js';
import { Random } from '../dist/dataset/rng.js';
import { loadModel } from '../dist/forest/index.js';

const args = process.argv.slice(2);
const i = args.indexOf('--sessions');
const sessions = i >= 0 ? Number(args[i + 1]) : 100;
const path = args.find((a, j) => !a.startsWith('--') && args[j - 1] !== '--sessions') ?? 'models/default.json';
const model = loadModel(path);
const threshold = model.meta.threshold.value;
const K = 3;
const req = (at, path, query = '', method = 'GET') => ({ at: Math.round(at), method, path, query, body: null, withKey: true });
const WORDS = ['lamp', 'chair', 'desk', 'kettle', 'bike', 'phone', 'camera', 'jacket', 'boots', 'guitar', 'book', 'table',
  'sofa', 'mirror', 'plant', 'rug', 'clock', 'speaker', 'monitor', 'keyboard', 'mouse', 'backpack', 'tent', 'oven'];

/** Sessions stopped by the model (K in a row at/above the threshold), with the rule exempting steady pollers or not. */
function run(name, gen) {
  const rng = new Random(5);
  const stopped = { without: 0, with: 0 };
  const at = [];
  const failed = {};
  for (let s = 0; s < sessions; s++) {
    const reqs = gen(rng.fork());
    for (const rule of [null, DEFAULT_POLLER_RULE]) {
      let run = 0;
      let blockedAt = -1;
      const check = {};
      replaySession(reqs, {}, (x, r, i, size, _d, _s, w) => {
        if (size < 20 || blockedAt >= 0) return;
        if (model.forest.score(x) < threshold) {
          run = 0;
          return;
        }
        if (rule !== null) {
          if (w.isSteadyPoller(rule, r.at, check)) {
            run = 0;
            return;
          }
          failed[check.failed] = (failed[check.failed] ?? 0) + 1;
        }
        if (++run >= K) blockedAt = i + 1;
      });
      if (blockedAt >= 0) {
        stopped[rule === null ? 'without' : 'with']++;
        if (rule !== null) at.push(blockedAt);
      }
    }
  }
  at.sort((a, b) => a - b);
  const why = Object.entries(failed).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`| ${name} | ${stopped.without}/${sessions} | ${stopped.with}/${sessions} | ${at.length ? at[at.length >> 1] : '—'} | ${why || '—'} |`);
}

console.log(`${path}: threshold ${threshold}, K = ${K}, ${sessions} sessions per scenario (seed 5)\n`);
console.log('| scenario | stopped, model alone | stopped, with the rule | request stopped at (median) | high windows not exempt, by failed condition |');
console.log('|---|--:|--:|--:|---|');
// Legitimate: a single-page app's page load (8-15 distinct calls), then 1-3 URLs polled every 0.5-3 s.
run('SPA page load, then polling 1-3 URLs', (rng) => {
  const out = [];
  let t = 0;
  for (let n = rng.int(8, 15); n > 0; n--) {
    out.push(req(t, `/api/items/${rng.int(1, 1000)}`));
    t += rng.uniform(2, 40);
  }
  out.push(req(t, '/api/users/3'));
  t += 300;
  const k = rng.int(1, 3);
  const period = 500 * 6 ** rng.float();
  const targets = [['/api/users/7', ''], ['/api/items', 'page=1'], ['/api/search', 'q=lamp']].slice(0, k);
  for (let n = 0; n < 400; n++) {
    targets.forEach(([p, q], j) => out.push(req(t + j * 3, p, q)));
    t += period * (1 + 0.05 * rng.normal());
  }
  return out;
});
// Legitimate: a poller with a cache buster (?_=<timestamp>): a new query string every time.
run('cache-busting poller (?_=timestamp), every 2 s', (rng) => {
  const out = [];
  let t = 0;
  for (let n = 0; n < 600; n++) {
    out.push(req(t, '/api/items', `_=${1_700_000_000_000 + Math.round(t)}`));
    t += 2000 * (1 + 0.05 * rng.normal());
  }
  return out;
});
// Gives up: a bot polling one fixed search (the same answer every time).
run('bot polling one fixed search (?q=lamp), every 1.5 s', (rng) => {
  const out = [];
  let t = 0;
  for (let n = 0; n < 600; n++) {
    out.push(req(t, '/api/search', 'q=lamp'));
    t += 1500 * (1 + 0.01 * rng.normal());
  }
  return out;
});
// Attackers shaped to the rule: each new id / search term asked for 4 times, 6 at a time, every 450 ms.
const rotating = (target) => (rng) => {
  const out = [];
  let t = 0;
  for (let c = 0; c < 400; c++) {
    for (let j = 0; j < 6; j++) {
      const n = Math.floor(c / 4) * 6 + j;
      out.push(req(t + j * 10, ...target(n)));
    }
    t += 450 * (1 + 0.02 * rng.normal());
  }
  return out;
};
run('id scraper asking for each id 4 times, 6 at a time', rotating((n) => [`/api/items/${n + 1}`, '']));
run('search scraper asking for each term 4 times, 6 at a time', rotating((n) => ['/api/search', `q=${WORDS[n % 24]}${Math.floor(n / 24)}`]));
// Attackers: a single-URL flood at 5 requests/s; credential stuffing with the credentials in the query string.
run('one URL at 5 requests/s', (rng) => {
  const out = [];
  let t = 0;
  for (let n = 0; n < 600; n++) {
    out.push(req(t, '/api/items', 'page=1'));
    t += 200 * (1 + 0.05 * rng.normal());
  }
  return out;
});
run('stuffing with credentials in the query, every 1 s', (rng) => {
  const out = [];
  let t = 0;
  for (let n = 0; n < 600; n++) {
    out.push(req(t, '/api/search', `user=u${rng.int(1, 99_999)}&pw=${rng.int(0, 999_999)}`));
    t += 1000 * (1 + 0.05 * rng.normal());
  }
  return out;
});
