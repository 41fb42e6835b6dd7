// Owns threshold calibration for the hybrid decision: the block threshold that no ordinary client reaches on
// K consecutive scored requests, measured by replaying seeded ordinary sessions (src/dataset/profiles.ts)
// through the shared feature window and the model.
//
// Example:
//   const c = calibrateBlockThreshold(model.forest, { consecutive: 3, minEvents: 20 });
//   c.threshold;   // e.g. 0.68: max over ordinary sessions of min(score of K consecutive requests) + margin
//   c.perProfile;  // { scraper: { sessions: 40, caught: 39 }, ... } with the same rule
//
// Why: a training-score quantile (e.g. the 99.9th) says how rare one window is, not whether an ordinary client
// would ever be blocked under the K-in-a-row rule; this measures exactly that on held-out sessions. Windows of a
// steady poller (DEFAULT_POLLER_RULE, the gateway's behaviour.poller) break a run, as they do in serve.

import { replaySession } from '../dataset/generate.js';
import { DEFAULT_POLLER_RULE } from './features.js';
import { PROFILES } from '../dataset/profiles.js';
import { Random } from '../dataset/rng.js';

export interface CalibrateOptions {
  consecutive: number;
  minEvents: number;
  /** Sessions replayed per ordinary profile (default 150) and per attacker profile (default 40). */
  ordinarySessions?: number;
  attackerSessions?: number;
  /** Added to the highest ordinary K-in-a-row score (default 0.01). */
  margin?: number;
  seed?: number;
  /** Requests per session at most (default 800). */
  maxRequests?: number;
}

export interface Calibration {
  threshold: number;
  /** Highest K-in-a-row score of any ordinary session. */
  ordinaryMax: number;
  perProfile: Record<string, { label: 0 | 1; sessions: number; caught: number; medianFirstCaught: number | null }>;
}

/** Highest min-of-K-consecutive score of one session and the request number where `threshold` is first reached. */
function sessionRun(forest: { score(x: ArrayLike<number>): number }, reqs: Parameters<typeof replaySession>[0], k: number, minEvents: number): number[] {
  const kmin: number[] = [];
  const last: number[] = [];
  replaySession(reqs, {}, (x, r, i, _size, _d, _s, window) => {
    if (i + 1 < minEvents) {
      kmin.push(0);
      return;
    }
    const s = forest.score(x);
    if (window.isSteadyPoller(DEFAULT_POLLER_RULE, r.at)) {
      last.length = 0;
      kmin.push(0);
      return;
    }
    last.push(s);
    if (last.length > k) last.shift();
    kmin.push(last.length === k ? Math.min(...last) : 0);
  });
  return kmin;
}

export function calibrateBlockThreshold(forest: { score(x: ArrayLike<number>): number }, opts: CalibrateOptions): Calibration {
  const rng = new Random(opts.seed ?? 20_261_121);
  const maxReq = opts.maxRequests ?? 800;
  const runs = new Map<string, number[][]>();
  let ordinaryMax = 0;
  for (const p of PROFILES) {
    const n = p.label === 0 ? (opts.ordinarySessions ?? 150) : (opts.attackerSessions ?? 40);
    const list: number[][] = [];
    for (let s = 0; s < n; s++) {
      const kmin = sessionRun(forest, p.session(rng.fork()).slice(0, maxReq), opts.consecutive, opts.minEvents);
      list.push(kmin);
      if (p.label === 0) for (const v of kmin) if (v > ordinaryMax) ordinaryMax = v;
    }
    runs.set(p.name, list);
  }
  const threshold = Math.min(0.999, ordinaryMax + (opts.margin ?? 0.01));
  const perProfile: Calibration['perProfile'] = {};
  for (const p of PROFILES) {
    const firsts: number[] = [];
    for (const kmin of runs.get(p.name)!) {
      const i = kmin.findIndex((v) => v >= threshold);
      if (i >= 0) firsts.push(i + 1);
    }
    firsts.sort((a, b) => a - b);
    perProfile[p.name] = { label: p.label, sessions: runs.get(p.name)!.length, caught: firsts.length, medianFirstCaught: firsts.length ? firsts[firsts.length >> 1] : null };
  }
  return { threshold, ordinaryMax, perProfile };
}
