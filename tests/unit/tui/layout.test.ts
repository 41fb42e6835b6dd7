// Tests the pure screen layout: frames fit the terminal (80x24 and larger), header/table/feed content,
// detail (features vs training summary, why), help, footer states.
import { describe, expect, it } from 'vitest';
import { detailLines, fit, fmtCount, fmtMs, helpLines, INITIAL_UI, mainLines, plainText, sparkBuckets, sparkline, type DetailData, type Line } from '../../../src/tui/layout.js';
import { TopModel } from '../../../src/tui/model.js';
import type { FeedRow } from '../../../src/telemetry/queries.js';

const NOW = Date.parse('2026-11-21T07:00:10.000Z');
let id = 0;
const row = (over: Partial<FeedRow> = {}): FeedRow => ({
  id: ++id, ts: NOW - 1500, requestId: `r${id}`, clientIp: '10.0.0.1', keyId: null, method: 'GET', path: '/api/items', status: 200,
  decision: 'ALLOW', reason: 'ok', wouldDecision: null, mode: 'enforce', score: null, latencyMs: 2, ...over,
});
const width = (l: Line) => Array.from(l.map((s) => s.text).join('')).length;
const meta = { source: 'db /tmp/x.db', model: 'default.json', uptimeMs: null };

function model(): TopModel {
  const m = new TopModel();
  m.ingest([
    ...Array.from({ length: 30 }, (_, i) => row({ clientIp: `10.0.0.${i % 12}`, ts: NOW - 1000 - i * 100 })),
    row({ clientIp: '203.0.113.9', decision: 'BLOCK', reason: 'anomaly', status: 403, score: 0.93 }),
    row({ clientIp: '2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff', keyId: 'k_mobile', decision: 'THROTTLE', reason: 'rate_limit_key', status: 429 }),
  ]);
  m.keyNames = new Map([['k_mobile', 'mobile-app']]);
  return m;
}

