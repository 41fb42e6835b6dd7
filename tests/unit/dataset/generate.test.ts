// Tests the profiles and `dataset generate`'s core: labels per profile, determinism with a seed, columns,
// quotas, the simulated gateway and the demo backend's statuses.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { F, FEATURE_NAMES, NUM_FEATURES } from '../../../src/behaviour/features.js';
import { DATASET_COLUMNS, generateDataset, generateDatasetFile, replaySession } from '../../../src/dataset/generate.js';
import { PROFILES, demoBackendStatus, profileByName } from '../../../src/dataset/profiles.js';
import { Random } from '../../../src/dataset/rng.js';

const dir = mkdtempSync(join(tmpdir(), 'ph-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('profiles', () => {
  it('label ordinary clients 0 and attackers 1', () => {
    const labels = Object.fromEntries(PROFILES.map((p) => [p.name, p.label]));
    expect(labels).toEqual({
      browser_user: 0,
      mobile_user: 0,
      shared_office: 0,
      api_poller: 0,
      scraper: 1,
      credential_stuffer: 1,
      burst: 1,
      slow_bot: 1,
      scanner: 1,
      slow_crawler: 1,
      fast_poller: 0,
    });
  });

  it('produce time-ordered sessions on the demo routes, deterministically', () => {
    for (const p of PROFILES) {
      const a = p.session(new Random(5));
      const b = p.session(new Random(5));
      expect(a).toEqual(b);
      expect(a.length).toBeGreaterThan(0);
      for (let i = 1; i < a.length; i++) expect(a[i].at).toBeGreaterThanOrEqual(a[i - 1].at);
      for (const r of a) expect(r.path.startsWith('/')).toBe(true);
    }
  });

  it('behave like their description', () => {
    const stuffer = profileByName('credential_stuffer').session(new Random(1));
    const logins = stuffer.filter((r) => r.method === 'POST' && r.path === '/api/login');
    expect(logins.length / stuffer.length).toBeGreaterThan(0.8);
    expect(logins.filter((r) => demoBackendStatus(r.method, r.path, r.body) === 401).length / logins.length).toBeGreaterThan(0.95);

    const scanner = profileByName('scanner').session(new Random(2));
    const notFound = scanner.filter((r) => demoBackendStatus(r.method, r.path, r.body) === 404);
    expect(new Set(notFound.map((r) => r.path)).size).toBeGreaterThan(20);

    const bot = profileByName('slow_bot').session(new Random(3));
    const gaps = bot.slice(1).map((r, i) => r.at - bot[i].at);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / gaps.length);
    expect(sd / mean).toBeLessThan(0.05);

    const crawler = profileByName('slow_crawler').session(new Random(6));
    const cgaps = crawler.slice(1).map((r, i) => r.at - crawler[i].at);
    expect(Math.min(...cgaps)).toBeGreaterThan(2900); // slower than 20 per minute: a 60 s window never scores it
    expect(Math.max(...cgaps)).toBeLessThan(10_500);

    for (let seed = 1; seed <= 20; seed++) {
      // pollers: regular, but a few fixed URLs (at most 6 distinct endpoints), all answered 200
      const poll = profileByName('api_poller').session(new Random(seed));
      expect(new Set(poll.map((r) => r.path)).size).toBeLessThanOrEqual(6);
      for (const r of poll) expect(demoBackendStatus(r.method, r.path, r.body)).toBe(200);
    }

    for (let seed = 1; seed <= 20; seed++) {
      // fast pollers: 1-6 fixed targets (query included), all 200, each polled every 0.5-3 s, at most 4 requests/s
      const poll = profileByName('fast_poller').session(new Random(seed));
      const targets = new Set(poll.map((r) => `${r.path}?${r.query}`));
      expect(targets.size).toBeLessThanOrEqual(6);
      for (const r of poll) expect(demoBackendStatus(r.method, r.path, r.body)).toBe(200);
      const first = poll.filter((r) => `${r.path}?${r.query}` === [...targets][0]);
      const span = first[first.length - 1].at - first[0].at;
      expect(span / (first.length - 1)).toBeGreaterThan(400);
      expect(span / (first.length - 1)).toBeLessThan(3300);
      expect(poll.length / ((poll[poll.length - 1].at - poll[0].at) / 1000)).toBeLessThanOrEqual(4.4);
    }
    expect(PROFILES.filter((p) => p.weight === 0).map((p) => p.name)).toEqual(['api_poller', 'slow_crawler', 'fast_poller']);

    const user = profileByName('browser_user').session(new Random(4));
    const ugaps = user.slice(1).map((r, i) => r.at - user[i].at);
    expect(ugaps.some((g) => g < 100)).toBe(true); // page-load bursts
    expect(ugaps.some((g) => g > 3000)).toBe(true); // think times
  });

  it('mirror the demo backend statuses', () => {
    expect(demoBackendStatus('GET', '/health', null)).toBe(200);
    expect(demoBackendStatus('GET', '/api/items/1000', null)).toBe(200);
    expect(demoBackendStatus('GET', '/api/items/1001', null)).toBe(404);
    expect(demoBackendStatus('GET', '/api/users/100', null)).toBe(200);
    expect(demoBackendStatus('GET', '/api/users/101', null)).toBe(404);
    expect(demoBackendStatus('POST', '/api/login', '{"username":"demo","password":"demo"}')).toBe(200);
    expect(demoBackendStatus('POST', '/api/login', '{"username":"demo","password":"x"}')).toBe(401);
    expect(demoBackendStatus('GET', '/.env', null)).toBe(404);
  });
});

