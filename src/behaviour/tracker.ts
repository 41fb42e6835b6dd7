// Owns the live per-client behaviour state of `serve`: one BehaviourWindow per client id, capped, with
// LRU-ish eviction, plus the small per-client counters the hybrid decision needs (consecutive anomalous
// scores, flagged-until, async verdicts, the tighter rate-limit counters of flagged clients).
//
// Example:
//   const tracker = new BehaviourTracker({ windowMs: 60_000, maxClients: 10_000 });
//   const st = tracker.get('key_abc', now);           // creates or touches
//   st.window.push({ t: now, method: 'GET', path: '/x', status: 200, decision: 'ALLOW' });
//   st.window.extract(now, scratch);
//
// Memory: a BehaviourWindow preallocates its ring (about 21 kB at the default 1,000 events), so the
// tracker reuses the window of the client it evicts instead of allocating a new one.

import { BehaviourWindow, DEFAULT_MAX_EVENTS } from './features.js';
import type { ScoreMemo } from './scorer.js';

/** Per-client state. Fields are plain numbers so the hot path does no allocation. */
export interface ClientState {
  readonly id: string;
  readonly window: BehaviourWindow;
  /** Consecutive scored requests at or above the block threshold. */
  consecutive: number;
  /** The client is treated as flagged (tighter rate limit) until this time (ms). */
  flaggedUntil: number;
  /** Last score (NaN when never scored); in async mode the score the next request acts on. */
  lastScore: number;
  /** Features / explain JSON of the last score (async mode copies them to the next request's row). */
  lastFeatures: string | null;
  lastExplain: string | null;
  /** Last flag-level explanation and when it was made (reused for up to 1 s: explaining costs ~5 µs). */
  explainCache: string | null;
  explainAt: number;
  /** Async mode: the last score asked for a block on the next request. */
  pendingBlock: boolean;
  /**
   * The last flag-level score was not enforced because the client is a steady poller (behaviour.poller); the run of
   * block-level scores restarts when it stops being one.
   */
  exempt: boolean;
  /** Flagged clients' own rate-limit counters: start of the current fixed window and count, per window. */
  rlStart: Float64Array | null;
  rlCount: Int32Array | null;
  /** Last time `get` re-inserted the entry at the recent end of the map. */
  touchedAt: number;
  /** Last scored (rounded) vector with its score and stored text (BehaviourScorer.scoreMemo). */
  readonly memo: ScoreMemo;
}

export interface TrackerOptions {
  windowMs: number;
  maxClients: number;
  /** Events held per client window (default the feature module's DEFAULT_MAX_EVENTS). */
  maxEvents?: number;
}

function newState(id: string, window: BehaviourWindow, now: number): ClientState {
  return {
    id,
    window,
    consecutive: 0,
    flaggedUntil: 0,
    lastScore: NaN,
    lastFeatures: null,
    lastExplain: null,
    explainCache: null,
    explainAt: -Infinity,
    pendingBlock: false,
    exempt: false,
    rlStart: null,
    rlCount: null,
    touchedAt: now,
    memo: { x: null, scorer: null, score: NaN, text: '' },
  };
}

/**
 * Capped map of client id → ClientState. A Map iterates in insertion order, so the first entry is the
 * least recently (re-)inserted one: `get` re-inserts an entry at most once per `windowMs / 8`, which keeps
 * the common case to one hash lookup while still evicting idle clients first ("LRU-ish").
 */
export class BehaviourTracker {
  readonly windowMs: number;
  readonly maxClients: number;
  readonly maxEvents: number;
  private readonly clients = new Map<string, ClientState>();
  private readonly touchEveryMs: number;
  /** Clients evicted because the cap was reached (exposed for status/metrics). */
  evictions = 0;

  constructor(opts: TrackerOptions) {
    if (!(opts.windowMs > 0)) throw new RangeError(`windowMs must be > 0, got ${opts.windowMs}`);
    if (!Number.isInteger(opts.maxClients) || opts.maxClients < 1) throw new RangeError(`maxClients must be an integer >= 1, got ${opts.maxClients}`);
    this.windowMs = opts.windowMs;
    this.maxClients = opts.maxClients;
    this.maxEvents = opts.maxEvents ?? DEFAULT_MAX_EVENTS;
    this.touchEveryMs = Math.max(1, opts.windowMs / 8);
  }

  get size(): number {
    return this.clients.size;
  }

  /** The client's state without creating or touching it. */
  peek(id: string): ClientState | undefined {
    return this.clients.get(id);
  }

  /** The client's state, created when absent (evicting the least recently seen client at the cap). */
  get(id: string, now: number): ClientState {
    const map = this.clients;
    let st = map.get(id);
    if (st !== undefined) {
      if (now - st.touchedAt >= this.touchEveryMs) {
        st.touchedAt = now;
        map.delete(id);
        map.set(id, st);
      }
      return st;
    }
    let window: BehaviourWindow | null = null;
    if (map.size >= this.maxClients) {
      // Evict the first (least recently re-inserted) entry and reuse its preallocated window.
      const first = map.keys().next();
      if (!first.done) {
        const old = map.get(first.value)!;
        map.delete(first.value);
        this.evictions++;
        window = old.window;
        window.clear();
      }
    }
    st = newState(id, window ?? new BehaviourWindow(this.windowMs, { maxEvents: this.maxEvents }), now);
    map.set(id, st);
    return st;
  }

  /** Forgets a client (e.g. when its ban is lifted, so it starts with a clean window). */
  delete(id: string): boolean {
    return this.clients.delete(id);
  }

  /** Iterates the tracked clients (least recently seen first). */
  values(): IterableIterator<ClientState> {
    return this.clients.values();
  }
}
