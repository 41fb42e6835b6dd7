// Owns the per-profile evaluation of a behaviour model the way the gateway uses it: replays fresh seeded sessions
// of every profile, scores each window once it holds `minEvents` events, and counts how often a client reaches
// `consecutive` scores at/above the threshold (blocked) and after how many requests — with the gateway's two
// behaviour rules applied as serve applies them: the regular-crawl rule (blocks) and the steady-poller rule
// (a score of a steady poller does not count towards a block). Threshold calibration applies the poller rule too.
//
// Example:
//   const rows = evaluateProfiles(loadModel('models/default.json'), { sessions: 100, seed: 7 });
//   for (const r of rows) console.log(r.profile, r.windowShare, r.blockedSessions, r.auc);

import { DEFAULT_POLLER_RULE, DEFAULT_REGULAR_RULE, FEATURE_NAMES, NUM_FEATURES, type PollerRule, type RegularRule } from '../behaviour/features.js';
import { replaySession } from '../dataset/generate.js';
import { PROFILES } from '../dataset/profiles.js';
import { Random } from '../dataset/rng.js';
import { checkFeatures, rocAuc, type LoadedModel } from '../forest/index.js';

export interface EvaluateOptions {
  /** Sessions replayed per profile (default 100). */
  sessions?: number;
  /** Seed of the replayed sessions (use one the training data did not). */
  seed?: number;
  /** Events in the window before a client is scored (gateway `behaviour.minEvents`, default 20). */
  minEvents?: number;
  /** Consecutive at/above-threshold scores that block (gateway `ml.consecutive`, default 3). */
  consecutive?: number;
  /** Threshold (default: the model's). */
  threshold?: number;
  /** Most scored windows kept per profile for the AUC (default 20,000). */
  maxAucWindows?: number;
  /**
   * The gateway's regular-crawl rule (`behaviour.regular`, default DEFAULT_REGULAR_RULE); null = the model alone.
   * A client is stopped at the first request after its history matches the rule.
   */
  regular?: Readonly<RegularRule> | null;
  /**
   * The gateway's steady-poller rule (`behaviour.poller`, default DEFAULT_POLLER_RULE); null = the model alone. A
   * scored window at/above the threshold whose client is a steady poller does not count towards a block (the run
   * restarts), as in serve.
   */
  poller?: Readonly<PollerRule> | null;
}

export interface ProfileEvaluation {
  profile: string;
  label: 0 | 1;
  sessions: number;
  /** Windows scored (at least minEvents events). */
  windows: number;
  /** Share of scored windows at/above the threshold. */
  windowShare: number;
  /** Sessions stopped: by `consecutive` at/above-threshold windows in a row, or by the regular-crawl rule. */
  blockedSessions: number;
  /** Of those, sessions the regular-crawl rule stopped first (0 without the rule). */
  ruleStopped: number;
  /** Sessions with at least one at/above-threshold window the steady-poller rule exempted (0 without the rule). */
  exemptSessions: number;
  /** Share of the at/above-threshold windows the steady-poller rule exempted. */
  exemptShare: number;
  /** Longest run of consecutive at/above-threshold windows in any session (exempt ones included). */
  longestRun: number;
  /**
   * Requests a stopped session had sent when it was stopped, the refused one included: median and maximum (null if
   * none stopped). The model: the request whose window made the K-th score in a row; the rule: the request after
   * the history matched (the live pass judges the history before the request joins it).
   */
  requestsToBlock: { median: number; max: number } | null;
  /** Attackers: ROC AUC of this profile's windows against all ordinary windows. Null for ordinary profiles. */
  auc: number | null;
}

/** Replays every profile through the shared feature module and scores it with `model` (see the file comment). */
export function evaluateProfiles(model: LoadedModel, opts: EvaluateOptions = {}): ProfileEvaluation[] {
  checkFeatures(model, FEATURE_NAMES);
  const sessions = opts.sessions ?? 100;
  const minEvents = opts.minEvents ?? 20;
  const consecutive = opts.consecutive ?? 3;
  const threshold = opts.threshold ?? model.meta.threshold.value;
  const maxAuc = opts.maxAucWindows ?? 20_000;
  const rule = opts.regular === undefined ? DEFAULT_REGULAR_RULE : opts.regular;
  const poller = opts.poller === undefined ? DEFAULT_POLLER_RULE : opts.poller;
  const rng = new Random(opts.seed ?? 7);
  const x = new Float64Array(NUM_FEATURES);
  const results: ProfileEvaluation[] = [];
  const kept = new Map<string, number[]>();
  for (const p of PROFILES) {
    let windows = 0;
    let flagged = 0;
    let blocked = 0;
    let longest = 0;
    let byRule = 0;
    let exempt = 0;
    let exemptSessions = 0;
    const toBlock: number[] = [];
    const sample: number[] = [];
    for (let s = 0; s < sessions; s++) {
      let run = 0;
      let rawRun = 0;
      let blockedAt = -1;
      let ruleAt = -1;
      let exemptHere = false;
      replaySession(p.session(rng.fork()), { out: x }, (features, r, i, size, _d, _s, window) => {
        if (rule !== null && ruleAt < 0 && window.isRegularCrawl(rule)) ruleAt = i + 2;
        if (size < minEvents) {
          run = 0;
          rawRun = 0;
          return;
        }
        const score = model.forest.score(features);
        windows++;
        if (sample.length < maxAuc) sample.push(score);
        if (score >= threshold) {
          flagged++;
          if (++rawRun > longest) longest = rawRun;
          if (poller !== null && blockedAt < 0 && window.isSteadyPoller(poller, r.at)) {
            exempt++;
            exemptHere = true;
            run = 0;
            return;
          }
          run++;
          if (run >= consecutive && blockedAt < 0) blockedAt = i + 1;
        } else {
          run = 0;
          rawRun = 0;
        }
      });
      if (exemptHere) exemptSessions++;
      if (ruleAt >= 0 && (blockedAt < 0 || ruleAt < blockedAt)) {
        byRule++;
        blockedAt = ruleAt;
      }
      if (blockedAt >= 0) {
        blocked++;
        toBlock.push(blockedAt);
      }
    }
    toBlock.sort((a, b) => a - b);
    kept.set(p.name, sample);
    results.push({
      profile: p.name,
      label: p.label,
      sessions,
      windows,
      windowShare: windows === 0 ? 0 : flagged / windows,
      blockedSessions: blocked,
      ruleStopped: byRule,
      exemptSessions,
      exemptShare: flagged === 0 ? 0 : exempt / flagged,
      longestRun: longest,
      requestsToBlock: toBlock.length ? { median: toBlock[toBlock.length >> 1], max: toBlock[toBlock.length - 1] } : null,
      auc: null,
    });
  }
  const normal: number[] = [];
  for (const p of PROFILES) if (p.label === 0) normal.push(...kept.get(p.name)!);
  for (const r of results) {
    if (r.label !== 1) continue;
    const pos = kept.get(r.profile)!;
    const scores = Float64Array.from([...pos, ...normal]);
    const labels = new Uint8Array(scores.length);
    labels.fill(1, 0, pos.length);
    const a = rocAuc(scores, labels);
    r.auc = Number.isNaN(a) ? null : a;
  }
  return results;
}

