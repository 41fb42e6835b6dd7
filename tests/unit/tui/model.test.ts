// Tests TopModel: incremental ingest by rowid, bounded memory (feed ring, client LRU cap), per-second
// rates, latency percentiles, filters and sorting.
import { describe, expect, it } from 'vitest';
import { parseFilter, TopModel, type ClientRow } from '../../../src/tui/model.js';
import type { FeedRow } from '../../../src/telemetry/queries.js';

const NOW = Date.parse('2026-11-21T07:00:10.000Z');
let id = 0;
function row(over: Partial<FeedRow> = {}): FeedRow {
  id++;
  return {
    id, ts: NOW - 1500, requestId: `r${id}`, clientIp: '10.0.0.1', keyId: null, method: 'GET', path: '/a', status: 200,
    decision: 'ALLOW', reason: 'ok', wouldDecision: null, mode: 'enforce', score: null, latencyMs: 1, ...over,
  };
}

describe('TopModel', () => {
  it('counts new rows once, in rowid order', () => {
    const m = new TopModel();
    const rows = [row(), row({ decision: 'BLOCK', reason: 'denylist' }), row({ decision: 'THROTTLE', clientIp: '10.0.0.2' })];
    m.ingest(rows);
    m.ingest(rows); // a repeated poll must not double count
    const v = m.view(NOW);
    expect(v.total).toBe(3);
    expect(v.byDecision).toEqual({ ALLOW: 1, THROTTLE: 1, BLOCK: 1 });
    expect(v.lastId).toBe(rows[2].id);
    expect(v.clients[0]).toMatchObject({ clientIp: '10.0.0.1', requests: 2, blocked: 1 });
    expect(v.feed.map((r) => r.id)).toEqual(rows.map((r) => r.id));
  });

  it('keeps memory bounded: feed ring and least-recently-seen client eviction', () => {
    const m = new TopModel({ feed: 10, clients: 3 });
    for (let i = 0; i < 50; i++) m.ingest([row({ clientIp: `10.0.1.${i % 5}` })]);
    expect(m.feedSize).toBe(10);
    expect(m.clientCount).toBe(3);
    const v = m.view(NOW, { maxFeed: 100 });
    expect(v.feed).toHaveLength(10);
    expect(v.feed.at(-1)!.clientIp).toBe('10.0.1.4'); // newest last
    expect(v.clients.map((c) => c.clientIp).sort()).toEqual(['10.0.1.2', '10.0.1.3', '10.0.1.4']);
  });

  it('computes requests/s over the last 5 complete seconds and per-second history', () => {
    const m = new TopModel();
    const rows: FeedRow[] = [];
    for (let s = 1; s <= 5; s++) for (let k = 0; k < 10 * s; k++) rows.push(row({ ts: NOW - s * 1000 + 1 }));
    m.ingest(rows);
    const v = m.view(NOW);
    expect(v.rate).toBe((10 + 20 + 30 + 40 + 50) / 5);
    expect(v.perSecond.slice(-5)).toEqual([50, 40, 30, 20, 10]);
  });

  it('reports latency percentiles of recent rows', () => {
    const m = new TopModel();
    m.ingest(Array.from({ length: 100 }, (_, i) => row({ latencyMs: i + 1 })));
    const v = m.view(NOW);
    expect(v.p50).toBe(50);
    expect(v.p99).toBe(99);
  });

  it('sorts clients by the chosen key', () => {
    const m = new TopModel();
    m.ingest([
      ...Array.from({ length: 5 }, () => row({ clientIp: 'busy' })),
      row({ clientIp: 'blocked', decision: 'BLOCK' }), row({ clientIp: 'blocked', decision: 'BLOCK' }),
      row({ clientIp: 'scored', score: 0.97 }),
    ]);
    expect(m.view(NOW, { sort: 'requests' }).clients[0].clientIp).toBe('busy');
    expect(m.view(NOW, { sort: 'blocked' }).clients[0].clientIp).toBe('blocked');
    expect(m.view(NOW, { sort: 'score' }).clients[0].clientIp).toBe('scored');
  });

  it('shows key names and bans when known', () => {
    const m = new TopModel();
    m.ingest([row({ clientIp: '10.9.9.9', keyId: 'k1' })]);
    m.keyNames = new Map([['k1', 'mobile-app']]);
    m.banned = new Set(['k1']);
    expect(m.view(NOW).clients[0]).toMatchObject({ keyName: 'mobile-app', banned: true });
  });
});

describe('parseFilter', () => {
  const client = (o: Partial<ClientRow>): ClientRow => ({ clientIp: '10.0.0.1', keyId: null, requests: 1, throttled: 0, blocked: 0, maxScore: null, lastTs: 0, keyName: null, banned: false, ...o });
  it('matches ip, key (id or name), decision and path terms, all required', () => {
    expect(parseFilter('ip:10.0').feed(row({ clientIp: '10.0.3.4' }), null)).toBe(true);
    expect(parseFilter('ip:10.0').feed(row({ clientIp: '192.168.0.1' }), null)).toBe(false);
    expect(parseFilter('key:mobile').feed(row({ keyId: 'k1' }), 'mobile-app')).toBe(true);
    expect(parseFilter('block').feed(row({ decision: 'BLOCK' }), null)).toBe(true);
    expect(parseFilter('decision:block').feed(row({ decision: 'ALLOW' }), null)).toBe(false);
    expect(parseFilter('path:/login block').feed(row({ path: '/login', decision: 'ALLOW' }), null)).toBe(false);
    expect(parseFilter('login').feed(row({ path: '/api/login' }), null)).toBe(true);
    expect(parseFilter('  ').text).toBe('');
  });
  it('filters clients by ip/key and by having throttled/blocked requests', () => {
    expect(parseFilter('block').client(client({ blocked: 1 }))).toBe(true);
    expect(parseFilter('block').client(client({ blocked: 0 }))).toBe(false);
    expect(parseFilter('key:mob').client(client({ keyId: 'k1', keyName: 'mobile' }))).toBe(true);
    expect(parseFilter('ip:192').client(client({}))).toBe(false);
  });
});
