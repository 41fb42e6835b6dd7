// Steady pollers through a real gateway (127.0.0.1:0, real SQLite file, the shipped model, default behaviour
// config): a dashboard polling one URL (with a fixed query) every second is never blocked and its rows say
// `steady_poller` with the score and what the model would have done; a bot polling the same endpoint with a varying
// query is still blocked `anomaly`. Time comes from the gateway's `clock` dependency, so the test sends its requests
// as fast as the sockets allow instead of waiting a second between them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PathHelmConfig } from '../../../src/config/types.js';
import { startGateway, type Gateway } from '../../../src/gateway/server.js';
import { openDb, type Db } from '../../../src/telemetry/db.js';
import { get, startEchoBackend, testConfig, type Backend } from '../access/harness.js';

const MODEL = fileURLToPath(new URL('../../../models/default.json', import.meta.url));

interface DecisionRow {
  status: number;
  decision: string;
  reason: string;
  score: number | null;
  features: string | null;
  explain: string | null;
}

let dir: string;
let backend: Backend;
let gw: Gateway;
let db: Db;
let clock = 1_800_000_000_000;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ph-poller-'));
  backend = await startEchoBackend();
  db = openDb(join(dir, 'ph.db'));
  const base = testConfig(dir, backend.url, { auth: { required: false }, trustedProxies: ['127.0.0.1'] });
  const config: PathHelmConfig = { ...base, behaviour: { ...base.behaviour, enabled: true }, ml: { ...base.ml, model: MODEL } };
  gw = await startGateway(config, { clock: () => clock });
});

afterAll(async () => {
  await gw?.close();
  await backend?.close();
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Sends `n` requests from `client` (X-Forwarded-For), `gapMs` of fake time apart; returns statuses and request ids. */
async function pollAs(client: string, n: number, gapMs: number, url: (i: number) => string): Promise<{ statuses: number[]; ids: string[] }> {
  const statuses: number[] = [];
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    clock += Math.round(gapMs * (1 + 0.02 * Math.sin(i * 1.7))); // ±2% jitter
    const r = await get(gw.url, url(i), { 'x-forwarded-for': client });
    statuses.push(r.status);
    ids.push(r.headers['x-request-id']);
  }
  return { statuses, ids };
}

/** The decision rows of `ids`, in order (waits for the batched writer). */
async function rows(ids: string[]): Promise<DecisionRow[]> {
  const stmt = db.prepare('SELECT status, decision, reason, score, features, explain FROM decisions WHERE request_id = ?');
  const end = Date.now() + 5000;
  for (;;) {
    const got = ids.map((id) => stmt.get(id) as DecisionRow | undefined);
    if (got.every((r) => r !== undefined)) return got as DecisionRow[];
    if (Date.now() > end) throw new Error(`only ${got.filter(Boolean).length} of ${ids.length} decision rows written`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('steady pollers through the gateway', () => {
  it('a dashboard polling /api/notifications?unread=1 every second is never blocked; its rows keep the score and say steady_poller', async () => {
    const { statuses, ids } = await pollAs('10.1.0.1', 60, 1000, () => '/api/notifications?unread=1');
    expect(statuses.every((s) => s === 200)).toBe(true);
    const log = await rows(ids);
    expect(log.every((r) => r.decision === 'ALLOW' && r.reason !== 'anomaly')).toBe(true);
    const scored = log.filter((r) => r.score !== null);
    expect(scored.length).toBe(40); // scored from the 21st request on (behaviour.minEvents 20)
    expect(scored.every((r) => r.features !== null)).toBe(true);
    // The shipped model alone would block this client (its windows look like the search-polling bots it was
    // trained on); the rule is what lets it through, and the rows say so.
    const exempt = log.filter((r) => r.reason === 'steady_poller');
    expect(exempt.length).toBeGreaterThan(30);
    // The request the model would have blocked carries the explanation (one row, not every poll).
    const explained = log.filter((r) => r.explain !== null);
    expect(explained.length).toBe(1);
    expect(explained[0].reason).toBe('steady_poller');
    const why = JSON.parse(explained[0].explain!) as Array<{ name: string; value: number }>;
    expect(why[0]).toEqual({ name: 'steady_poller', value: 1 });
    expect(why.find((w) => w.name === 'would_block')!.value).toBe(1);
    expect(why.find((w) => w.name === 'distinct_targets')!.value).toBe(1);
    expect(why.find((w) => w.name === 'median_period_s')!.value).toBeCloseTo(1, 1);
    const status = await get(gw.url, '/_pathhelm/behaviour');
    const decisions = (JSON.parse(status.body) as { decisions: { exempted: number; blocked: number } }).decisions;
    expect(decisions.blocked).toBe(0);
    expect(decisions.exempted).toBe(exempt.length);
  });

  it('a bot polling /api/search with a varying query at the same pace is blocked (403 anomaly) by request 26', async () => {
    const words = ['lamp', 'chair', 'desk', 'kettle', 'bike', 'phone', 'camera', 'jacket', 'boots', 'guitar', 'book', 'table'];
    const { statuses, ids } = await pollAs('10.1.0.2', 30, 1000, (i) => `/api/search?q=${words[i % words.length]}`);
    const refused = statuses.indexOf(403);
    expect(refused).toBeGreaterThanOrEqual(21);
    expect(refused + 1).toBeLessThanOrEqual(26);
    const log = await rows(ids);
    expect(log[refused]).toMatchObject({ status: 403, decision: 'BLOCK', reason: 'anomaly' });
    expect(log.some((r) => r.reason === 'steady_poller')).toBe(false);
  });
});
