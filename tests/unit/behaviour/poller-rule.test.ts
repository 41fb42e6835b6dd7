// Tests the steady-poller rule (behaviour.poller): BehaviourWindow.isSteadyPoller on its own (health checks and
// dashboards are steady pollers; search polling with a varying query, credential stuffing, floods and scrapers are
// not), and the behaviour pass with a model that would block every client it scores: steady pollers pass with
// reason `steady_poller` and a logged score, everyone else is blocked `anomaly` exactly as before.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type Decision, type PathHelmConfig } from '../../../src/config/types.js';
import { validateConfig } from '../../../src/config/validate.js';
import {
  BehaviourWindow,
  DEFAULT_POLLER_RULE,
  FEATURE_NAMES,
  NUM_FEATURES,
  POLLER_MAX_DISTINCT,
  queryHash,
  type BehaviourDecision,
  type PollerCheck,
} from '../../../src/behaviour/features.js';
import { BehaviourScorer, type ScoringModel } from '../../../src/behaviour/scorer.js';
import { Random } from '../../../src/dataset/rng.js';
import type { RequestContext } from '../../../src/gateway/pipeline.js';
import { accessContext } from '../../../src/policy/access.js';
import { BanManager } from '../../../src/policy/bans.js';
import { BehaviourEngine } from '../../../src/policy/behaviour.js';

/** One request: time, URL (path?query), status, method. */
type Req = { t: number; url: string; status?: number; method?: string };

