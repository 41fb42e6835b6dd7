// Tests the behaviour pass: scoring after minEvents, K consecutive → BLOCK anomaly + ban, flagging and the
// tighter limit, allow-listed clients, monitor mode, async mode, and what the row records.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type Decision, type PathHelmConfig } from '../../../src/config/types.js';
import { FEATURE_NAMES, F, NUM_FEATURES } from '../../../src/behaviour/features.js';
import { BehaviourScorer, type ScoringModel } from '../../../src/behaviour/scorer.js';
import { BanManager } from '../../../src/policy/bans.js';
import { BehaviourEngine } from '../../../src/policy/behaviour.js';
import { decodeFeatures, FEATURE_SET_ID } from '../../../src/telemetry/features-codec.js';
import type { RequestContext } from '../../../src/gateway/pipeline.js';
import { accessContext } from '../../../src/policy/access.js';

/** Score = share of 404s in the window (a scanner scores high, a normal client 0). */
const model: ScoringModel = {
  meta: {
    features: FEATURE_NAMES,
    threshold: { value: 0.8 },
    featureSummary: FEATURE_NAMES.map((name) => ({ name, min: 0, max: 1, mean: 0.05, sd: 0.05 })),
  },
  forest: {
    score: (x) => x[F.error_ratio],
    explain: (x, out) => {
      const o = out ?? new Float64Array(NUM_FEATURES);
      o.fill(0.01);
      o[F.error_ratio] = x[F.error_ratio];
      return o;
    },
  },
};

function config(over: Partial<{ mode: 'enforce' | 'monitor'; ml: Partial<PathHelmConfig['ml']>; behaviour: Partial<PathHelmConfig['behaviour']> }> = {}) {
  return {
    mode: over.mode ?? 'enforce',
    behaviour: { ...DEFAULT_CONFIG.behaviour, minEvents: 5, ...over.behaviour },
    ml: { ...DEFAULT_CONFIG.ml, blockThreshold: 0.8, flagThreshold: 0.5, consecutive: 3, flaggedRateFactor: 0.1, ...over.ml },
    rateLimit: { ...DEFAULT_CONFIG.rateLimit, ip: [{ limit: 50, windowMs: 1000 }] },
  } as PathHelmConfig;
}

function makeCtx(now: number, clientId = '10.0.0.1', extra: Partial<RequestContext> = {}): RequestContext {
  return Object.assign(accessContext({ ip: clientId, path: '/api/items/1', now }), { clientId, ...extra });
}

function setup(over: Parameters<typeof config>[0] = {}) {
  const cfg = config(over);
  const scorer = new BehaviourScorer(model, { blockThreshold: cfg.ml.blockThreshold, flagThreshold: cfg.ml.flagThreshold });
  const bans = new BanManager(cfg.bans ?? DEFAULT_CONFIG.bans);
  const engine = new BehaviourEngine({ config: cfg, model: { scorer }, bans });
  /** One request through the pass: run(), then after() with the status (404 when `bad`) unless refused. */
  const request = (now: number, bad: boolean, extra: Partial<RequestContext> = {}) => {
    const ctx = makeCtx(now, undefined, extra);
    const v = engine.pass.run(ctx);
    const status = v ? v.status : bad ? 404 : 200;
    const decision: Decision = v ? v.decision : 'ALLOW';
    if (over.mode === 'monitor' && v) ctx.wouldDecision = v.decision;
    engine.pass.after!(ctx, over.mode === 'monitor' ? (bad ? 404 : 200) : status, over.mode === 'monitor' ? 'ALLOW' : decision);
    return { ctx, v };
  };
  return { engine, bans, request };
}

