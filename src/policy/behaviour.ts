// Owns the behaviour pass and the hybrid decision of `serve`: per-client windows fed after each response,
// forest scoring of the client's current vector, and what a score leads to (flag, tighter limit, block + ban).
//
// Example:
//   const engine = new BehaviourEngine({ config, model: holder, bans });
//   const passes = [deny, auth, rateLimit, engine.pass];   // behaviour goes last
//
// Decision rules (README "How decisions are made"):
// - A client (key id when authenticated, else its address) is scored once its window holds
//   behaviour.minEvents events. inline mode scores in run() (decides this request); async mode scores in
//   after() and the next request acts on it.
// - score >= block threshold on ml.consecutive scored requests in a row → 403 BLOCK `anomaly`, and a ban
//   (BanManager: 5 min, doubling per repeat offence up to bans.maxMs). The client's window is cleared and
//   requests refused while banned are not fed into it, so a ban ends with a clean slate.
// - flag <= score (or a block-level score before the K-th in a row) → reason `anomaly_flag` (the request
//   passes) and the client is flagged for behaviour.windowMs: its rate limits are multiplied by
//   ml.flaggedRateFactor (own sliding-window limiter, reason `rate_limit_flagged`, 429).
// - Allow-listed clients are scored and explained but never blocked, banned or limited.
// - Monitor mode: verdicts are returned as usual (the server records them as would_decision and forwards);
//   a block creates an in-memory shadow ban instead of a real one (never persisted, not in `bans list`), and
//   while it lasts the client's rows say would_decision BLOCK `banned`, as enforce mode's would; the window is
//   fed with the would-be decision so it evolves as in enforce mode.
// - Regular-crawl rule (behaviour.regular, model or not; requests 0 = off): when the client's last `requests` gaps are metronome-like
//   and its requests touched many distinct endpoints (BehaviourWindow.isRegularCrawl) → 403 BLOCK
//   `anomaly_regular` + ban, explained by the measured gap cv, distinct endpoints and mean gap.
// - Steady-poller rule (behaviour.poller; requests 0 = off), checked only when a score reaches the flag threshold:
//   a client polling a few fixed targets (endpoint + query hash) at a steady, unhurried pace without failures
//   (BehaviourWindow.isSteadyPoller) is not flagged or blocked by the model; the request passes with reason
//   `steady_poller` and its row keeps score and features. The request the model would have blocked (the K-th
//   block-level score in a row) also gets explain: `steady_poller`, `would_block` and what the rule measured. The
//   run of block-level scores restarts when the client stops being a steady poller.

import type { Decision, PathHelmConfig, RateWindow } from '../config/types.js';
import type { Pass, RequestContext, Verdict } from '../gateway/pipeline.js';
import { NUM_FEATURES, queryHash, type BehaviourEvent, type PollerCheck, type Regularity } from '../behaviour/features.js';
import type { BehaviourScorer } from '../behaviour/scorer.js';
import { BehaviourTracker, type ClientState } from '../behaviour/tracker.js';
import { SlidingWindowLimiter } from './ratelimit.js';
import { BanManager } from './bans.js';

/** Holds the current scorer; a model reload swaps `scorer` in one assignment (see behaviour/model.ts). */
export interface ScorerRef {
  readonly scorer: BehaviourScorer | null;
}

/** Monitor mode's verdict for a client under a would-be (shadow) ban. Never mutated. */
const V_SHADOW_BANNED: Verdict = Object.freeze({
  decision: 'BLOCK',
  status: 403,
  reason: 'banned',
  message: 'client would be temporarily banned (monitor mode)',
}) as Verdict;

/** A flag-level explanation is reused for this long per client (explaining costs about as much as scoring). */
const EXPLAIN_REUSE_MS = 1000;

export interface BehaviourEngineOptions {
  config: Pick<PathHelmConfig, 'mode' | 'behaviour' | 'ml' | 'rateLimit'>;
  model: ScorerRef;
  bans: BanManager;
  tracker?: BehaviourTracker;
}

/** Counters for status/metrics. */
export interface BehaviourStats {
  scored: number;
  flagged: number;
  blocked: number;
  flaggedThrottled: number;
  /** Flag- or block-level scores not enforced because the client is a steady poller. */
  exempted: number;
}

export class BehaviourEngine {
  readonly pass: Pass;
  readonly tracker: BehaviourTracker;
  readonly stats: BehaviourStats = { scored: 0, flagged: 0, blocked: 0, flaggedThrottled: 0, exempted: 0 };
  private readonly config: BehaviourEngineOptions['config'];
  private readonly model: ScorerRef;
  /** enforce: the real ban manager; monitor: an in-memory shadow one (would-be bans, never persisted). */
  private readonly bans: BanManager;
  private readonly scratch = new Float64Array(NUM_FEATURES);
  private readonly ev: BehaviourEvent = { t: 0, method: '', path: '', status: 0, decision: 'ALLOW' };
  private readonly regularity: Regularity = { gaps: 0, cv: 0, meanGapMs: 0, distinct: 0 };
  private readonly poll: PollerCheck = { requests: 0, distinct: 0, exceptions: 0, periodMs: 0, windowEndpoints: 0, windowQueries: 0, failed: '' };
  private readonly limiter: SlidingWindowLimiter;
  private readonly ipWindows: RateWindow[];
  private readonly keyWindows: RateWindow[];
  private readonly enforce: boolean;
  private readonly inline: boolean;

