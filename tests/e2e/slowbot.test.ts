// End to end (slow bots, issue 5): the built binary `serve --demo` (keyless, shipped model, real SQLite) driven by
// `pathhelm simulate` with three slow bots and eight ordinary clients at the profiles' real pace. Every slow bot is
// stopped (403 `anomaly` or `anomaly_regular`) by its BOUND-th request and stays banned for the rest of the run;
// no ordinary client is ever throttled or blocked; the decision log holds the refusal with its explanation.
//
// Why this run:
// - The slow_bot profile sends one request every 1-3 s, metronome-like. The model needs behaviour.minEvents (20)
//   requests and then K = 3 block-level scores (request 22 at the earliest); the regular-crawl rule judges the
//   last 24 gaps (refuses request 26 at the earliest, and at the latest for a bot that crawls from its first
//   request). In replay every slow_bot session is stopped by request 26 (models/README.md, 900 sessions).
// - BOUND = 30: the design bound is 26; 4 requests of slack because live traffic is not replay (a late timer on
//   a loaded box can break the model's run of K scores, which then has to start again).
// - Nothing is sped up: simulate replays each session's own timestamps. Its session choice (busiest of 20, or
//   the first with >= 40 requests) gives these bots ~1 request/s, the fast end of 1-3 s; slower bots take more
//   wall time but not more requests (the rule counts requests, not seconds; replay covers the whole range).
// - DURATION 35 s is the shortest that lets every bot send BOUND requests with margin: seed 4 plans 34 requests
//   per bot, the 30th at most ~30.1 s in, so a stop anywhere up to BOUND is seen with ~5 s to spare (the
//   schedule is absolute, a late timer does not push later requests back). Seed 4 is picked because its three
//   bots cover the profile's three modes: id walk and search polling (the model's job) and list pages with
//   random items (scored ~0.57 by the model, below its threshold: the rule's job). The plan is checked below,
//   so a change of profiles or session choice fails loudly here instead of silently testing less.
// - Its own file, so vitest runs it beside tests/e2e/behaviour.test.ts (whole `npm test` budget ~5 min on 2 cores).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/telemetry/db.js';
import { planClients } from '../../src/sim/simulate.js';
import { Procs, runSimulate as simulateJson, startServe as spawnServe, stop } from './spawn.js';

const BOUND = 30;
const DURATION_MS = 35_000;
const CLIENTS = 8;
const BOTS = ['slow-bot', 'slow-bot', 'slow-bot'];
const SEED = 4;

let dir: string;
const procs = new Procs();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ph-e2e-slowbot-'));
});

afterAll(() => {
  procs.killAll();
  rmSync(dir, { recursive: true, force: true });
});

const startServe = (args: string[]) => spawnServe(['--demo', '--no-auth', '--port', '0', ...args], { cwd: dir, procs });
const runSimulate = (args: string[]) => simulateJson(args, { cwd: dir, procs });

type Mode = 'id walk' | 'search polling' | 'list pages + items';
function modeOf(paths: string[]): Mode {
  if (paths[0] === '/api/search') return 'search polling';
  return paths[0] === '/api/items' ? 'list pages + items' : 'id walk';
}

interface Row {
  id: number;
  decision: string;
  status: number;
  reason: string;
  score: number | null;
  explain: string | null;
}