describe('behaviour pass', () => {
  it('does not score before minEvents, then records score and features on every request', () => {
    const { request } = setup();
    for (let i = 0; i < 5; i++) expect(request(i * 100, false).ctx.score).toBeNull();
    const { ctx } = request(600, false);
    expect(ctx.score).toBe(0);
    expect(ctx.features!.startsWith(FEATURE_SET_ID + '|')).toBe(true); // compact stored form
    const f = decodeFeatures(null, ctx.features)!;
    expect(Object.keys(f)).toEqual([...FEATURE_NAMES]);
    expect(f.error_ratio).toBe(0);
    expect(ctx.explain).toBeNull(); // normal: no explanation stored
    expect(ctx.allowReason).toBe('ok');
  });

  it('blocks with 403 anomaly on the K-th consecutive block-level score, bans the client and names the features', () => {
    const { request, bans, engine } = setup();
    const outcomes: string[] = [];
    let t = 0;
    for (let i = 0; i < 12; i++) {
      const { v, ctx } = request((t += 100), true);
      outcomes.push(v ? v.reason : ctx.allowReason);
      if (v) {
        expect(v).toMatchObject({ decision: 'BLOCK', status: 403 });
        expect(JSON.parse(ctx.explain!)[0]).toMatchObject({ feature: 'error_ratio', value: 1 });
        break;
      }
    }
    // 5 unscored, then flag, flag (1st and 2nd block-level scores), block on the 3rd
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'anomaly_flag', 'anomaly_flag', 'anomaly']);
    const ban = bans.check('10.0.0.1', t);
    expect(ban).toMatchObject({ reason: 'anomaly', offences: 1 });
    expect(ban!.detail).toContain('error_ratio');
    // the window starts clean after a ban, and banned requests are not fed into it
    request(t + 1, true);
    expect(engine.tracker.peek('10.0.0.1')!.window.size).toBe(0);
  });

  it('resets the consecutive count when a score drops below the block threshold', () => {
    const run = (consecutive: number) => {
      const { request } = setup({ ml: { consecutive } });
      let t = 0;
      const reasons: string[] = [];
      // 5 × 404, then successes: scores 1.0, 0.83 (block level twice), then 0.71, 0.63, ... (flag level)
      for (let i = 0; i < 15; i++) {
        const { v, ctx } = request((t += 100), i < 5);
        reasons.push(v ? v.reason : ctx.allowReason);
        if (v) break;
      }
      return reasons;
    };
    const k3 = run(3);
    expect(k3).not.toContain('anomaly');
    expect(k3.filter((r) => r === 'anomaly_flag').length).toBeGreaterThan(2);
    expect(run(2)).toContain('anomaly'); // control: two in a row are enough with K = 2
  });

  it('limits a flagged client more tightly (flaggedRateFactor) with 429 rate_limit_flagged', () => {
    const { request } = setup({ ml: { blockThreshold: 0.99, flagThreshold: 0.3, flaggedRateFactor: 0.1 } });
    let t = 0;
    // errors on 40% of requests: flagged (≥ 0.3) but never blocked (< 0.99)
    for (let i = 0; i < 10; i++) request((t += 200), i % 5 < 2);
    const start = t + 5000;
    const results: string[] = [];
    for (let i = 0; i < 10; i++) {
      const { v, ctx } = request(start + i, i % 5 < 2); // 10 requests within 10 ms
      results.push(v ? v.reason : ctx.allowReason);
    }
    // 50 req/s × 0.1 = 5 per second for the flagged client
    expect(results.filter((r) => r === 'rate_limit_flagged')).toHaveLength(5);
    expect(results).not.toContain('anomaly');
  });

  it('scores and explains allow-listed clients but never blocks or limits them', () => {
    const { request, bans } = setup();
    let t = 0;
    for (let i = 0; i < 40; i++) {
      const { v, ctx } = request((t += 10), true, { allowListed: true });
      expect(v).toBeUndefined();
      if (i > 5) expect(ctx.allowReason).toBe('anomaly_flag');
    }
    expect(bans.list(t)).toEqual([]);
  });

  it('in monitor mode returns the verdicts enforce would (anomaly, then banned) but bans nobody', () => {
    const { request, bans } = setup({ mode: 'monitor' });
    let t = 0;
    const verdicts: string[] = [];
    for (let i = 0; i < 20; i++) {
      const { v } = request((t += 100), true);
      if (v) verdicts.push(v.reason);
    }
    expect(verdicts[0]).toBe('anomaly');
    // then a would-be (shadow) ban: the rest of the run says BLOCK `banned`, as enforce mode would
    expect(verdicts.length).toBeGreaterThan(5);
    expect(new Set(verdicts.slice(1))).toEqual(new Set(['banned']));
    expect(bans.list(t)).toEqual([]); // nothing real, nothing persisted
  });

  it('in async mode scores after the response and acts on the next request', () => {
    const { request, bans } = setup({ ml: { mode: 'async' } });
    const seen: Array<string | null> = [];
    let t = 0;
    for (let i = 0; i < 12; i++) {
      const { v, ctx } = request((t += 100), true);
      seen.push(v ? v.reason : ctx.score === null ? null : ctx.allowReason);
      if (v) break;
    }
    // scored after the 5th response; the 6th request carries that score; 3 block-level scores → 8th blocked
    expect(seen).toEqual([null, null, null, null, null, 'anomaly_flag', 'anomaly_flag', 'anomaly']);
    expect(bans.check('10.0.0.1', t)).toBeDefined();
  });

  it('does nothing without a model or a client id, or when disabled', () => {
    const cfg = config();
    const engine = new BehaviourEngine({ config: cfg, model: { scorer: null }, bans: new BanManager(DEFAULT_CONFIG.bans) });
    for (let i = 0; i < 50; i++) {
      const ctx = makeCtx(i * 10);
      expect(engine.pass.run(ctx)).toBeUndefined();
      engine.pass.after!(ctx, 404, 'ALLOW');
      expect(ctx.score).toBeNull();
    }
    const anon = makeCtx(0, undefined, { clientId: null });
    expect(engine.pass.run(anon)).toBeUndefined();
    const off = new BehaviourEngine({ config: config({ behaviour: { enabled: false } }), model: { scorer: null }, bans: new BanManager(DEFAULT_CONFIG.bans) });
    off.pass.after!(makeCtx(0), 200, 'ALLOW');
    expect(off.tracker.size).toBe(0);
  });
});
