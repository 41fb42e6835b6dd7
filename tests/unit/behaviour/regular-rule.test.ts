// Tests the regular-crawl rule of the behaviour pass (behaviour.regular): a metronome crawling many URLs is
// blocked `anomaly_regular` and banned after requests + 1 requests, with or without a model and however slow it is;
// pollers of a few fixed URLs, people and allow-listed clients never are; requests 0 turns it off; monitor shadow-bans.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type Decision, type PathHelmConfig } from '../../../src/config/types.js';
import { BanManager } from '../../../src/policy/bans.js';
import { BehaviourEngine } from '../../../src/policy/behaviour.js';
import type { RequestContext } from '../../../src/gateway/pipeline.js';
import { accessContext } from '../../../src/policy/access.js';
import { Random } from '../../../src/dataset/rng.js';

function setup(over: { mode?: 'enforce' | 'monitor'; regular?: Partial<PathHelmConfig['behaviour']['regular']> } = {}) {
  const cfg = {
    mode: over.mode ?? 'enforce',
    behaviour: { ...DEFAULT_CONFIG.behaviour, regular: { ...DEFAULT_CONFIG.behaviour.regular, ...over.regular } },
    ml: DEFAULT_CONFIG.ml,
    rateLimit: DEFAULT_CONFIG.rateLimit,
  } as PathHelmConfig;
  const bans = new BanManager(DEFAULT_CONFIG.bans);
  const engine = new BehaviourEngine({ config: cfg, model: { scorer: null }, bans });
  /** One request through the pass; returns its verdict and context. */
  const request = (now: number, path: string, extra: Partial<RequestContext> = {}) => {
    const ctx = Object.assign(accessContext({ ip: '10.0.0.9', path, now }), { clientId: '10.0.0.9', ...extra });
    const v = engine.pass.run(ctx);
    if (over.mode === 'monitor' && v) ctx.wouldDecision = v.decision;
    const enforced = over.mode !== 'monitor' && v;
    engine.pass.after!(ctx, enforced ? v.status : 200, (enforced ? v.decision : 'ALLOW') as Decision);
    return { v, ctx };
  };
  return { engine, bans, request };
}

/** A crawler alternating list pages with random items, one request every `gapMs` ± 1%. */
function crawl(request: ReturnType<typeof setup>['request'], gapMs: number, n: number, extra: Partial<RequestContext> = {}) {
  const rng = new Random(9);
  let t = 1_000_000;
  for (let i = 1; i <= n; i++) {
    const r = request(t, i % 2 ? '/api/items' : `/api/items/${rng.int(1, 1000)}`, extra);
    if (r.v) return { at: i, ...r };
    t += gapMs * (1 + 0.01 * rng.normal());
  }
  return null;
}

describe('regular-crawl rule', () => {
  it('blocks a slow metronome crawler (6 s gaps: never scorable by a 60 s window) at request 26, without a model', () => {
    const { request, bans, engine } = setup();
    const hit = crawl(request, 6000, 200)!;
    expect(hit.at).toBe(DEFAULT_CONFIG.behaviour.regular.requests + 2);
    expect(hit.v).toMatchObject({ decision: 'BLOCK', status: 403, reason: 'anomaly_regular' });
    const why = JSON.parse(hit.ctx.explain!) as Array<{ name: string; value: number }>;
    expect(why.map((w) => w.name)).toEqual(['gap_cv', 'distinct_endpoints', 'mean_gap_s', 'gaps']);
    expect(why[0].value).toBeLessThan(0.1);
    expect(why[1].value).toBeGreaterThanOrEqual(8);
    expect(bans.check('10.0.0.9', hit.ctx.now)).toMatchObject({ reason: 'anomaly_regular' });
    expect(engine.stats.blocked).toBe(1);
    expect(engine.tracker.get('10.0.0.9', hit.ctx.now).window.historySize).toBe(0); // clean slate after the ban
  });

  it('never blocks pollers of a few fixed URLs, irregular clients, allow-listed clients, or when disabled', () => {
    const urls = ['/api/items', '/api/search', '/health', '/api/users/4', '/api/items/9', '/api/items/10', '/api/items/11'];
    const poller = setup();
    for (let i = 0; i < 2000; i++) expect(poller.request(i * 30_000, urls[i % urls.length]).v).toBeUndefined();

    const person = setup();
    const rng = new Random(4);
    let t = 0;
    for (let i = 0; i < 1000; i++) {
      t += rng.lognormal(3000, 0.7);
      expect(person.request(t, `/api/items/${rng.int(1, 1000)}`).v).toBeUndefined();
    }

    const allowed = setup();
    expect(crawl(allowed.request, 2000, 300, { allowListed: true })).toBeNull();
    expect(crawl(setup({ regular: { requests: 0 } }).request, 2000, 300)).toBeNull(); // off
    expect(crawl(setup({ regular: { minDistinct: 30 } }).request, 2000, 300)).toBeNull();
  });

  it('monitor mode: the block is returned as a would-be verdict and shadow-bans in memory only', () => {
    const { request, bans } = setup({ mode: 'monitor' });
    const hit = crawl(request, 3000, 100)!;
    expect(hit.v).toMatchObject({ reason: 'anomaly_regular' });
    expect(bans.check('10.0.0.9', hit.ctx.now)).toBeUndefined(); // the real ban manager is untouched
    expect(request(hit.ctx.now + 3000, '/api/items').v).toMatchObject({ reason: 'banned' });
  });
});
