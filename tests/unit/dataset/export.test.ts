// Tests `dataset export`: scored decision rows → CSV in the generate format, labels, --since, skipped rows.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../../../src/behaviour/features.js';
import { exportDataset, featuresFromJson } from '../../../src/dataset/export.js';
import { DATASET_COLUMNS } from '../../../src/dataset/generate.js';
import { openDb } from '../../../src/telemetry/db.js';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function featureJson(v: number): string {
  return JSON.stringify(Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, i === 0 ? v : 0.5])));
}

function seed(file: string): void {
  const db = openDb(file);
  const ins = db.prepare(
    `INSERT INTO decisions (ts, request_id, client_ip, method, path, status, decision, reason, mode, score, features, explain, latency_ms)
     VALUES (?, ?, '127.0.0.1', 'GET', '/x', ?, ?, ?, 'enforce', ?, ?, NULL, 1)`,
  );
  ins.run(1000, 'a', 200, 'ALLOW', 'ok', null, null); // not scored: not exported
  ins.run(2000, 'b', 200, 'ALLOW', 'ok', 0.4, featureJson(20));
  ins.run(3000, 'c', 200, 'ALLOW', 'anomaly_flag', 0.62, featureJson(30));
  ins.run(4000, 'd', 403, 'BLOCK', 'anomaly', 0.7, featureJson(40));
  ins.run(5000, 'e', 200, 'ALLOW', 'ok', 0.4, '{"req_count":3}'); // older model's features: skipped
  db.close();
}

describe('dataset export', () => {
  it('writes the scored rows in the generate format with label 1 only for anomaly blocks', () => {
    dir = mkdtempSync(join(tmpdir(), 'ph-export-'));
    const db = join(dir, 'ph.db');
    seed(db);
    const out = join(dir, 'live.csv');
    const s = exportDataset({ db, out });
    expect(s).toEqual({ rows: 3, anomalies: 1, skipped: 1 });
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe(DATASET_COLUMNS.join(','));
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['20', '30', '40']);
    expect(lines.slice(1).map((l) => l.split(',').slice(-2).join(','))).toEqual(['0,live', '0,live', '1,live']);
    expect(lines[1].split(',')).toHaveLength(FEATURE_NAMES.length + 2);
  });

  it('honours since and excludeAnomalies', () => {
    dir = mkdtempSync(join(tmpdir(), 'ph-export-'));
    const db = join(dir, 'ph.db');
    seed(db);
    const out = join(dir, 'live.csv');
    expect(exportDataset({ db, out, since: 3000 })).toMatchObject({ rows: 2 });
    expect(exportDataset({ db, out, excludeAnomalies: true })).toMatchObject({ rows: 2, anomalies: 0 });
    expect(readFileSync(out, 'utf8')).not.toContain(',1,live');
  });

  it('rejects feature JSON that lacks a feature or is not JSON', () => {
    const x = new Float64Array(FEATURE_NAMES.length);
    expect(featuresFromJson(featureJson(1), x)).toBe(true);
    expect(featuresFromJson('{"req_count":1}', x)).toBe(false);
    expect(featuresFromJson('nope', x)).toBe(false);
  });
});