  constructor(opts: BehaviourEngineOptions) {
    const c = opts.config;
    this.config = c;
    this.model = opts.model;
    this.bans = c.mode === 'enforce' ? opts.bans : new BanManager({ baseMs: opts.bans.baseMs, maxMs: opts.bans.maxMs });
    this.tracker = opts.tracker ?? new BehaviourTracker({ windowMs: c.behaviour.windowMs, maxClients: c.behaviour.maxClients });
    this.enforce = c.mode === 'enforce';
    this.inline = c.ml.mode === 'inline';
    const f = c.ml.flaggedRateFactor;
    const scale = (ws: RateWindow[]) => ws.map((w) => ({ limit: Math.max(1, Math.floor(w.limit * f)), windowMs: w.windowMs }));
    this.ipWindows = c.rateLimit.enabled ? scale(c.rateLimit.ip) : [];
    this.keyWindows = c.rateLimit.enabled ? scale(c.rateLimit.key) : [];
    this.limiter = new SlidingWindowLimiter(c.behaviour.maxClients);
    const self = this;
    this.pass = {
      name: 'behaviour',
      run(ctx) {
        return self.run(ctx);
      },
      after(ctx, status, decision) {
        self.after(ctx, status, decision);
      },
    };
  }

  /** Forgets a client's behaviour (used when an operator lifts its ban). */
  forget(clientId: string): void {
    this.tracker.delete(clientId);
  }

  run(ctx: RequestContext): Verdict | undefined {
    if (!this.config.behaviour.enabled) return undefined;
    const id = ctx.clientId;
    if (id === null) return undefined;
    const now = ctx.now;
    // Monitor mode: a would-be ban is recorded as would_decision BLOCK `banned` (enforce's ban pass does this).
    if (!this.enforce && !ctx.allowListed && this.bans.check(id, now) !== undefined) return V_SHADOW_BANNED;
    const st = this.tracker.get(id, now);
    const rule = this.config.behaviour.regular;
    if (rule.requests > 0 && st.window.isRegularCrawl(rule, this.regularity)) {
      const r = this.regularity;
      ctx.explain = `[{"name":"gap_cv","value":${r.cv.toFixed(4)}},{"name":"distinct_endpoints","value":${r.distinct}},{"name":"mean_gap_s","value":${(r.meanGapMs / 1000).toFixed(3)}},{"name":"gaps","value":${r.gaps}}]`;
      const v = this.block(ctx, st, 'anomaly_regular');
      if (v !== undefined) return v;
    }
    const scorer = this.model.scorer;
    let verdict: Verdict | undefined;
    if (scorer !== null) {
      if (this.inline) {
        if (st.window.size >= this.config.behaviour.minEvents) {
          const x = st.window.extract(now, this.scratch);
          const s = scorer.scoreMemo(x, st.memo); // x rounded to the stored 4 decimals
          ctx.score = s;
          ctx.features = st.memo.text;
          this.stats.scored++;
          const explain = this.judge(st, s, x, scorer, now);
          if (explain !== null) ctx.explain = explain;
          if (st.pendingBlock) verdict = this.block(ctx, st);
          else if (ctx.allowReason === 'ok') {
            if (st.exempt) ctx.allowReason = 'steady_poller';
            else if (explain !== null) ctx.allowReason = 'anomaly_flag';
          }
        } else st.consecutive = 0;
      } else if (!Number.isNaN(st.lastScore)) {
        ctx.score = st.lastScore;
        ctx.features = st.lastFeatures;
        if (st.lastExplain !== null) ctx.explain = st.lastExplain;
        if (st.pendingBlock) verdict = this.block(ctx, st); // only ever set with an explanation
        else if (ctx.allowReason === 'ok') {
          if (st.exempt) ctx.allowReason = 'steady_poller';
          else if (st.lastExplain !== null) ctx.allowReason = 'anomaly_flag';
        }
      }
    }
    if (verdict === undefined && st.flaggedUntil > now && !ctx.allowListed) verdict = this.flaggedLimit(ctx, id, now);
    return verdict;
  }