describe('main screen layout', () => {
  for (const [w, h] of [[80, 24], [120, 40], [200, 60]]) {
    it(`fits ${w}x${h}: at most ${h - 1} lines, none wider than ${w}`, () => {
      const lines = mainLines(model().view(NOW), INITIAL_UI, meta, { width: w, height: h }, NOW);
      expect(lines.length).toBe(h - 1);
      for (const l of lines) expect(width(l)).toBeLessThanOrEqual(w);
    });
  }

  it('shows the header, the clients table and the feed', () => {
    const text = plainText(mainLines(model().view(NOW), INITIAL_UI, meta, { width: 80, height: 24 }, NOW));
    const [l1, l2, l3] = text.split('\n');
    expect(l1).toMatch(/^PathHelm top enforce model default\.json db \/tmp\/x\.db/);
    expect(l1).toMatch(/log since \d\d:\d\d:\d\d \(\d+s\)$/);
    expect(l2).toMatch(/req\/s \S+\s+ALLOW 30\s+THROTTLE 1\s+BLOCK 1\s+p50 2\.0ms\s+p99 2\.0ms/);
    expect(l3).toMatch(/^rate .* max \S+\/s · 5m · counts since \d\d:\d\d:\d\d · \d+ rows in log$/);
    expect(text).toMatch(/CLIENTS \(14\)\s+sort: requests/);
    expect(text).toMatch(/CLIENT\s+KEY\s+REQS\s+THR%\s+BLK%\s+SCORE\s+BAN/);
    expect(text).toMatch(/FEED/);
    expect(text).toMatch(/BLOCK\s+203\.0\.113\.9\s+GET\s+\/api\/items\s+403 anomaly\s+0\.93/);
    expect(text).toMatch(/THROTTLE 2001:db8:aaaa:… GET/); // long IPv6 truncated, not wrapped
    expect(text.split('\n').at(-1)).toContain('q quit  p pause  / filter  s sort');
  });

  it('shows PAUSED, the filter and the filter prompt in the footer', () => {
    const v = model().view(NOW);
    const paused = plainText(mainLines(v, { ...INITIAL_UI, paused: true, filter: 'ip:10.0' }, meta, { width: 80, height: 24 }, NOW));
    expect(paused.split('\n').at(-1)).toMatch(/^ PAUSED  filter: ip:10\.0/);
    const editing = plainText(mainLines(v, { ...INITIAL_UI, editing: true, draft: 'block' }, meta, { width: 80, height: 24 }, NOW));
    expect(editing.split('\n').at(-1)).toMatch(/^\/block▏\s+\(enter apply · esc cancel/);
  });

  it('marks the selected client inverse', () => {
    const lines = mainLines(model().view(NOW), { ...INITIAL_UI, clientSel: 1 }, meta, { width: 80, height: 24 }, NOW);
    const selected = lines.filter((l) => l.every((s) => s.inverse) && l.map((s) => s.text).join('').includes('10.0.0.'));
    expect(selected).toHaveLength(1);
  });
});

describe('detail layout', () => {
  const data: DetailData = {
    detail: {
      clientIp: '203.0.113.9', keyId: null,
      recent: [row({ clientIp: '203.0.113.9', decision: 'BLOCK', reason: 'anomaly', score: 0.93 })],
      reasons: [{ decision: 'BLOCK', reason: 'anomaly', count: 12, lastTs: NOW - 1000 }, { decision: 'ALLOW', reason: 'ok', count: 40, lastTs: NOW }],
      latestScored: { ts: NOW - 1000, score: 0.93, features: { rps: 40, not_found_distinct: 25, iat_cv: 0.5, unique_endpoints_log: 0.6931 }, explain: [{ feature: 'rps', value: 40, sd: 12.3, attribution: 0.4 }] },
      latestRefused: { ts: NOW - 1000, decision: 'BLOCK', reason: 'anomaly', score: 0.93, explain: [{ feature: 'rps', value: 40, sd: 12.3, attribution: 0.4 }] },
      latestExplained: { ts: NOW - 1000, decision: 'BLOCK', reason: 'anomaly', score: 0.93, explain: [{ feature: 'rps', value: 40, sd: 12.3, attribution: 0.4 }] },
    },
    keyName: null,
    banned: true,
    model: {
      label: 'default.json', threshold: 0.62,
      features: [
        { name: 'rps', min: 0, max: 8, mean: 1.2, sd: 1.5 },
        { name: 'not_found_distinct', min: 0, max: 3, mean: 0.1, sd: 0.4 },
        { name: 'iat_cv', min: 0, max: 4, mean: 0.8, sd: 0.3 },
        { name: 'unique_endpoints_log', min: 0.693147, max: 5.1, mean: 3.3, sd: 0.55 },
      ],
    },
    modelNote: null,
  };

  it('explains why, compares features with the training summary, lists recent requests', () => {
    const lines = detailLines(data, null, INITIAL_UI, { width: 80, height: 24 }, NOW);
    expect(lines.length).toBe(23);
    for (const l of lines) expect(width(l)).toBeLessThanOrEqual(80);
    const text = plainText(lines);
    expect(text).toMatch(/CLIENT 203\.0\.113\.9\s+no key\s+BANNED/);
    expect(text).toMatch(/BLOCK\s+anomaly ×12\s+last \d\d:\d\d:\d\d\s+anomaly score over the threshold/);
    expect(text).toContain('top features: rps=40 (+12.3 sd)');
    expect(text).toMatch(/FEATURES at .* \(score 0\.93\) vs training · default\.json threshold 0\.62/);
    // most unusual first; out-of-range features flagged; z = (40 - 1.2) / 1.5
    expect(text).toMatch(/rps\s+40\.00\s+1\.20\s+1\.50\s+0\.00\s+8\.00\s+\+25\.9 !/);
    expect(text).toMatch(/not_found_distinct\s+25\.00\s+0\.10\s+0\.40\s+0\.00\s+3\.00\s+\+62\.[23] !/);
    expect(text.indexOf('not_found_distinct  ')).toBeLessThan(text.indexOf('rps   ')); // larger z first
    expect(text).toMatch(/iat_cv\s+0\.50\s+0\.80\s+0\.30\s+0\.00\s+4\.00\s+-1\.0/);
    // a stored (4-decimal) value at the training minimum is not "out of range"
    expect(text).toMatch(/unique_endpoints_log\s+0\.69\s+3\.30\s+0\.55\s+0\.69\s+5\.10\s+-4\.7$/m);
    expect(text).toMatch(/RECENT REQUESTS/);
    expect(text.split('\n').at(-1)).toContain('esc back');
  });

  it('says why the comparison is missing without a model', () => {
    const text = plainText(detailLines({ ...data, model: null, modelNote: 'no model at models/default.json (pass --model FILE)' }, null, INITIAL_UI, { width: 80, height: 24 }, NOW));
    expect(text).toContain('no model at models/default.json (pass --model FILE)');
  });
});

describe('help and helpers', () => {
  it('help lists every key', () => {
    const text = plainText(helpLines(INITIAL_UI, { width: 80, height: 24 }));
    for (const k of ['q, ctrl-c', 'p, space', '/', 's', 'tab', 'enter', 'esc', '?']) expect(text).toContain(k);
  });
  it('formats and fits', () => {
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(fit('ab', 4, 'right')).toBe('  ab');
    expect(fmtCount(1234)).toBe('1.2k');
    expect(fmtCount(2_500_000)).toBe('2.5M');
    expect(fmtMs(0.123)).toBe('0.12ms');
    expect(fmtMs(1500)).toBe('1.50s');
    expect(sparkline([0, 1, 2, 4, 8])).toBe(' ▂▃▅█');
    const b = sparkBuckets(Array.from({ length: 600 }, (_, i) => (i >= 590 ? 10 : 0)), 60);
    expect(b.bucketS).toBe(5);
    expect(b.values).toHaveLength(60);
    expect(b.values.slice(-2)).toEqual([10, 10]);
  });
});
