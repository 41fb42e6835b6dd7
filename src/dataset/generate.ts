// Owns synthetic dataset generation: runs seeded client sessions (src/dataset/profiles.ts) through a simulated
// gateway (auth + the default per-IP rate limits) and the shared BehaviourWindow, one labelled row per request.
//
// Example:
//   generateDataset({ rows: 1000, anomalyRatio: 0.1, seed: 1 }, (x, label, profile) => rows.push([...x, label, profile]));
//   await generateDatasetFile({ rows: 100_000, seed: 42, out: 'data.csv' });

import { DEFAULT_CONFIG } from '../config/types.js';
import {
  BehaviourWindow,
  DEFAULT_MAX_EVENTS,
  DEFAULT_WINDOW_MS,
  FEATURE_NAMES,
  NUM_FEATURES,
  QUERY_HASH_FIXED_BASIS,
  queryHash,
  type BehaviourDecision,
} from '../behaviour/features.js';
import { PathHelmError } from '../errors.js';
import { CsvWriter } from './csv.js';
import { PROFILES, demoBackendStatus, type Profile, type ProfileRequest } from './profiles.js';
import { Random } from './rng.js';

export interface GenerateOptions {
  /** Rows to write (one per simulated request). */
  rows: number;
  /** Share of rows that come from attacker sessions, 0..1 (default 0.1). */
  anomalyRatio?: number;
  seed?: number;
  windowMs?: number;
  maxEvents?: number;
  /** Most rows one session contributes (every k-th request of a longer one), so one long session does not dominate. */
  maxRowsPerSession?: number;
  /**
   * Only windows holding at least this many events become rows (default 1 = every request). The gateway scores a
   * client only from `behaviour.minEvents` events on, so a model for it is best trained on such windows.
   */
  minEvents?: number;
  /** Restrict to these profile names (default: all). */
  profiles?: readonly string[];
}

export interface GenerateSummary {
  rows: number;
  anomalies: number;
  sessions: number;
  perProfile: Record<string, { sessions: number; rows: number }>;
}

export type RowSink = (features: Float64Array, label: 0 | 1, profile: string) => void;

export const DEFAULT_GENERATE = {
  anomalyRatio: 0.1,
  seed: 42,
  maxRowsPerSession: 100,
  minEvents: 1,
} as const;

/** Paths the simulated gateway lets through without an API key (the default `auth.publicPaths`). */
const PUBLIC_PATHS = new Set(DEFAULT_CONFIG.auth.publicPaths);

/** Sliding-log limiter for one window: admits at most `limit` requests per `windowMs`. */
class SlidingLog {
  private readonly times: Float64Array;
  private head = 0;
  private n = 0;
  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {
    this.times = new Float64Array(limit);
  }
  wouldAdmit(t: number): boolean {
    while (this.n > 0 && this.times[this.head] <= t - this.windowMs) {
      this.head = (this.head + 1) % this.limit;
      this.n--;
    }
    return this.n < this.limit;
  }
  record(t: number): void {
    this.times[(this.head + this.n) % this.limit] = t;
    this.n++;
  }
}

/**
 * The decision and status a default-configured gateway in front of the demo backend gives each request of one
 * client: BLOCK 401 without an API key (except public paths), THROTTLE 429 over the per-IP rate limits, else
 * ALLOW with the backend's status. Behaviour blocking is not simulated (the model does not exist yet).
 */
export class SimulatedGateway {
  private readonly limits = DEFAULT_CONFIG.rateLimit.ip.map((w) => new SlidingLog(w.limit, w.windowMs));

  decide(r: ProfileRequest, t: number): { decision: BehaviourDecision; status: number } {
    if (!r.withKey && !PUBLIC_PATHS.has(r.path)) return { decision: 'BLOCK', status: 401 };
    for (const l of this.limits) if (!l.wouldAdmit(t)) return { decision: 'THROTTLE', status: 429 };
    for (const l of this.limits) l.record(t);
    return { decision: 'ALLOW', status: demoBackendStatus(r.method, r.path, r.body) };
  }
}