  after(ctx: RequestContext, status: number, decision: Decision): void {
    if (!this.config.behaviour.enabled) return;
    const id = ctx.clientId;
    if (id === null) return;
    const now = ctx.now;
    // Requests refused because of a ban (and the one that caused it) stay out of the window.
    if (this.bans.check(id, now) !== undefined) return;
    const st = this.tracker.get(id, now);
    const ev = this.ev;
    ev.t = now;
    ev.method = ctx.req.method ?? 'GET';
    ev.path = ctx.path;
    // The query string only as a hash (the steady-poller rule tells ?q=a from ?q=b by it); never stored.
    const url = ctx.req.url;
    const qs = ctx.path.length;
    ev.queryHash = url !== undefined && url.length > qs + 1 && url.charCodeAt(qs) === 63 ? queryHash(url, qs + 1) : 0;
    ev.status = status;
    ev.decision = this.enforce ? decision : (ctx.wouldDecision ?? decision);
    st.window.push(ev);
    if (this.inline) return;
    const scorer = this.model.scorer;
    if (scorer === null || st.window.size < this.config.behaviour.minEvents) return;
    const x = st.window.extract(now, this.scratch);
    const s = scorer.scoreMemo(x, st.memo);
    this.stats.scored++;
    st.lastScore = s;
    st.lastFeatures = st.memo.text;
    st.lastExplain = this.judge(st, s, x, scorer, now);
  }

  /**
   * Updates the client's counters for score `s`; returns the explain JSON when the score is at least the flag
   * threshold (else null). Sets st.pendingBlock when the K-th consecutive block-level score is reached. A steady
   * poller (st.exempt set) is neither flagged nor blocked; it gets an explanation — the rule's measurements — only
   * on the request the model would have blocked (its K-th block-level score in a row), so its rows do not crowd
   * the anomaly list (`report`, `top`) that lists rows with an explanation.
   */
  private judge(st: ClientState, s: number, x: Float64Array, scorer: BehaviourScorer, now: number): string | null {
    if (s < scorer.flagThreshold) {
      st.consecutive = 0;
      st.pendingBlock = false;
      st.exempt = false;
      return null;
    }
    const rule = this.config.behaviour.poller;
    if (rule.requests > 0 && st.window.isSteadyPoller(rule, now, this.poll)) {
      // Not enforced: no flag, no block. The run is still counted, to say when the model would have blocked.
      st.consecutive = s >= scorer.blockThreshold ? st.consecutive + 1 : 0;
      st.pendingBlock = false;
      st.exempt = true;
      this.stats.exempted++;
      if (st.consecutive !== this.config.ml.consecutive) return null;
      const p = this.poll;
      return `[{"name":"steady_poller","value":1},{"name":"would_block","value":1},{"name":"distinct_targets","value":${p.distinct}},{"name":"median_period_s","value":${(p.periodMs / 1000).toFixed(3)}},{"name":"exceptions","value":${p.exceptions}},{"name":"requests","value":${p.requests}}]`;
    }
    if (st.exempt) {
      // No longer a steady poller: block-level scores counted while it was one do not count towards a block.
      st.exempt = false;
      st.consecutive = 0;
    }
    st.flaggedUntil = now + this.config.behaviour.windowMs;
    this.stats.flagged++;
    if (s >= scorer.blockThreshold) {
      st.consecutive++;
      st.pendingBlock = st.consecutive >= this.config.ml.consecutive;
    } else {
      st.consecutive = 0;
      st.pendingBlock = false;
    }
    // Rows that block get a fresh explanation; flag rows reuse one made in the last second (it costs ~5 µs).
    if (!st.pendingBlock && st.explainCache !== null && now - st.explainAt < EXPLAIN_REUSE_MS) return st.explainCache;
    const why = scorer.explainJson(x);
    st.explainCache = why;
    st.explainAt = now;
    return why;
  }

  private block(ctx: RequestContext, st: ClientState, reason = 'anomaly'): Verdict | undefined {
    st.pendingBlock = false;
    st.consecutive = 0;
    if (ctx.allowListed) {
      if (ctx.allowReason === 'ok') ctx.allowReason = 'anomaly_flag';
      return undefined;
    }
    this.stats.blocked++;
    let message = 'request refused: this client behaves anomalously';
    const headers: Array<[string, string]> = [];
    const ban = this.bans.ban(st.id, reason, ctx.now, ctx.explain);
    st.window.clear();
    st.flaggedUntil = 0;
    st.lastScore = NaN;
    st.lastFeatures = null;
    st.lastExplain = null;
    st.explainCache = null;
    const secs = Math.max(1, Math.ceil((ban.expires - ctx.now) / 1000));
    headers.push(['retry-after', String(secs)]);
    message += `; banned for ${secs} s`;
    return { decision: 'BLOCK', status: 403, reason, message, headers };
  }

  private flaggedLimit(ctx: RequestContext, id: string, now: number): Verdict | undefined {
    const windows = ctx.keyId !== null ? this.keyWindows : this.ipWindows;
    if (windows.length === 0) return undefined;
    if (this.limiter.hit(id, windows, now)) return undefined;
    this.stats.flaggedThrottled++;
    return {
      decision: 'THROTTLE',
      status: 429,
      reason: 'rate_limit_flagged',
      message: 'too many requests: this client is rate limited more tightly because its behaviour is unusual',
      headers: [['retry-after', String(Math.max(1, Math.ceil(this.limiter.retryAfterMs / 1000)))]],
    };
  }
}
