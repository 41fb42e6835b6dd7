// End to end through the built binary: dataset generate → train → score, flags and error messages, the shipped
// default model rebuilt byte-identically by the `model:default` npm script, and its ROC AUC on fresh data.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin/pathhelm.js');
const dir = mkdtempSync(join(tmpdir(), 'ph-train-e2e-'));

function run(args: string[], timeout = 60_000) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout, cwd: dir });
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dataset generate → train → score', () => {
  const data = join(dir, 'data.csv');
  beforeAll(() => {
    const r = run(['dataset', 'generate', '--rows', '6000', '--anomaly-ratio', '0.1', '--seed', '5', '--min-events', '20', '--out', data]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/wrote 6000 rows \(600 anomalous/);
  });

  it('generates the same file for the same seed, to stdout too', () => {
    const r = run(['dataset', 'generate', '--rows', '6000', '--anomaly-ratio', '0.1', '--seed', '5', '--min-events', '20']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync(data, 'utf8'));
  });

  it('trains with labels, prints the summary and writes a loadable model', () => {
    const out = join(dir, 'models', 'm.json');
    const r = run(['train', data, '--trees', '50', '--seed', '3', '--contamination', '0.1', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/rows\s+6,000/);
    expect(r.stdout).toMatch(/features\s+14: req_count_log, /);
    expect(r.stdout).not.toMatch(/profile/); // non-numeric column excluded automatically
    expect(r.stdout).toMatch(/threshold\s+0\.\d{4} — contamination 0\.1/);
    const auc = Number(/ROC AUC\s+([\d.]+)/.exec(r.stdout)![1]);
    expect(auc).toBeGreaterThan(0.95);
    expect(r.stdout).toMatch(/precision [\d.]+, recall [\d.]+, F1 [\d.]+/);
    const model = JSON.parse(readFileSync(out, 'utf8'));
    expect(model.format).toBe('pathhelm-iforest');
    expect(model.features).toHaveLength(14);
    expect(model.params).toMatchObject({ trees: 50, seed: 3, rows: 6000 });
    expect(model.training).toMatchObject({ data: 'data.csv', labelColumn: 'label', featureSet: 'behaviour', windowMs: 60000, minEvents: 20 });
    expect(Object.keys(model.quantiles)).toEqual(['p01', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max']);
    expect(model.featureSummary[0]).toMatchObject({ name: 'req_count_log' });
  });

  it('prints a JSON summary with --json and honours --features and --label', () => {
    const out = join(dir, 'm2.json');
    const r = run(['train', data, '--features', 'error_ratio,write_ratio,seq_id_ratio', '--label', 'label', '--json', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.features).toEqual(['error_ratio', 'write_ratio', 'seq_id_ratio']);
    expect(s.rows).toBe(6000);
    expect(s.threshold).toEqual({ value: 0.5, method: 'auto (score >= 0.5)' });
    expect(s.metrics.positives).toBe(600);
    expect(s.seconds.total).toBeGreaterThan(0);
  });

  it('scores a CSV: rows with a score column, AUC from the label column', () => {
    const model = join(dir, 'm3.json');
    expect(run(['train', data, '--trees', '50', '--out', model]).status).toBe(0);
    const out = join(dir, 'scored.csv');
    const r = run(['score', '--model', model, data, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/scored 6,000 rows .* ROC AUC [01]\.\d{4} \(label "label"\)/);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines[0].endsWith(',label,profile,score')).toBe(true);
    expect(lines).toHaveLength(6001);
    const input = readFileSync(data, 'utf8').trimEnd().split('\n');
    for (const i of [1, 77, 6000]) {
      expect(lines[i].startsWith(input[i] + ',')).toBe(true);
      const s = Number(lines[i].split(',').pop());
      expect(s).toBeGreaterThan(0);
      expect(s).toBeLessThan(1);
    }
    // to stdout when no --out; the summary then goes to stderr
    const r2 = run(['score', '--model', model, data]);
    expect(r2.stdout.split('\n')[0]).toBe(lines[0]);
    expect(r2.stderr).toMatch(/ROC AUC/);
  });

  it('refuses a model whose features the CSV lacks', () => {
    const model = join(dir, 'm4.json');
    expect(run(['train', data, '--features', 'error_ratio,write_ratio', '--out', model]).status).toBe(0);
    const other = join(dir, 'other.csv');
    writeFileSync(other, 'error_ratio,x\n0.1,2\n');
    const r = run(['score', '--model', model, other]);
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(/needs feature column "write_ratio" which .*other\.csv lacks.*\[PH_ERR_MODEL\]/);
  });

  it('names the line and column of a bad row, or skips and counts with --skip-invalid', () => {
    const bad = join(dir, 'bad.csv');
    const rows = ['a,rps,label'];
    for (let i = 0; i < 30; i++) rows.push(`${i % 7},${(i * 0.37) % 3},${i % 2}`);
    rows[16] = '1,abc,0'; // line 17
    rows[20] = '1,2'; // line 21: a column short
    writeFileSync(bad, rows.join('\n') + '\n');
    const r = run(['train', bad, '--out', join(dir, 'bad.json')]);
    expect(r.status).toBe(6);
    expect(r.stderr).toContain('bad.csv line 17, column "rps": "abc" is not a number');
    const r2 = run(['train', bad, '--skip-invalid', '--json', '--out', join(dir, 'bad.json')]);
    expect(r2.status, r2.stderr).toBe(0);
    const s = JSON.parse(r2.stdout);
    expect(s.rows).toBe(28);
    expect(s.skippedRows).toBe(2);
  });

  it('rejects bad flags with usage errors', () => {
    expect(run(['train', data, '--contamination', '0.7']).stderr).toMatch(/--contamination must be "auto" or a fraction/);
    expect(run(['train', data, '--label', 'nope']).stderr).toMatch(/--label "nope" is not a column/);
    expect(run(['train', data, '--features', 'profile']).stderr).toMatch(/line 2, column "profile": "browser_user" is not a number/);
    expect(run(['dataset', 'generate', '--rows', 'ten']).stderr).toMatch(/--rows must be an integer/);
    expect(run(['train', join(dir, 'missing.csv')]).stderr).toMatch(/missing\.csv does not exist/);
  });
});

describe('default model', () => {
  it('is rebuilt byte-identically by the model:default script', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const script: string = pkg.scripts['model:default'];
    const steps = script.split(' && ').filter((s) => s.startsWith('node bin/pathhelm.js '));
    expect(steps).toHaveLength(2);
    const csv = join(dir, 'rebuild', 'train.csv');
    const model = join(dir, 'rebuild', 'default.json');
    for (const step of steps) {
      const args = step
        .replace('node bin/pathhelm.js ', '')
        .replace('dist/model-default/train.csv', csv)
        .replace('models/default.json', model)
        .split(' ');
      const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 90_000, cwd: ROOT });
      expect(r.status, r.stderr).toBe(0);
    }
    expect(readFileSync(model, 'utf8')).toBe(readFileSync(join(ROOT, 'models/default.json'), 'utf8'));
  }, 120_000);

  it('separates fresh generated traffic (ROC AUC above 0.99 on scored windows, 0.95 on all)', () => {
    const m = join(ROOT, 'models/default.json');
    for (const [args, bar] of [
      [['--min-events', '20', '--seed', '777'], 0.99],
      [['--seed', '778'], 0.95],
    ] as const) {
      const csv = join(dir, `fresh-${args.join('')}.csv`);
      expect(run(['dataset', 'generate', '--rows', '20000', '--anomaly-ratio', '0.1', ...args, '--out', csv]).status).toBe(0);
      const r = run(['score', '--model', m, csv, '--out', join(dir, 'fresh-scored.csv')]);
      expect(r.status, r.stderr).toBe(0);
      const auc = Number(/ROC AUC ([\d.]+)/.exec(r.stdout)![1]);
      expect(auc).toBeGreaterThan(bar);
    }
  });
});