describe('generateDataset', () => {
  it('writes the requested rows with the right labels and quota', () => {
    const seen = new Map<string, number>();
    let anomalies = 0;
    const s = generateDataset({ rows: 5000, anomalyRatio: 0.2, seed: 3 }, (x, label, profile) => {
      expect(x.length).toBe(NUM_FEATURES);
      expect(label).toBe(profileByName(profile).label);
      seen.set(profile, (seen.get(profile) ?? 0) + 1);
      anomalies += label;
    });
    expect(s.rows).toBe(5000);
    expect(anomalies).toBe(1000);
    expect(s.anomalies).toBe(1000);
    // every profile with a weight appears; weight-0 (evaluation-only) profiles never do
    expect([...seen.keys()].sort()).toEqual(PROFILES.filter((p) => p.weight > 0).map((p) => p.name).sort());
  });

  it('only emits windows with at least --min-events events', () => {
    let rows = 0;
    generateDataset({ rows: 2000, anomalyRatio: 0.1, seed: 4, minEvents: 20 }, (x) => {
      expect(Math.round(Math.expm1(x[F.req_count_log]))).toBeGreaterThanOrEqual(20);
      rows++;
    });
    expect(rows).toBe(2000);
  });

  it('is deterministic for a seed and differs across seeds (CSV file)', () => {
    const a = join(dir, 'a.csv');
    const b = join(dir, 'b.csv');
    const c = join(dir, 'c.csv');
    generateDatasetFile({ rows: 3000, anomalyRatio: 0.1, seed: 11, out: a });
    generateDatasetFile({ rows: 3000, anomalyRatio: 0.1, seed: 11, out: b });
    generateDatasetFile({ rows: 3000, anomalyRatio: 0.1, seed: 12, out: c });
    const ta = readFileSync(a, 'utf8');
    expect(ta).toBe(readFileSync(b, 'utf8'));
    expect(ta).not.toBe(readFileSync(c, 'utf8'));
    const lines = ta.trimEnd().split('\n');
    expect(lines[0]).toBe([...FEATURE_NAMES, 'label', 'profile'].join(','));
    expect(DATASET_COLUMNS).toEqual([...FEATURE_NAMES, 'label', 'profile']);
    expect(lines.length).toBe(3001);
    for (const line of lines.slice(1, 200)) {
      const cells = line.split(',');
      expect(cells.length).toBe(NUM_FEATURES + 2);
      for (const v of cells.slice(0, NUM_FEATURES)) expect(Number.isFinite(Number(v))).toBe(true);
      expect(['0', '1']).toContain(cells[NUM_FEATURES]);
      expect(profileByName(cells[NUM_FEATURES + 1]).label).toBe(Number(cells[NUM_FEATURES]));
    }
  });

  it('generates 100k rows quickly', () => {
    const t0 = performance.now();
    let n = 0;
    generateDataset({ rows: 100_000, seed: 1 }, () => {
      n++;
    });
    expect(n).toBe(100_000);
    expect(performance.now() - t0).toBeLessThan(15_000); // a few seconds on the CI machines; generous for load
  });

  it('rejects bad options with usage errors', () => {
    expect(() => generateDataset({ rows: 0 }, () => {})).toThrow(/--rows/);
    expect(() => generateDataset({ rows: 10, anomalyRatio: 1.5 }, () => {})).toThrow(/--anomaly-ratio/);
    expect(() => generateDataset({ rows: 10, profiles: ['nope'] }, () => {})).toThrow(/unknown profile/);
  });

  it('simulates the gateway: throttles floods, blocks keyless probes', () => {
    let throttled = 0;
    replaySession(profileByName('burst').session(new Random(8)), {}, (_x, _r, _i, _size, decision, status) => {
      if (decision === 'THROTTLE') {
        throttled++;
        expect(status).toBe(429);
      }
    });
    expect(throttled).toBeGreaterThan(0);
    let sawBlock = false;
    for (let seed = 0; seed < 10 && !sawBlock; seed++) {
      replaySession(profileByName('scanner').session(new Random(seed)), {}, (_x, r, _i, _size, decision, status) => {
        if (!r.withKey && r.path !== '/health') {
          expect(decision).toBe('BLOCK');
          expect(status).toBe(401);
          sawBlock = true;
        }
      });
    }
    expect(sawBlock).toBe(true);
  });
});
