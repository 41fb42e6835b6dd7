// Tests the shared behaviour features: incremental values equal a naive recomputation over random streams,
// eviction at the window boundary with a fake clock, the per-window event cap, each feature's meaning, and the
// count-based history behind the regular-crawl rule.
import { describe, expect, it } from 'vitest';
import {
  BehaviourWindow,
  DEFAULT_REGULAR_RULE,
  F,
  FEATURE_NAMES,
  NUM_FEATURES,
  isSequentialId,
  MIN_RATE_SPAN_MS,
  type BehaviourEvent,
} from '../../../src/behaviour/features.js';
import { Random } from '../../../src/dataset/rng.js';

/**
 * Straightforward recomputation of every feature from the events in the window (the spec in docs/features.md).
 * `horizon`: events older than this were evicted by some earlier push or extract (t - windowMs); `prevIn[i]`:
 * whether event i-1 was still in the window when event i was pushed.
 */
function naive(all: BehaviourEvent[], upto: number, now: number, maxEvents: number, horizon: number, prevIn: boolean[]): number[] {
  let start = 0;
  while (start <= upto && all[start].t < horizon) start++;
  start = Math.max(start, upto + 1 - maxEvents);
  const ev = all.slice(start, upto + 1);
  const n = ev.length;
  if (n === 0) return new Array(NUM_FEATURES).fill(0);
  const key = (e: BehaviourEvent) => (e.method === 'GET' || e.method === 'HEAD' ? e.path : `${e.method} ${e.path}`);
  const counts = new Map<string, number>();
  const nf = new Set<string>();
  for (const e of ev) {
    counts.set(key(e), (counts.get(key(e)) ?? 0) + 1);
    if (e.status === 404) nf.add(key(e));
  }
  let entropy = 0;
  let max = 0;
  for (const c of counts.values()) {
    entropy -= (c / n) * Math.log2(c / n);
    max = Math.max(max, c);
  }
  const gaps: number[] = [];
  for (let i = 1; i < n; i++) gaps.push((ev[i].t - ev[i - 1].t) / 1000);
  let varLog = 0;
  let cvLog = 0;
  let logGapVar = 0;
  if (gaps.length >= 2) {
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const variance = gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / gaps.length;
    varLog = Math.log1p(variance);
    const cv = mean > 0 ? Math.sqrt(variance) / mean : 0;
    cvLog = Math.log10(Math.max(cv, 1e-3));
    const lg = gaps.map((g) => Math.log(Math.max(g, 0.01)));
    const lm = lg.reduce((a, b) => a + b, 0) / lg.length;
    logGapVar = lg.reduce((a, b) => a + (b - lm) ** 2, 0) / lg.length;
  }
  // seq flag of event i: the event pushed just before it was still in the window then and the ids continue.
  let seq = 0;
  for (let i = start; i <= upto; i++) if (prevIn[i] && isSequentialId(all[i - 1].path, all[i].path)) seq++;
  const share = (p: (e: BehaviourEvent) => boolean) => ev.filter(p).length / n;
  const span = Math.max(now - ev[0].t, MIN_RATE_SPAN_MS) / 1000;
  const out: number[] = [];
  out[F.req_count_log] = Math.log1p(n);
  out[F.unique_endpoints_log] = Math.log1p(counts.size);
  out[F.rps_log] = Math.log1p(n / span);
  out[F.iat_var_log] = varLog;
  out[F.iat_cv_log] = cvLog;
  out[F.iat_log_gap_var] = logGapVar;
  out[F.endpoint_entropy] = entropy;
  out[F.top_endpoint_share] = max / n;
  out[F.blocked_ratio] = share((e) => e.decision === 'BLOCK');
  out[F.throttled_ratio] = share((e) => e.decision === 'THROTTLE');
  out[F.error_ratio] = share((e) => e.status >= 400);
  out[F.not_found_distinct_log] = Math.log1p(nf.size);
  out[F.write_ratio] = share((e) => !['GET', 'HEAD', 'OPTIONS'].includes(e.method));
  out[F.seq_id_ratio] = seq / n;
  return out;
}