/**
 * Runs one session's requests through a SimulatedGateway and a fresh BehaviourWindow, calling `each` with the
 * feature vector after every request (the same buffer each time). `each` returns false to stop early.
 *
 * Example: replaySession(profileByName('scraper').session(new Random(1)), {}, (x, r, i) => i < 100);
 */
export function replaySession(
  requests: readonly ProfileRequest[],
  opts: { windowMs?: number; maxEvents?: number; out?: Float64Array },
  each: (
    features: Float64Array,
    req: ProfileRequest,
    index: number,
    windowSize: number,
    decision: BehaviourDecision,
    status: number,
    window: BehaviourWindow,
  ) => boolean | void,
): void {
  const window = new BehaviourWindow(opts.windowMs ?? DEFAULT_WINDOW_MS, { maxEvents: opts.maxEvents ?? DEFAULT_MAX_EVENTS });
  const gateway = new SimulatedGateway();
  const x = opts.out ?? new Float64Array(NUM_FEATURES);
  for (let i = 0; i < requests.length; i++) {
    const r = requests[i];
    const { decision, status } = gateway.decide(r, r.at);
    // The query hash only feeds the steady-poller rule (a fixed basis keeps replays deterministic).
    window.push({ t: r.at, method: r.method, path: r.path, status, decision, queryHash: queryHash(r.query, 0, r.query.length, QUERY_HASH_FIXED_BASIS) });
    window.extract(r.at, x);
    if (each(x, r, i, window.size, decision, status, window) === false) return;
  }
}

function validate(opts: GenerateOptions): Required<Omit<GenerateOptions, 'profiles'>> & { profiles: readonly Profile[] } {
  const rows = opts.rows;
  if (!Number.isInteger(rows) || rows < 1) throw new PathHelmError('PH_ERR_USAGE', `--rows must be an integer >= 1, got ${rows}`);
  const anomalyRatio = opts.anomalyRatio ?? DEFAULT_GENERATE.anomalyRatio;
  if (!(anomalyRatio >= 0 && anomalyRatio <= 1)) throw new PathHelmError('PH_ERR_USAGE', `--anomaly-ratio must be between 0 and 1, got ${anomalyRatio}`);
  const seed = opts.seed ?? DEFAULT_GENERATE.seed;
  if (!Number.isSafeInteger(seed)) throw new PathHelmError('PH_ERR_USAGE', `--seed must be an integer, got ${seed}`);
  const maxRowsPerSession = opts.maxRowsPerSession ?? DEFAULT_GENERATE.maxRowsPerSession;
  if (!Number.isInteger(maxRowsPerSession) || maxRowsPerSession < 1) throw new PathHelmError('PH_ERR_USAGE', `maxRowsPerSession must be an integer >= 1, got ${maxRowsPerSession}`);
  const minEvents = opts.minEvents ?? DEFAULT_GENERATE.minEvents;
  if (!Number.isInteger(minEvents) || minEvents < 1) throw new PathHelmError('PH_ERR_USAGE', `--min-events must be an integer >= 1, got ${minEvents}`);
  let profiles: readonly Profile[] = PROFILES;
  if (opts.profiles) {
    profiles = opts.profiles.map((name) => {
      const p = PROFILES.find((x) => x.name === name);
      if (!p) throw new PathHelmError('PH_ERR_USAGE', `unknown profile "${name}"; known: ${PROFILES.map((x) => x.name).join(', ')}`);
      return p;
    });
  }
  return {
    rows,
    anomalyRatio,
    seed,
    windowMs: opts.windowMs ?? DEFAULT_WINDOW_MS,
    maxEvents: opts.maxEvents ?? DEFAULT_MAX_EVENTS,
    maxRowsPerSession,
    minEvents,
    profiles,
  };
}

/**
 * Generates `rows` labelled feature rows into `sink`, deterministically for a seed. Sessions of ordinary and attacker
 * profiles are interleaved so both quotas (rows·(1−ratio) and rows·ratio) fill at the same pace.
 */
