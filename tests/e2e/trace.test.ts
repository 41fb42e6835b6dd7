// End to end: `pathhelm trace` shows one request id end to end, with and without a backend event;
// an unknown id is PH_ERR_NOT_FOUND with a non-zero exit code.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { insertBackendEvents, insertDecisions, tempDb } from '../unit/tui/fixtures.js';

const BIN = fileURLToPath(new URL('../../bin/pathhelm.js', import.meta.url));
const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000 });

describe('pathhelm trace', () => {
  const t0 = Date.parse('2026-11-21T07:00:00.000Z');
  const { db, file } = tempDb();
  insertDecisions(db, [
    { ts: t0, requestId: 'rid-forwarded', clientIp: '203.0.113.5', keyId: 'k_app', method: 'POST', path: '/api/orders', status: 201, upstreamStatus: 201, latencyMs: 12.5, upstreamMs: 9.5 },
    { ts: t0 + 5, requestId: 'rid-blocked', clientIp: '198.51.100.2', path: '/admin', status: 403, upstreamStatus: null, decision: 'BLOCK', reason: 'anomaly', latencyMs: 0.4, upstreamMs: null,
      score: 0.91, features: JSON.stringify({ rps: 42, seq_id_ratio: 0.95 }), explain: JSON.stringify([{ feature: 'rps', value: 42, sd: 8.1, attribution: 0.5 }]) },
  ]);
  insertBackendEvents(db, [{ ts: t0 + 2, requestId: 'rid-forwarded', method: 'POST', path: '/api/orders', status: 201, latencyMs: 7 }]);

  it('shows the decision and the backend event with a timeline', () => {
    const r = run(['trace', 'rid-forwarded', '--db', file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Request rid-forwarded');
    expect(r.stdout).toMatch(/Gateway decision\s+ALLOW\s+reason ok/);
    expect(r.stdout).toContain('POST /api/orders');
    expect(r.stdout).toContain('201 to the client, backend answered 201');
    expect(r.stdout).toMatch(/Backend event\s+POST \/api\/orders\s+status 201\s+handled in 7\.0ms/);
    const timeline = r.stdout.slice(r.stdout.indexOf('Timeline'));
    const order = ['gateway received', 'backend logged', "gateway got the backend's response headers", 'gateway finished'].map((s) => timeline.indexOf(s));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(timeline).toMatch(/\+2\.0ms\s+backend logged 201/);
    expect(timeline).toMatch(/\+12\.5ms\s+gateway finished: 201 ALLOW/);
  });

  it('shows a blocked request without a backend event, with its score and why', () => {
    const r = run(['trace', 'rid-blocked', '--db', file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Gateway decision\s+BLOCK\s+reason anomaly/);
    expect(r.stdout).toContain('403 to the client, not forwarded');
    expect(r.stdout).toContain('score    0.910');
    expect(r.stdout).toContain('rps=42 (+8.1 sd)');
    expect(r.stdout).toContain('Backend event: none (the request was not forwarded)');
  });

  it('--json prints the decision rows and backend events', () => {
    const t = JSON.parse(run(['trace', 'rid-forwarded', '--db', file, '--json']).stdout);
    expect(t.requestId).toBe('rid-forwarded');
    expect(t.decisions).toHaveLength(1);
    expect(t.decisions[0]).toMatchObject({ decision: 'ALLOW', status: 201, upstreamMs: 9.5, keyId: 'k_app' });
    expect(t.backend).toEqual([{ id: 1, ts: t0 + 2, requestId: 'rid-forwarded', method: 'POST', path: '/api/orders', status: 201, latencyMs: 7 }]);
  });

  it('fails with PH_ERR_NOT_FOUND for an unknown id', () => {
    const r = run(['trace', 'no-such-id', '--db', file]);
    expect(r.status).toBe(7);
    expect(r.stderr).toMatch(/no decision or backend event with request id "no-such-id".*PH_ERR_NOT_FOUND/);
    expect(r.stdout).toBe('');
  });
});