function randomStream(rng: Random, length: number): BehaviourEvent[] {
  const paths = ['/api/items', '/api/search', '/health', '/api/login', '/.env', '/wp-admin'];
  const out: BehaviourEvent[] = [];
  let t = 1_000_000;
  let id = rng.int(1, 50);
  for (let i = 0; i < length; i++) {
    // gaps: parallel (0 ms), page-load (tens of ms), think times (seconds), long pauses (beyond the window)
    const g = rng.weighted([2, 4, 4, 0.3]);
    t += g === 0 ? 0 : g === 1 ? rng.int(1, 80) : g === 2 ? rng.int(500, 15_000) : rng.int(20_000, 90_000);
    const kind = rng.int(0, 3);
    let path: string;
    if (kind === 0) path = `/api/items/${(id += rng.chance(0.7) ? 1 : rng.int(-5, 5))}`;
    else if (kind === 1) path = `/api/users/${rng.int(1, 8)}`;
    else path = rng.pick(paths);
    const decision = rng.chance(0.05) ? 'BLOCK' : rng.chance(0.05) ? 'THROTTLE' : 'ALLOW';
    const status = decision === 'BLOCK' ? 403 : decision === 'THROTTLE' ? 429 : rng.pick([200, 200, 200, 404, 401, 500]);
    out.push({ t, method: rng.chance(0.2) ? 'POST' : 'GET', path, status, decision });
  }
  return out;
}

