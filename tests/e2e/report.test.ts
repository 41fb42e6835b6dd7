// End to end: `pathhelm report` against rows this test wrote: --json equals analytics() with exact
// counts and nearest-rank percentiles; the table output; --since; bad input and a missing db.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { insertDecisions, tempDb } from '../unit/tui/fixtures.js';

const BIN = fileURLToPath(new URL('../../bin/pathhelm.js', import.meta.url));
const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000 });

describe('pathhelm report', () => {
  const now = Date.now();
  const { db, file } = tempDb();
  // 100 recent rows: latencies 1..100 ms; 10 throttled, 5 blocked (one by the anomaly score)
  insertDecisions(
    db,
    Array.from({ length: 100 }, (_, i) => ({
      ts: now - 60_000 + i,
      clientIp: i < 60 ? '203.0.113.5' : '198.51.100.2',
      keyId: i < 60 ? 'k_app' : null,
      path: i % 2 ? '/api/a' : '/api/b',
      latencyMs: i + 1,
      upstreamMs: i < 85 ? (i + 1) / 2 : null,
      ...(i >= 85 && i < 95 ? { decision: 'THROTTLE' as const, reason: 'rate_limit_ip', status: 429 } : {}),
      ...(i >= 95 ? { decision: 'BLOCK' as const, reason: i === 99 ? 'anomaly' : 'auth_invalid', status: i === 99 ? 403 : 401 } : {}),
      ...(i === 99 ? { score: 0.93, explain: JSON.stringify([{ feature: 'seq_id_ratio', value: 0.9, sd: 6.2, attribution: 0.3 }]) } : {}),
    })),
  );
  // 3 old rows, outside --since 10m
  insertDecisions(db, [0, 1, 2].map((i) => ({ ts: now - 3_600_000 + i, clientIp: '192.0.2.1', latencyMs: 5000 })));

  it('--json prints exactly the analytics of the rows written', () => {
    const r = run(['report', '--db', file, '--since', '10m', '--json']);
    expect(r.status).toBe(0);
    const a = JSON.parse(r.stdout);
    expect(a.total).toBe(100);
    expect(a.byDecision).toEqual({ ALLOW: 85, THROTTLE: 10, BLOCK: 5 });
    expect(a.byReason).toEqual([
      { reason: 'ok', decision: 'ALLOW', count: 85 },
      { reason: 'rate_limit_ip', decision: 'THROTTLE', count: 10 },
      { reason: 'auth_invalid', decision: 'BLOCK', count: 4 },
      { reason: 'anomaly', decision: 'BLOCK', count: 1 },
    ]);
    expect(a.latency).toEqual({ p50: 50, p90: 90, p99: 99, max: 100 });
    expect(a.upstreamLatency).toEqual({ p50: 21.5, p99: 42.5 }); // 0.5..42.5 step 0.5, n=85
    expect(a.topClients).toEqual([
      { clientIp: '203.0.113.5', keyId: 'k_app', requests: 60, throttled: 0, blocked: 0, maxScore: null },
      { clientIp: '198.51.100.2', keyId: null, requests: 40, throttled: 10, blocked: 5, maxScore: 0.93 },
    ]);
    expect(a.topPaths).toEqual([
      { path: '/api/a', requests: 50, throttled: 5, blocked: 3 },
      { path: '/api/b', requests: 50, throttled: 5, blocked: 2 },
    ]);
    expect(a.anomalies).toHaveLength(1);
    expect(a.anomalies[0]).toMatchObject({ clientIp: '198.51.100.2', score: 0.93, reason: 'anomaly', explain: [{ feature: 'seq_id_ratio' }] });
    expect(a.since).toBeGreaterThan(now - 11 * 60_000);
  });

  it('without --since covers the whole log', () => {
    const a = JSON.parse(run(['report', '--db', file, '--json']).stdout);
    expect(a.since).toBeNull();
    expect(a.total).toBe(103);
    expect(a.latency.max).toBe(5000);
  });

  it('prints aligned tables', () => {
    const r = run(['report', '--db', file, '--since', '10m']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Requests\s+100\s+ALLOW 85 \(85\.0%\)\s+THROTTLE 10 \(10\.0%\)\s+BLOCK 5 \(5\.0%\)/);
    expect(r.stdout).toMatch(/gateway \(latency_ms\)\s+50\.0ms\s+90\.0ms\s+99\.0ms\s+100ms/);
    expect(r.stdout).toMatch(/203\.0\.113\.5\s+k_app\s+60\s+0\s+0/);
    expect(r.stdout).toContain('seq_id_ratio=0.9 (+6.2 sd)');
  });

  it('rejects a bad --since and a missing db with clear errors', () => {
    const bad = run(['report', '--db', file, '--since', 'yesterday']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--since must be a duration.*PH_ERR_USAGE/);
    const missing = run(['report', '--db', join(tempDb().dir, 'missing.db')]);
    expect(missing.status).toBe(4);
    expect(missing.stderr).toMatch(/no decision log at .*missing\.db/);
  });
});