describe('slow bots at their real pace (built binary, demo backend, shipped model, real SQLite)', () => {
  it(`enforce: every slow bot is stopped by request ${BOUND} and stays banned, no ordinary client is touched; the log explains it`, async () => {
    // The plan simulate will run (deterministic for the same options): one bot per mode, each able to reach BOUND.
    const plan = planClients({ target: 'http://127.0.0.1:1', durationMs: DURATION_MS, clients: CLIENTS, attackers: BOTS, keys: [], seed: SEED });
    const planned = plan.filter((p) => p.kind === 'attacker');
    expect(planned.map((p) => modeOf(p.requests.map((r) => r.path))).sort(), `seed ${SEED}: one slow bot per mode`).toEqual(['id walk', 'list pages + items', 'search polling']);
    for (const p of planned) expect(p.staggerMs + p.requests[BOUND - 1].at, `${p.ip} sends request ${BOUND} with 4 s to spare`).toBeLessThan(DURATION_MS - 4000);

    const db = join(dir, 'slowbot.db');
    const { child, url, out } = await startServe(['--db', db]);
    const loaded = /models\/default\.json loaded \(block at ([0-9.]+)/.exec(out());
    expect(loaded, out()).not.toBeNull();
    const threshold = Number(loaded![1]);

    const t0 = Date.now();
    const r = await runSimulate(['--target', url, '--duration', `${DURATION_MS / 1000}s`, '--clients', String(CLIENTS), '--attackers', BOTS.join(','), '--seed', String(SEED)]);
    const simS = Math.round((Date.now() - t0) / 100) / 10;
    await stop(child); // flushes the decision log

    const bots = r.clients.filter((c) => c.kind === 'attacker');
    console.log(
      `slow bots (${simS} s run): ` +
        bots.map((c, i) => `${c.ip} ${modeOf(planned[i].requests.map((q) => q.path))}: ${c.requests} requests, first stopped at #${c.firstStoppedAt ?? 'never'} (${c.firstStoppedReason}, ${c.firstStoppedAfterS} s)`).join('; '),
    );
    for (const c of r.clients) expect(c.statuses.error ?? 0, `${c.ip} transport errors`).toBe(0);
    // no ordinary client was ever throttled or blocked
    expect(r.ordinaryStopped).toBe(0);
    expect(r.clients.filter((c) => c.kind === 'ordinary').every((c) => Object.keys(c.reasons).length === 0)).toBe(true);
    // every slow bot: stopped by the behaviour engine by request BOUND, then refused (banned) until the end
    expect(bots.map((c) => c.profile)).toEqual(['slow_bot', 'slow_bot', 'slow_bot']);
    for (const c of bots) {
      expect(c.firstStoppedAt, `${c.ip} stopped`).not.toBeNull();
      expect(c.firstStoppedAt!, `${c.ip} stopped by request ${BOUND}`).toBeLessThanOrEqual(BOUND);
      expect(c.firstStoppedAt!, `${c.ip} not before the engine can judge it`).toBeGreaterThanOrEqual(22);
      expect(['anomaly', 'anomaly_regular']).toContain(c.firstStoppedReason);
      expect(c.requests, `${c.ip} kept going after the stop`).toBeGreaterThan(c.firstStoppedAt!);
      expect(c.reasons, `${c.ip} refused from its first stop on`).toEqual({ [c.firstStoppedReason!]: 1, banned: c.requests - c.firstStoppedAt! });
    }

    const d = openDb(db, { readonly: true });
    try {
      const rowsOf = d.prepare('SELECT id, decision, status, reason, score, explain FROM decisions WHERE client_ip = ? ORDER BY id');
      for (const c of bots) {
        const rows = rowsOf.all(c.ip) as Row[];
        // one row per request; the first refused row is the request simulate saw refused
        expect(rows.length, `${c.ip} rows`).toBe(c.requests);
        const first = rows.findIndex((x) => x.decision !== 'ALLOW');
        expect(first + 1, `${c.ip} first refused row`).toBe(c.firstStoppedAt);
        const row = rows[first];
        expect(row).toMatchObject({ decision: 'BLOCK', status: 403, reason: c.firstStoppedReason });
        expect(row.explain, `${c.ip} refusal explained`).not.toBeNull();
        const explain = JSON.parse(row.explain!) as Array<{ name?: string; feature?: string; value?: number }>;
        expect(explain.length).toBeGreaterThan(0);
        if (row.reason === 'anomaly_regular') {
          // the rule's measured values: metronome gaps over 24 gaps, many distinct endpoints, >= 0.5 s apart
          const v = Object.fromEntries(explain.map((e) => [e.name, e.value]));
          expect(v.gaps).toBe(24);
          expect(v.gap_cv).toBeLessThanOrEqual(0.1);
          expect(v.distinct_endpoints).toBeGreaterThanOrEqual(8);
          expect(v.mean_gap_s).toBeGreaterThanOrEqual(0.5);
        } else {
          // the model: a block-level score, explained by the features that drove it
          expect(row.score).toBeGreaterThanOrEqual(threshold);
          expect(explain[0].feature).toMatch(/^[a-z_]+$/);
        }
        expect(rows.slice(first + 1).every((x) => x.decision === 'BLOCK' && x.reason === 'banned')).toBe(true);
        const bans = d.prepare('SELECT reason FROM bans WHERE client_id = ?').all(c.ip) as Array<{ reason: string }>;
        expect(bans.map((b) => b.reason)).toEqual([c.firstStoppedReason]);
      }
      const ordinary = d.prepare(`SELECT count(*) AS n, sum(decision != 'ALLOW') AS refused FROM decisions WHERE client_ip LIKE '127.1.%'`).get() as { n: number; refused: number };
      expect(ordinary.n).toBe(r.clients.filter((c) => c.kind === 'ordinary').reduce((n, c) => n + c.requests, 0));
      expect(ordinary.refused).toBe(0);
      expect((d.prepare(`SELECT count(*) AS n FROM bans WHERE client_id LIKE '127.1.%'`).get() as { n: number }).n).toBe(0);
    } finally {
      d.close();
    }
  }, 120_000);
});
