// Tests the train/score core without the CLI: column resolution, threshold methods, streaming into the matrix,
// model meta, scoring round trip and the per-profile evaluation/calibration used for the default model.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../../../src/behaviour/features.js';
import { generateDatasetFile } from '../../../src/dataset/generate.js';
import { saveModel, loadModel } from '../../../src/forest/index.js';
import { calibrateThreshold, evaluateProfiles } from '../../../src/train/evaluate.js';
import { scoreCsv } from '../../../src/train/score.js';
import { chooseThreshold, trainFromCsv } from '../../../src/train/train.js';

const dir = mkdtempSync(join(tmpdir(), 'ph-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function csv(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** 200 ordinary points around (0,0) and 5 far away, labelled. */
function clusterCsv(): string {
  const lines = ['x,y,kind,label'];
  for (let i = 0; i < 200; i++) lines.push(`${Math.sin(i) * 0.5},${Math.cos(i * 1.3) * 0.5},n,0`);
  for (let i = 0; i < 5; i++) lines.push(`${8 + i},${-8 - i},a,1`);
  return csv('cluster.csv', lines.join('\n') + '\n');
}

describe('trainFromCsv', () => {
  it('uses numeric columns but the label, separates an outlier cluster, fills the meta', () => {
    const r = trainFromCsv({ data: clusterCsv(), trees: 50, seed: 2 });
    expect(r.features).toEqual(['x', 'y']);
    expect(r.labelColumn).toBe('label');
    expect(r.rows).toBe(205);
    expect(r.positives).toBe(5);
    expect(r.meta.metrics!.rocAuc).toBe(1);
    expect(r.meta.threshold.method).toMatch(/^auto/);
    expect(r.meta.featureSummary[0]).toMatchObject({ name: 'x', max: 12 });
    expect(r.meta.params).toEqual({ trees: 50, sampleSize: 205, seed: 2, rows: 205 });
    expect(r.meta.quantiles.max).toBeGreaterThan(r.meta.quantiles.p50);
    expect(r.meta.training).toMatchObject({ data: 'cluster.csv', rows: 205, skippedRows: 0, labelColumn: 'label' });
  });

  it('is deterministic for a seed', () => {
    const a = trainFromCsv({ data: clusterCsv(), trees: 20, seed: 9 });
    const b = trainFromCsv({ data: clusterCsv(), trees: 20, seed: 9 });
    const pa = join(dir, 'a.json');
    const pb = join(dir, 'b.json');
    saveModel(pa, a.meta, a.forest);
    saveModel(pb, b.meta, b.forest);
    expect(readFileSync(pa, 'utf8')).toBe(readFileSync(pb, 'utf8'));
  });

  it('refuses a label that is not 0/1 and too few rows', () => {
    expect(() => trainFromCsv({ data: csv('l.csv', 'x,label\n1,0\n2,3\n') })).toThrow(/line 3, column "label": label must be 0 or 1/);
    expect(() => trainFromCsv({ data: csv('one.csv', 'x\n1\n') })).toThrow(/at least 2/);
    expect(() => trainFromCsv({ data: csv('none.csv', 'x,label\n') })).toThrow(/no data rows/);
    expect(() => trainFromCsv({ data: csv('txt.csv', 'a,label\nfoo,0\n') })).toThrow(/no numeric column/);
  });
});

describe('chooseThreshold', () => {
  const scores = Float64Array.from([0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9]);
  const labels = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
  const sorted = Float64Array.from(scores).sort();
  it('auto is 0.5; contamination is a training-score quantile', () => {
    expect(chooseThreshold({ method: 'auto' }, sorted, scores, labels).value).toBe(0.5);
    expect(chooseThreshold({ method: 'contamination', value: 0.3 }, sorted, scores, labels).value).toBeCloseTo(0.63);
    expect(() => chooseThreshold({ method: 'contamination', value: 0.7 }, sorted, scores, labels)).toThrow(/contamination/);
  });
  it('max-fpr puts at most that share of label-0 rows at/above the threshold', () => {
    const t0 = chooseThreshold({ method: 'max-fpr', value: 0 }, sorted, scores, labels).value;
    expect(t0).toBeGreaterThan(0.6);
    expect(t0).toBeLessThanOrEqual(0.6001);
    const t = chooseThreshold({ method: 'max-fpr', value: 0.3 }, sorted, scores, labels).value; // 2 of 7 may be above
    expect(t).toBeGreaterThan(0.5);
    expect(t).toBeLessThanOrEqual(0.5001);
    expect(() => chooseThreshold({ method: 'max-fpr', value: 0.1 }, sorted, scores, null)).toThrow(/needs a label column/);
  });
});

describe('behaviour models', () => {
  const data = join(dir, 'behaviour.csv');
  generateDatasetFile({ rows: 8000, anomalyRatio: 0.02, minEvents: 20, seed: 21, out: data });
  const r = trainFromCsv({ data, trees: 60, seed: 4, threshold: { method: 'calibrate', sessions: 15 } });
  const modelPath = join(dir, 'behaviour.json');
  saveModel(modelPath, r.meta, r.forest);

  it('calibrate: no replayed ordinary session reaches the threshold K times in a row', () => {
    expect(r.features).toEqual([...FEATURE_NAMES]);
    expect(r.meta.threshold.method).toMatch(/^calibrate: highest 3-in-a-row score of 15 replayed sessions/);
    expect(r.meta.training).toMatchObject({ featureSet: 'behaviour', minEvents: 20 });
    const again = calibrateThreshold(r.forest, { sessions: 15 });
    expect(again.value).toBe(r.meta.threshold.value);
    const ev = evaluateProfiles(loadModel(modelPath), { sessions: 15, seed: 1009 }); // the calibration's own sessions
    for (const p of ev.filter((e) => e.label === 0)) expect(p.blockedSessions).toBe(0);
    const stuffer = ev.find((e) => e.profile === 'credential_stuffer')!;
    expect(stuffer.blockedSessions).toBe(15);
    expect(stuffer.auc!).toBeGreaterThan(0.99);
    // the regular-crawl rule (on by default, as in the gateway) stops every slow bot and crawler within 26 requests
    for (const name of ['slow_bot', 'slow_crawler']) {
      const p = ev.find((e) => e.profile === name)!;
      expect(p.blockedSessions, name).toBe(15);
      expect(p.requestsToBlock!.max, name).toBeLessThanOrEqual(26);
    }
    expect(ev.find((e) => e.profile === 'slow_crawler')!.ruleStopped).toBeGreaterThan(10);
    const modelOnly = evaluateProfiles(loadModel(modelPath), { sessions: 15, seed: 1009, regular: null });
    for (const p of modelOnly) expect(p.ruleStopped).toBe(0);
    expect(modelOnly.find((e) => e.profile === 'slow_crawler')!.blockedSessions).toBeLessThan(15); // too slow for the window
  });

  it('scoreCsv appends scores equal to the forest and reports the AUC', () => {
    const out = join(dir, 'scored.csv');
    const s = scoreCsv({ model: modelPath, data, out });
    expect(s.rows).toBe(8000);
    expect(s.labelColumn).toBe('label');
    expect(s.rocAuc!).toBeCloseTo(r.meta.metrics!.rocAuc, 6);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    const first = Number(lines[1].split(',').pop());
    expect(first).toBeCloseTo(r.scores[0], 5);
  });
});