describe('BehaviourWindow', () => {
  it('names its features in model order', () => {
    expect(FEATURE_NAMES.length).toBe(NUM_FEATURES);
    expect(new Set(FEATURE_NAMES).size).toBe(NUM_FEATURES);
    FEATURE_NAMES.forEach((n, i) => expect(F[n]).toBe(i));
  });

  it('matches a naive recomputation after every event of random streams', () => {
    for (const [seed, windowMs, maxEvents] of [
      [1, 60_000, 1000],
      [2, 10_000, 1000],
      [3, 60_000, 7],
      [4, 30_000, 50],
    ] as const) {
      const rng = new Random(seed);
      const stream = randomStream(rng, 400);
      const w = new BehaviourWindow(windowMs, { maxEvents });
      const x = new Float64Array(NUM_FEATURES);
      let horizon = -Infinity;
      const prevIn: boolean[] = [];
      for (let i = 0; i < stream.length; i++) {
        horizon = Math.max(horizon, stream[i].t - windowMs);
        prevIn.push(i > 0 && stream[i - 1].t >= horizon);
        w.push(stream[i]);
        const now = stream[i].t + (i % 3 === 0 ? rng.int(0, 5000) : 0);
        w.extract(now, x);
        horizon = Math.max(horizon, now - windowMs);
        const want = naive(stream, i, now, maxEvents, horizon, prevIn);
        for (let f = 0; f < NUM_FEATURES; f++) {
          if (Math.abs(x[f] - want[f]) > 1e-7) {
            throw new Error(`seed ${seed} event ${i} feature ${FEATURE_NAMES[f]}: incremental ${x[f]} vs naive ${want[f]}`);
          }
        }
      }
    }
  });

  it('stays exact over long streams (periodic resync bounds float drift)', () => {
    const rng = new Random(9);
    const stream = randomStream(rng, 20_000);
    const w = new BehaviourWindow(60_000, { maxEvents: 64 });
    const x = new Float64Array(NUM_FEATURES);
    const prevIn: boolean[] = [];
    for (let i = 0; i < stream.length; i++) {
      prevIn.push(i > 0 && stream[i - 1].t >= stream[i].t - 60_000);
      w.push(stream[i]);
    }
    const last = stream[stream.length - 1].t;
    w.extract(last, x);
    const want = naive(stream, stream.length - 1, last, 64, last - 60_000, prevIn);
    for (let f = 0; f < NUM_FEATURES; f++) expect(x[f]).toBeCloseTo(want[f], 9);
  });

  it('evicts events exactly at the window boundary (fake clock)', () => {
    const w = new BehaviourWindow(10_000);
    const x = new Float64Array(NUM_FEATURES);
    w.push({ t: 0, method: 'GET', path: '/a', status: 404, decision: 'ALLOW' });
    w.push({ t: 5_000, method: 'GET', path: '/b', status: 200, decision: 'ALLOW' });
    w.extract(10_000, x); // the event at 0 is exactly windowMs old: still inside
    expect(w.size).toBe(2);
    expect(x[F.not_found_distinct_log]).toBeCloseTo(Math.log1p(1));
    w.extract(10_001, x); // now it is older than the window
    expect(w.size).toBe(1);
    expect(x[F.not_found_distinct_log]).toBe(0);
    expect(x[F.error_ratio]).toBe(0);
    w.extract(15_001, x);
    expect(w.size).toBe(0);
    expect(Array.from(x).every((v) => v === 0)).toBe(true);
    // pushing long after the window empties starts afresh
    w.push({ t: 100_000, method: 'POST', path: '/api/login', status: 401, decision: 'ALLOW' });
    w.extract(100_000, x);
    expect(w.size).toBe(1);
    expect(x[F.error_ratio]).toBe(1);
    expect(x[F.write_ratio]).toBe(1);
  });

  it('caps the events it holds (bounded memory) and keeps the newest', () => {
    const w = new BehaviourWindow(3_600_000, { maxEvents: 100 });
    const x = new Float64Array(NUM_FEATURES);
    for (let i = 0; i < 10_000; i++) w.push({ t: i, method: 'GET', path: `/p/${i % 500}`, status: 200, decision: 'ALLOW' });
    expect(w.size).toBe(100);
    w.extract(10_000, x);
    expect(x[F.req_count_log]).toBeCloseTo(Math.log1p(100));
    expect(x[F.unique_endpoints_log]).toBeCloseTo(Math.log1p(100)); // the last 100 paths are distinct
    expect(() => new BehaviourWindow(1000, { maxEvents: 1 })).toThrow(/maxEvents/);
    expect(() => new BehaviourWindow(0)).toThrow(/windowMs/);
  });

  it('gives the separating values for the behaviours it is meant to catch', () => {
    const x = new Float64Array(NUM_FEATURES);
    // A scraper walking ids at a metronome pace.
    const s = new BehaviourWindow(60_000);
    for (let i = 0; i < 40; i++) s.push({ t: i * 1000, method: 'GET', path: `/api/items/${100 + i}`, status: 200, decision: 'ALLOW' });
    s.extract(39_000, x);
    expect(x[F.seq_id_ratio]).toBeCloseTo(39 / 40);
    expect(x[F.iat_cv_log]).toBe(-3); // perfectly regular: the floor
    expect(x[F.iat_log_gap_var]).toBeCloseTo(0);
    expect(x[F.endpoint_entropy]).toBeCloseTo(Math.log2(40));
    // A page load: a burst, then a pause: irregular, not a flood.
    const u = new BehaviourWindow(60_000);
    const times = [0, 5, 12, 40, 41, 90, 8000, 8010, 8030, 20_000, 20_004];
    for (const t of times) u.push({ t, method: 'GET', path: `/api/items/${t % 997}`, status: 200, decision: 'ALLOW' });
    u.extract(20_004, x);
    expect(x[F.iat_cv_log]).toBeGreaterThan(0.2);
    expect(x[F.iat_log_gap_var]).toBeGreaterThan(3);
    expect(Math.expm1(x[F.rps_log])).toBeCloseTo(11 / 20.004, 5);
    // 30 requests within one second still count as at most 3 req/s (MIN_RATE_SPAN_MS)
    const b = new BehaviourWindow(60_000);
    for (let i = 0; i < 30; i++) b.push({ t: i * 30, method: 'GET', path: '/api/items', status: 200, decision: 'ALLOW' });
    b.extract(900, x);
    expect(Math.expm1(x[F.rps_log])).toBeCloseTo(3);
    expect(x[F.top_endpoint_share]).toBe(1);
    expect(x[F.endpoint_entropy]).toBe(0);
  });

  it('recognises id sequences only on the same route', () => {
    expect(isSequentialId('/api/items/7', '/api/items/8')).toBe(true);
    expect(isSequentialId('/api/items/9', '/api/items/8')).toBe(true);
    expect(isSequentialId('/api/items/9', '/api/items/7')).toBe(false);
    expect(isSequentialId('/api/items/7', '/api/items/7')).toBe(false);
    expect(isSequentialId('/api/items/7', '/api/items/10')).toBe(false);
    expect(isSequentialId('/api/users/7', '/api/items/8')).toBe(false);
    expect(isSequentialId('/api/items', '/api/items/1')).toBe(false);
    expect(isSequentialId('/v1', '/v2')).toBe(false); // no '/' before the digits
  });
});

