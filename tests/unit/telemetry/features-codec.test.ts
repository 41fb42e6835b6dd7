// Tests the stored form of decision-row features: compact text round trip, feature sets named in the db,
// legacy JSON rows, and the failures readers must survive (unknown set, malformed values).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES, NUM_FEATURES } from '../../../src/behaviour/features.js';
import { BehaviourScorer, type ScoringModel } from '../../../src/behaviour/scorer.js';
import { exportDataset } from '../../../src/dataset/export.js';
import { openDb } from '../../../src/telemetry/db.js';
import { decodeFeatures, FEATURE_SET_ID, featureSetId, isCompactFeatures, registerFeatureSet } from '../../../src/telemetry/features-codec.js';
import { readFileSync } from 'node:fs';

const model: ScoringModel = {
  meta: { features: FEATURE_NAMES, threshold: { value: 0.6 } },
  forest: { score: () => 0.5, explain: (_x, out) => out ?? new Float64Array(NUM_FEATURES) },
};

function tempDb() {
  const file = join(mkdtempSync(join(tmpdir(), 'ph-fcodec-')), 'log.db');
  return { file, db: openDb(file) };
}

describe('features codec', () => {
  it('compact text decodes to exactly the JSON form (names, order, 4-decimal values) at a third of its size', () => {
    const s = new BehaviourScorer(model, { blockThreshold: null, flagThreshold: null });
    const x = new Float64Array(NUM_FEATURES);
    for (let i = 0; i < NUM_FEATURES; i++) x[i] = (i % 3 === 0 ? -1 : 1) * (i * 123.456789 + 1 / 3);
    x[1] = 0;
    const text = s.featuresText(x);
    expect(isCompactFeatures(text)).toBe(true);
    expect(text.startsWith(FEATURE_SET_ID + '|')).toBe(true);
    const json = s.featuresJson(x);
    expect(decodeFeatures(null, text)).toEqual(JSON.parse(json));
    expect(Object.keys(decodeFeatures(null, text)!)).toEqual([...FEATURE_NAMES]);
    expect(text.length).toBeLessThan(json.length / 2);
  });

  it('names another feature list from feature_sets, and returns null when the set is unknown', () => {
    const { db } = tempDb();
    const other = ['a_log', 'b_ratio', 'c'];
    const id = featureSetId(other);
    expect(id).toMatch(/^[0-9a-f]{8}$/);
    expect(id).not.toBe(FEATURE_SET_ID);
    expect(decodeFeatures(db, `${id}|1,0.5,-2`)).toBeNull(); // not registered yet
    expect(registerFeatureSet(db, other)).toBe(true);
    expect(registerFeatureSet(db, other)).toBe(true); // idempotent
    expect(decodeFeatures(db, `${id}|1,0.5,-2`)).toEqual({ a_log: 1, b_ratio: 0.5, c: -2 });
    expect(decodeFeatures(db, `${id}|1,0.5`)).toBeNull(); // wrong count
    expect(decodeFeatures(db, `${id}|1,,2`)).toBeNull(); // empty value
    expect(decodeFeatures(db, `${id}|1,x,2`)).toBeNull();
    db.close();
  });

  it('reads legacy JSON rows and rejects junk', () => {
    expect(decodeFeatures(null, '{"rps":2}')).toEqual({ rps: 2 });
    expect(decodeFeatures(null, 'nope')).toBeNull();
    expect(decodeFeatures(null, '[1,2]')).toBeNull();
    expect(decodeFeatures(null, null)).toBeNull();
  });

  it('dataset export reads compact rows of any registered set (its own, here) and skips unknown sets', () => {
    const { file, db } = tempDb();
    const s = new BehaviourScorer(model, { blockThreshold: null, flagThreshold: null });
    const x = new Float64Array(NUM_FEATURES).fill(0.25);
    const ins = db.prepare(
      `INSERT INTO decisions (ts, request_id, client_ip, method, path, status, decision, reason, mode, score, features, latency_ms)
       VALUES (?, ?, '10.0.0.1', 'GET', '/', 200, 'ALLOW', 'ok', 'enforce', 0.4, ?, 1)`,
    );
    ins.run(1, 'a', s.featuresText(x));
    ins.run(2, 'b', 'deadbeef|1,2,3'); // a set this log never registered
    db.close();
    const out = join(mkdtempSync(join(tmpdir(), 'ph-fcodec-out-')), 'live.csv');
    const r = exportDataset({ db: file, out });
    expect(r).toMatchObject({ rows: 1, skipped: 1 });
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[1].split(',').slice(0, NUM_FEATURES).map(Number)).toEqual(Array(NUM_FEATURES).fill(0.25));
  });

  it('migration 6 creates feature_sets and drops the index that decisions_ts_latency covers', () => {
    const { db } = tempDb();
    const names = db.prepare(`SELECT name FROM sqlite_master WHERE tbl_name = 'decisions' AND type = 'index'`).pluck().all();
    expect(names).not.toContain('decisions_ts');
    expect(names).toContain('decisions_ts_latency');
    const plan = db.prepare('EXPLAIN QUERY PLAN SELECT count(*) FROM decisions WHERE ts >= 1 AND ts <= 2').all() as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/decisions_ts_latency/);
    db.close();
  });
});