function split(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

/** Feeds `reqs` into a fresh window and returns the rule's verdict and measurements after the last one. */
function judge(reqs: Req[], rule = DEFAULT_POLLER_RULE): { ok: boolean; check: PollerCheck } {
  const w = new BehaviourWindow(60_000);
  for (const r of reqs) {
    const { path, query } = split(r.url);
    const status = r.status ?? 200;
    const decision: BehaviourDecision = status === 429 ? 'THROTTLE' : 'ALLOW';
    w.push({ t: r.t, method: r.method ?? 'GET', path, status, decision, queryHash: queryHash(query) });
  }
  const check = {} as PollerCheck;
  const ok = w.isSteadyPoller(rule, reqs[reqs.length - 1].t, check);
  return { ok, check };
}

/** `n` rounds of `urls`, one round every `periodMs` (± jitter), the URLs of a round `spreadMs` apart. */
function poll(urls: string[], periodMs: number, n: number, opts: { jitter?: number; spreadMs?: number; seed?: number; start?: number } = {}): Req[] {
  const rng = new Random(opts.seed ?? 1);
  const out: Req[] = [];
  let t = opts.start ?? 1_000_000;
  for (let i = 0; i < n; i++) {
    urls.forEach((url, j) => out.push({ t: t + j * (opts.spreadMs ?? 3), url }));
    t += periodMs * (1 + (opts.jitter ?? 0.05) * rng.normal());
  }
  return out;
}

const WORDS = ['lamp', 'chair', 'desk', 'kettle', 'bike', 'phone', 'camera', 'jacket', 'boots', 'guitar', 'book', 'table'];

describe('queryHash', () => {
  it('is 0 for no query, non-zero and small-integer otherwise, and tells queries apart', () => {
    expect(queryHash('')).toBe(0);
    expect(queryHash('/api/search?', 12)).toBe(0);
    const seen = new Set<number>();
    for (const w of WORDS) {
      const h = queryHash(`q=${w}`);
      expect(h).toBeGreaterThan(0);
      expect(h).toBeLessThan(2 ** 30);
      seen.add(h);
    }
    expect(seen.size).toBe(WORDS.length);
    expect(queryHash('/api/search?q=lamp', 12)).toBe(queryHash('q=lamp')); // a range of a longer string
  });
});

describe('BehaviourWindow.isSteadyPoller', () => {
  it('holds for a health check every 1 s and a dashboard cycling 6 URLs (with queries) every 2 s', () => {
    expect(judge(poll(['/health'], 1000, 40)).ok).toBe(true);
    const dash = ['/api/notifications', '/api/items?page=1', '/api/search?q=lamp', '/api/search?q=desk', '/api/users/42', '/api/stats?range=1h'];
    const parallel = judge(poll(dash, 2000, 20));
    expect(parallel.ok).toBe(true);
    expect(parallel.check).toMatchObject({ requests: 20, distinct: 6, exceptions: 0, failed: '' });
    expect(parallel.check.periodMs).toBeGreaterThan(1800);
    expect(parallel.check.periodMs).toBeLessThan(2200);
    expect(judge(poll(dash, 2000, 20, { spreadMs: 333 })).ok).toBe(true); // staggered over the period
    expect(judge(poll(['/api/items?page=1'], 500, 40, { jitter: 0.1 })).ok).toBe(true); // 2 requests/s
  });

  it('tolerates one exception (a 401 before a token refresh) and one long pause, not more', () => {
    const reqs = poll(['/api/notifications'], 1000, 40);
    reqs[30].status = 401;
    expect(judge(reqs).ok).toBe(true);
    reqs[35].status = 403;
    expect(judge(reqs).check.failed).toBe('exceptions');
    const paused = poll(['/api/notifications'], 1000, 40);
    for (let i = 30; i < paused.length; i++) paused[i].t += 45_000; // the laptop slept: the median period holds
    expect(judge(paused).ok).toBe(true);
  });

  it('does not hold for search polling with a varying query (the slow_bot mode)', () => {
    const reqs = poll(['/api/search'], 1500, 40).map((r, i) => ({ ...r, url: `/api/search?q=${WORDS[i % WORDS.length]}` }));
    const { ok, check } = judge(reqs);
    expect(ok).toBe(false);
    expect(check.failed).toBe('distinct'); // the same endpoint, 12 different queries
  });

  it('does not hold for credential stuffing on one URL (POST, 401s)', () => {
    const reqs = poll(['/api/login'], 1000, 40).map((r) => ({ ...r, method: 'POST', status: 401 }));
    expect(judge(reqs).check).toMatchObject({ failed: 'exceptions', exceptions: 20 });
    // even when the logins succeed: writes are not polls (the gateway never sees bodies)
    expect(judge(poll(['/api/login'], 1000, 40).map((r) => ({ ...r, method: 'POST' }))).check.failed).toBe('exceptions');
  });

  it('does not hold for a 5 requests/s single-URL flood, or a scraper walking ids', () => {
    const flood = judge(poll(['/api/items?page=1'], 200, 100));
    expect(flood.check.failed).toBe('period');
    expect(flood.check.periodMs).toBeLessThan(250);
    const scraper = poll(['/api/items'], 1000, 40).map((r, i) => ({ ...r, url: `/api/items/${100 + i}` }));
    expect(judge(scraper).check.failed).toBe('window_endpoints');
    // a scraper that asks for each id 4 times (6 at once) keeps the last 20 requests narrow, not its window
    const repeats = poll(['a', 'b', 'c', 'd', 'e', 'f'], 600, 100).map((r, i) => ({ ...r, url: `/api/items/${Math.floor(i / 24) * 6 + (i % 6)}` }));
    expect(judge(repeats).check.failed).toBe('window_endpoints');
    // the same with search queries: the window's distinct-query count catches it
    const searches = repeats.map((r) => ({ ...r, url: `/api/search?q=${r.url.slice(11)}` }));
    expect(judge(searches).check.failed).toBe('window_queries');
  });

  it('needs `requests` requests of history, and a window of few distinct endpoints and queries', () => {
    expect(judge(poll(['/health'], 1000, 19)).check.failed).toBe('history');
    // a page load of 10 distinct calls, then polling: fine (room for a page load) ...
    const load: Req[] = Array.from({ length: 10 }, (_, i) => ({ t: 1_000_000 + i * 20, url: `/api/items/${i + 1}` }));
    expect(judge([...load, ...poll(['/api/notifications'], 1000, 30, { start: 1_001_000 })]).ok).toBe(true);
    // ... but 20 distinct queries within the minute are not a poller's, until they leave the window
    const qs: Req[] = Array.from({ length: 20 }, (_, i) => ({ t: 1_000_000 + i * 20, url: `/api/search?q=w${i}` }));
    expect(judge([...qs, ...poll(['/api/notifications'], 1000, 30, { start: 1_001_000 })]).check.failed).toBe('window_queries');
    expect(judge([...qs, ...poll(['/api/notifications'], 1000, 80, { start: 1_001_000 })]).ok).toBe(true);
    expect(POLLER_MAX_DISTINCT).toBeGreaterThanOrEqual(DEFAULT_POLLER_RULE.maxWindowDistinct);
  });

  it('counts distinct queries in the window exactly up to the table size, then "more" while any replaced one is in it', () => {
    const w = new BehaviourWindow(60_000);
    const push = (t: number, q: string) => w.push({ t, method: 'GET', path: '/s', status: 200, decision: 'ALLOW', queryHash: queryHash(q) });
    for (let i = 0; i < POLLER_MAX_DISTINCT; i++) push(i, `q=${i}`);
    push(100, 'q=0'); // seen again: no new entry
    expect(w.windowQueries(100)).toBe(POLLER_MAX_DISTINCT);
    push(200, 'q=new');
    expect(w.windowQueries(200)).toBe(POLLER_MAX_DISTINCT + 1);
    expect(w.windowQueries(60_001)).toBe(POLLER_MAX_DISTINCT + 1); // q=1 (t=1) is in the window until 60,001
    expect(w.windowQueries(60_100)).toBe(2); // only q=0 (t=100) and q=new (t=200) are left
    w.clear();
    expect(w.windowQueries(60_100)).toBe(0);
  });
});

/** A model that would block every client it scores (score 0.9 whatever the features). */
const blockAll: ScoringModel = {
  meta: {
    features: FEATURE_NAMES,
    threshold: { value: 0.8 },
    featureSummary: FEATURE_NAMES.map((name) => ({ name, min: 0, max: 1, mean: 0.5, sd: 0.2 })),
  },
  forest: {
    score: () => 0.9,
    explain: (_x, out) => (out ?? new Float64Array(NUM_FEATURES)).fill(0.1),
  },
};

function setup(over: { mode?: 'enforce' | 'monitor'; async?: boolean; poller?: Partial<PathHelmConfig['behaviour']['poller']> } = {}) {
  const cfg = {
    mode: over.mode ?? 'enforce',
    behaviour: { ...DEFAULT_CONFIG.behaviour, poller: { ...DEFAULT_CONFIG.behaviour.poller, ...over.poller } },
    ml: { ...DEFAULT_CONFIG.ml, mode: over.async ? 'async' : 'inline' },
    rateLimit: DEFAULT_CONFIG.rateLimit,
  } as PathHelmConfig;
  const scorer = new BehaviourScorer(blockAll, { blockThreshold: null, flagThreshold: null });
  const bans = new BanManager(DEFAULT_CONFIG.bans);
  const engine = new BehaviourEngine({ config: cfg, model: { scorer }, bans });
  /** Sends `reqs` through the pass in order; returns the rows (reason, score, explain) and the first refusal. */
  const send = (reqs: Req[]) => {
    const rows: Array<{ reason: string; score: number | null; features: string | null; explain: string | null }> = [];
    for (let i = 0; i < reqs.length; i++) {
      const r = reqs[i];
      const { path } = split(r.url);
      const ctx: RequestContext = Object.assign(accessContext({ ip: '10.0.0.7', path, now: r.t }), { clientId: '10.0.0.7' });
      Object.assign(ctx.req, { url: r.url, method: r.method ?? 'GET' });
      const v = engine.pass.run(ctx);
      if (v && over.mode !== 'monitor') {
        engine.pass.after!(ctx, v.status, v.decision);
        return { rows, refusedAt: i + 1, verdict: v };
      }
      if (v) ctx.wouldDecision = v.decision;
      engine.pass.after!(ctx, r.status ?? 200, 'ALLOW' as Decision);
      rows.push({ reason: v ? v.reason : ctx.allowReason, score: ctx.score, features: ctx.features, explain: ctx.explain });
    }
    return { rows, refusedAt: null, verdict: undefined };
  };
  return { engine, send };
}

describe('behaviour pass with the steady-poller rule', () => {
  it('lets a health check (1 s) and a dashboard (6 URLs every 2 s) through; rows keep the score and say what the model would do', () => {
    const health = setup();
    const h = health.send(poll(['/health'], 1000, 200));
    expect(h.refusedAt).toBeNull();
    expect(h.rows[19].score).toBeNull(); // not scored before minEvents (20)
    expect(h.rows.slice(20).every((r) => r.reason === 'steady_poller' && r.score === 0.9 && r.features !== null)).toBe(true);
    // Only the request the model would have blocked (request 23: the 3rd high score in a row) is explained, so a
    // poller's rows do not crowd the anomaly list.
    expect(h.rows.map((r, i) => (r.explain === null ? -1 : i + 1)).filter((i) => i > 0)).toEqual([23]);
    const why = JSON.parse(h.rows[22].explain!) as Array<{ name: string; value: number }>;
    expect(why).toEqual([
      { name: 'steady_poller', value: 1 },
      { name: 'would_block', value: 1 },
      { name: 'distinct_targets', value: 1 },
      { name: 'median_period_s', value: expect.closeTo(1, 1) as unknown as number },
      { name: 'exceptions', value: 0 },
      { name: 'requests', value: 20 },
    ]);
    expect(health.engine.stats).toMatchObject({ blocked: 0, flagged: 0, exempted: 180 });

    const dash = setup().send(poll(['/api/notifications', '/api/items?page=1', '/api/search?q=lamp', '/api/search?q=desk', '/api/users/42', '/api/stats?range=1h'], 2000, 60));
    expect(dash.refusedAt).toBeNull();
    expect(dash.rows.at(-1)!.reason).toBe('steady_poller');
  });

  it('blocks search polling with a varying query, credential stuffing, a 5 req/s flood and a scraper as before (request 23)', () => {
    const search = poll(['/api/search'], 1500, 60).map((r, i) => ({ ...r, url: `/api/search?q=${WORDS[i % WORDS.length]}` }));
    const stuffing = poll(['/api/login'], 1000, 60).map((r) => ({ ...r, method: 'POST', status: 401 }));
    const flood = poll(['/api/items?page=1'], 200, 60);
    const scraper = poll(['/x'], 700, 60).map((r, i) => ({ ...r, url: `/api/items/${100 + i}` }));
    for (const reqs of [search, stuffing, flood, scraper]) {
      const r = setup().send(reqs);
      expect(r.refusedAt).toBe(23); // scored from request 21 (20 in the window), the 3rd high score in a row blocks
      expect(r.verdict).toMatchObject({ decision: 'BLOCK', status: 403, reason: 'anomaly' });
      expect(r.rows.every((row) => row.reason !== 'steady_poller')).toBe(true);
    }
  });

  it('blocks a poller that turns into a search scraper within a few requests (its exempt run does not count)', () => {
    const steady = poll(['/api/search?q=lamp'], 1000, 100);
    const t0 = steady[steady.length - 1].t + 1000;
    const scrape = Array.from({ length: 30 }, (_, i) => ({ t: t0 + i * 1000, url: `/api/search?q=${WORDS[i % WORDS.length]}${i}` }));
    const r = setup().send([...steady, ...scrape]);
    expect(r.refusedAt).not.toBeNull();
    expect(r.refusedAt! - steady.length).toBeGreaterThanOrEqual(3); // K fresh high scores after it stopped polling
    expect(r.refusedAt! - steady.length).toBeLessThanOrEqual(10); // 6 new queries and it is no poller any more
    expect(r.verdict).toMatchObject({ reason: 'anomaly' });
  });

  it('with requests 0 (off) the model blocks the health check at request 23, as before the rule', () => {
    expect(setup({ poller: { requests: 0 } }).send(poll(['/health'], 1000, 60)).refusedAt).toBe(23);
  });

  it('applies in async mode and monitor mode too', () => {
    const a = setup({ async: true }).send(poll(['/health'], 1000, 100));
    expect(a.refusedAt).toBeNull();
    expect(a.rows.at(-1)!.reason).toBe('steady_poller');
    expect(a.rows.filter((r) => r.explain !== null).length).toBe(1); // the would-be block, one request later (async)
    const m = setup({ mode: 'monitor' }).send(poll(['/health'], 1000, 100));
    expect(m.rows.every((r) => r.reason !== 'anomaly' && r.reason !== 'banned')).toBe(true);
    const mSearch = setup({ mode: 'monitor' }).send(poll(['/api/search'], 1500, 30).map((r, i) => ({ ...r, url: `/api/search?q=${WORDS[i % WORDS.length]}` })));
    expect(mSearch.rows[22].reason).toBe('anomaly'); // monitor: the would-be block of request 23
  });
});

describe('behaviour.poller config', () => {
  it('defaults to the rule the evaluation uses, accepts 0 (off) and durations, and names the key when wrong', () => {
    expect(DEFAULT_CONFIG.behaviour.poller).toEqual(DEFAULT_POLLER_RULE);
    expect(validateConfig({ behaviour: { poller: { requests: 0 } } }, 'x.yaml').behaviour.poller.requests).toBe(0);
    expect(validateConfig({ behaviour: { poller: { minPeriodMs: '1s' } } }, 'x.yaml').behaviour.poller.minPeriodMs).toBe(1000);
    const bad = (poller: Record<string, unknown>) => () => validateConfig({ behaviour: { poller } }, 'x.yaml');
    expect(bad({ requests: 1 })).toThrow(/behaviour\.poller\.requests must be a whole number from 2 to 32/);
    expect(bad({ requests: 33 })).toThrow(/behaviour\.poller\.requests/);
    expect(bad({ maxWindowDistinct: 17 })).toThrow(/behaviour\.poller\.maxWindowDistinct must be a whole number from 1 to 16/);
    expect(bad({ maxExceptions: -1 })).toThrow(/behaviour\.poller\.maxExceptions/);
    expect(bad({ requests: 5, maxDistinct: 6 })).toThrow(/behaviour\.poller\.maxDistinct \(6\) must be <= behaviour\.poller\.requests \(5\)/);
    expect(bad({ requests: 4, maxExceptions: 4 })).toThrow(/behaviour\.poller\.maxExceptions \(4\) must be < behaviour\.poller\.requests/);
    expect(bad({ minPeriodMs: 'soon' })).toThrow(/behaviour\.poller\.minPeriodMs/);
  });
});