/** A Markdown table of an evaluation (used for models/README.md). */
export function evaluationTable(rows: readonly ProfileEvaluation[]): string {
  const out = [
    '| profile | label | sessions | windows scored | windows at/above threshold | sessions stopped | of them by the regular-crawl rule | sessions with windows exempted (steady poller) | longest run | requests to stop (median / max) | AUC vs ordinary |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of rows) {
    out.push(
      `| ${r.profile} | ${r.label} | ${r.sessions} | ${r.windows} | ${(100 * r.windowShare).toFixed(2)}% | ${r.blockedSessions}/${r.sessions} | ${r.ruleStopped} | ${r.exemptSessions} | ${r.longestRun} | ${
        r.requestsToBlock ? `${r.requestsToBlock.median} / ${r.requestsToBlock.max}` : '—'
      } | ${r.auc === null ? '—' : r.auc.toFixed(4)} |`,
    );
  }
  return out.join('\n');
}

export interface CalibrateOptions {
  /** Sessions replayed per ordinary profile (default 200). */
  sessions?: number;
  /** Seed of the replayed sessions (default 1009; keep it apart from the training data's seed). */
  seed?: number;
  /** Events in the window before a client is scored (gateway `behaviour.minEvents`, default 20). */
  minEvents?: number;
  /** Consecutive at/above-threshold scores that block (gateway `ml.consecutive`, default 3). */
  consecutive?: number;
  /** Added to the highest ordinary K-in-a-row score (default 0.01). */
  margin?: number;
  /**
   * The gateway's steady-poller rule (default DEFAULT_POLLER_RULE; null = none): a window of a steady poller cannot
   * count towards a block in serve, so it does not count here either (it breaks the run of K).
   */
  poller?: Readonly<PollerRule> | null;
}

export interface Calibration {
  value: number;
  /** Highest "minimum of K consecutive scores" any replayed ordinary session reached. */
  ordinaryMax: number;
  sessions: number;
}

/**
 * The block threshold no replayed ordinary client reaches on `consecutive` scored requests in a row: the highest
 * min-of-K-consecutive score over seeded ordinary sessions, plus a margin, rounded up to 4 decimals. Windows the
 * steady-poller rule exempts (`poller`) break a run, as in serve: the threshold is set by what the model decides on.
 *
 * Example: calibrateThreshold(forest, { sessions: 200, consecutive: 3, minEvents: 20 }).value // e.g. 0.6712
 */
export function calibrateThreshold(forest: { score(x: ArrayLike<number>): number }, opts: CalibrateOptions = {}): Calibration {
  const sessions = opts.sessions ?? 200;
  const minEvents = opts.minEvents ?? 20;
  const k = opts.consecutive ?? 3;
  const poller = opts.poller === undefined ? DEFAULT_POLLER_RULE : opts.poller;
  const rng = new Random(opts.seed ?? 1009);
  const x = new Float64Array(NUM_FEATURES);
  const last = new Float64Array(k);
  let ordinaryMax = 0;
  for (const p of PROFILES) {
    if (p.label !== 0) continue;
    for (let s = 0; s < sessions; s++) {
      let filled = 0;
      replaySession(p.session(rng.fork()), { out: x }, (features, r, _i, size, _d, _s, window) => {
        if (size < minEvents) {
          filled = 0;
          return;
        }
        const score = forest.score(features);
        // A score at or below the running maximum cannot raise it, exempt or not: only higher ones pay for the check.
        if (poller !== null && score > ordinaryMax && window.isSteadyPoller(poller, r.at)) {
          filled = 0;
          return;
        }
        last[filled % k] = score;
        filled++;
        if (filled >= k) {
          let m = Infinity;
          for (let j = 0; j < k; j++) if (last[j] < m) m = last[j];
          if (m > ordinaryMax) ordinaryMax = m;
        }
      });
    }
  }
  const value = Math.min(1, Math.ceil((ordinaryMax + (opts.margin ?? 0.01)) * 1e4) / 1e4);
  return { value, ordinaryMax, sessions };
}