describe('BehaviourWindow count-based history (regular-crawl rule)', () => {
  const ev = (t: number, path: string): BehaviourEvent => ({ t, method: 'GET', path, status: 200, decision: 'ALLOW' });

  it('judges the last N gaps whatever the time window, and matches a naive computation', () => {
    const rng = new Random(17);
    const w = new BehaviourWindow(60_000, { history: 32 });
    const times: number[] = [];
    const paths: string[] = [];
    let t = 0;
    for (let i = 0; i < 200; i++) {
      t += rng.chance(0.2) ? rng.uniform(0, 50) : rng.uniform(1000, 90_000); // gaps beyond the window too
      const p = `/api/items/${rng.int(1, 12)}`;
      w.push(ev(t, p));
      times.push(t);
      paths.push(p);
      expect(w.historySize).toBe(Math.min(i + 1, 32));
      for (const g of [2, 10, 24, 31]) {
        const r = w.regularity(g);
        if (i < g) {
          expect(r.gaps).toBe(0);
          continue;
        }
        const gaps = times.slice(i - g + 1).map((x, j) => x - times[i - g + j]);
        const mean = gaps.reduce((a, b) => a + b, 0) / g;
        const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / g);
        expect(r.gaps).toBe(g);
        expect(r.meanGapMs).toBeCloseTo(mean, 6);
        expect(r.cv).toBeCloseTo(sd / mean, 6);
        expect(r.distinct).toBe(new Set(paths.slice(i - g)).size);
      }
    }
    expect(w.size).toBeLessThan(10); // the time window holds few of them; the history all 32
    w.clear();
    expect(w.historySize).toBe(0);
    expect(w.regularity(2).gaps).toBe(0);
  });

  it('catches a metronome crawling many URLs once it has sent requests + 1 requests, even below 20 per minute', () => {
    const rule = DEFAULT_REGULAR_RULE;
    const w = new BehaviourWindow(60_000);
    const rng = new Random(3);
    let t = 0;
    for (let i = 0; i <= rule.requests; i++) {
      expect(w.isRegularCrawl(rule)).toBe(false);
      w.push(ev(t, i % 2 ? `/api/items/${rng.int(1, 1000)}` : '/api/items'));
      t += 6000 * (1 + 0.01 * rng.normal());
    }
    const out = { gaps: 0, cv: 0, meanGapMs: 0, distinct: 0 };
    expect(w.isRegularCrawl(rule, out)).toBe(true);
    expect(out.gaps).toBe(24);
    expect(out.cv).toBeLessThan(0.05);
    expect(out.distinct).toBeGreaterThanOrEqual(8);
    expect(w.size).toBeLessThan(20); // the model never scores this client
  });

  it('leaves pollers, people and fast clients alone', () => {
    const rule = DEFAULT_REGULAR_RULE;
    const rng = new Random(5);
    // a dashboard polling 6 fixed endpoints every 30 s, one after the other (as regular as a bot)
    const dash = new BehaviourWindow(60_000);
    const urls = ['/api/items', '/api/search', '/health', '/api/users/4', '/api/items/9', '/api/items/10'];
    for (let i = 0; i < 600; i++) {
      dash.push(ev(i * 5000, urls[i % 6]));
      expect(dash.isRegularCrawl(rule)).toBe(false);
    }
    expect(dash.regularity(24).cv).toBeLessThan(1e-9);
    // irregular browsing over many URLs
    const person = new BehaviourWindow(60_000);
    let t = 0;
    for (let i = 0; i < 300; i++) {
      t += rng.lognormal(4000, 0.6);
      person.push(ev(t, `/api/items/${rng.int(1, 1000)}`));
      expect(person.isRegularCrawl(rule)).toBe(false);
    }
    // a regular but fast client (every 100 ms) is the model's business, not the rule's
    const fast = new BehaviourWindow(60_000);
    for (let i = 0; i < 100; i++) fast.push(ev(i * 100, `/api/items/${i}`));
    expect(fast.regularity(24).cv).toBeLessThan(1e-9);
    expect(fast.isRegularCrawl(rule)).toBe(false);
    expect(fast.isRegularCrawl({ ...rule, minGapMs: 0 })).toBe(true);
    // ruled out by its mean gap alone (O(1), no loop over the gaps): out says so
    const out = { gaps: 0, cv: 0, meanGapMs: 0, distinct: 0 };
    expect(fast.isRegularCrawl(rule, out)).toBe(false);
    expect(out).toEqual({ gaps: rule.requests, cv: NaN, meanGapMs: 100, distinct: 0 });
  });
});