export function generateDataset(opts: GenerateOptions, sink: RowSink): GenerateSummary {
  const o = validate(opts);
  const normal = o.profiles.filter((p) => p.label === 0);
  const attack = o.profiles.filter((p) => p.label === 1);
  const attackTarget = Math.round(o.rows * o.anomalyRatio);
  const normalTarget = o.rows - attackTarget;
  if (normalTarget > 0 && normal.length === 0) throw new PathHelmError('PH_ERR_USAGE', 'no ordinary profile selected but the anomaly ratio is below 1');
  if (attackTarget > 0 && attack.length === 0) throw new PathHelmError('PH_ERR_USAGE', 'no attacker profile selected but the anomaly ratio is above 0');

  const master = new Random(o.seed);
  const x = new Float64Array(NUM_FEATURES);
  const summary: GenerateSummary = { rows: 0, anomalies: 0, sessions: 0, perProfile: {} };
  for (const p of o.profiles) summary.perProfile[p.name] = { sessions: 0, rows: 0 };
  let barren = 0; // sessions in a row that produced no row (guards against a min-events nothing reaches)
  let normalLeft = normalTarget;
  let attackLeft = attackTarget;

  while (normalLeft > 0 || attackLeft > 0) {
    // Pick the side that is further behind its quota.
    const pickAttack = attackLeft > 0 && (normalLeft === 0 || attackLeft / attackTarget > normalLeft / normalTarget);
    const pool = pickAttack ? attack : normal;
    const profile = pool[master.weighted(pool.map((p) => p.weight))];
    const rng = master.fork();
    const requests = profile.session(rng);
    const budget = Math.min(o.maxRowsPerSession, pickAttack ? attackLeft : normalLeft);

    // A session contributes its first windows (a client's start, when the gateway first scores it) and then
    // every k-th window, so the late (busier, fuller) windows of long sessions are represented too.
    const head = Math.floor(o.maxRowsPerSession / 4);
    const stride = Math.max(1, Math.ceil(requests.length / (o.maxRowsPerSession - head)));
    let emitted = 0;
    replaySession(requests, { windowMs: o.windowMs, maxEvents: o.maxEvents, out: x }, (features, _r, i, size) => {
      if (size < o.minEvents || (emitted >= head && i % stride !== 0)) return true;
      sink(features, profile.label, profile.name);
      return ++emitted < budget;
    });
    if (emitted === 0 && ++barren > 10_000) {
      throw new PathHelmError('PH_ERR_USAGE', `no session reaches --min-events ${o.minEvents} within a ${o.windowMs} ms window; lower it`);
    } else if (emitted > 0) barren = 0;
    summary.sessions++;
    summary.rows += emitted;
    summary.perProfile[profile.name].sessions++;
    summary.perProfile[profile.name].rows += emitted;
    if (pickAttack) {
      attackLeft -= emitted;
      summary.anomalies += emitted;
    } else normalLeft -= emitted;
  }
  return summary;
}

/** Column names of a generated file: the features, then `label` and `profile`. */
export const DATASET_COLUMNS: readonly string[] = [...FEATURE_NAMES, 'label', 'profile'];

/** Writes a generated dataset as CSV to `out` ('-' = stdout). */
export function generateDatasetFile(opts: GenerateOptions & { out: string }): GenerateSummary {
  const writer = new CsvWriter(opts.out);
  try {
    writer.writeRow(DATASET_COLUMNS);
    const cells: (string | number)[] = new Array(NUM_FEATURES + 2);
    const summary = generateDataset(opts, (x, label, profile) => {
      for (let i = 0; i < NUM_FEATURES; i++) cells[i] = x[i];
      cells[NUM_FEATURES] = label;
      cells[NUM_FEATURES + 1] = profile;
      writer.writeRow(cells);
    });
    writer.close();
    return summary;
  } catch (err) {
    writer.close();
    throw err;
  }
}
