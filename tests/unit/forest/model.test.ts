import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IsolationForest } from '../../../src/forest/forest.js';
import { checkFeatures, loadModel, parseModel, saveModel, serializeModel, MODEL_FORMAT } from '../../../src/forest/model.js';
import { PathHelmError } from '../../../src/errors.js';
import { synthetic } from './helpers.js';
import { tinyMeta } from './meta.js';

const { X, rows } = synthetic(1000, 20, 3, 11);
const forest = IsolationForest.fit(X, rows, 3, { seed: 7, trees: 20 });
const meta = tinyMeta(3);
const text = serializeModel(meta, forest);

function expectModelError(fn: () => unknown, re: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(PathHelmError);
  expect((err as PathHelmError).code).toBe('PH_ERR_MODEL');
  expect((err as PathHelmError).message).toMatch(re);
}

/** The text with the JSON edited by `edit` (re-serialised compactly). */
function edited(edit: (doc: any) => void): string {
  const doc = JSON.parse(text);
  edit(doc);
  return JSON.stringify(doc);
}

describe('model codec', () => {
  it('round-trips: parse(serialize) scores identically and re-serialises byte-identically', () => {
    const loaded = parseModel(text, 'm.json');
    expect(loaded.source).toBe('m.json');
    expect(loaded.meta.features).toEqual(['f0', 'f1', 'f2']);
    expect(loaded.meta.threshold).toEqual(meta.threshold);
    const a = forest.scoreBatch(X, rows);
    const b = loaded.forest.scoreBatch(X, rows);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(loaded.forest.explain([9, 0, 0])).toEqual(forest.explain([9, 0, 0]));
    expect(serializeModel(loaded.meta, loaded.forest)).toBe(text);
  });

  it('writes the documented layout: format first, no timestamps, one tree per line', () => {
    expect(text.startsWith(`{\n  "format": "${MODEL_FORMAT}",\n  "version": 1,`)).toBe(true);
    const treeLines = text.split('\n').filter((l) => l.trimStart().startsWith('{"feature":'));
    expect(treeLines).toHaveLength(20);
    expect(text).not.toMatch(/\d{4}-\d\d-\d\dT/);
  });

  it('refuses bad model files with specific messages', () => {
    expectModelError(() => parseModel('{"format": "pathhelm-if', 'bad.json'), /^bad\.json: not valid JSON/);
    expectModelError(() => parseModel('[1,2]', 'arr.json'), /arr\.json: not a model/);
    expectModelError(() => parseModel(edited((d) => (d.format = 'onnx')), 'x.json'), /x\.json: not a PathHelm model: format is "onnx"/);
    expectModelError(() => parseModel(edited((d) => (d.version = 2))), /version 2 is newer than this PathHelm supports \(1\)/);
    expectModelError(() => parseModel(edited((d) => (d.version = 0))), /unsupported model format version 0/);
    expectModelError(() => parseModel(text.replace('"value": 0.5', '"value": NaN')), /not valid JSON/);
    expectModelError(() => parseModel(edited((d) => (d.threshold.value = null))), /threshold\.value must be a finite number, got null/);
    expectModelError(() => parseModel(edited((d) => (d.threshold.value = '0.5'))), /threshold\.value must be a finite number/);
    expectModelError(() => parseModel(edited((d) => d.forest.trees.pop())), /forest has 19 trees but params\.trees is 20; the file may be truncated/);
    expectModelError(
      () => parseModel(edited((d) => { const t = d.forest.trees[3]; for (const k of ['feature', 'threshold', 'size']) t[k] = t[k].slice(0, 5); })),
      /tree 3 is truncated/,
    );
    expectModelError(() => parseModel(edited((d) => d.forest.trees[2].threshold.pop())), /tree 2 is truncated: feature has \d+ nodes, threshold \d+/);
    expectModelError(() => parseModel(edited((d) => { d.features.push('f3'); d.featureSummary.push({ name: 'f3', min: 0, max: 1, mean: 0, sd: 1 }); })),
      /forest\.numFeatures is 3 but the model lists 4 features/);
    expectModelError(() => parseModel(edited((d) => (d.forest.trees[0].feature[0] = 7))), /tree 0 node 0: feature 7 is out of range \(model has 3 features\)/);
    expectModelError(() => parseModel(edited((d) => (d.forest.trees[1].threshold[0] = '1e999'))), /tree 1 node 0: threshold is not a finite number/);
    expectModelError(() => parseModel(edited((d) => (d.featureSummary[1].sd = null))), /featureSummary\[1\]\.sd must be a finite number/);
    expectModelError(() => parseModel(edited((d) => delete d.forest)), /forest is missing/);
    expectModelError(() => parseModel(edited((d) => (d.features = ['a', 'a', 'b']))), /feature "a" is listed twice/);
    // the text itself stays loadable
    expect(() => parseModel(text)).not.toThrow();
  });

  it('refuses to serialise an incomplete meta or one that does not match the forest', () => {
    expectModelError(() => serializeModel({ ...meta, quantiles: undefined as never }, forest), /meta\.quantiles is missing/);
    expectModelError(() => serializeModel({ ...meta, params: { ...meta.params, trees: 5 } }, forest), /forest has 20 trees but params\.trees is 5/);
    expectModelError(() => serializeModel(tinyMeta(2), forest), /forest\.numFeatures is 3 but the model lists 2 features/);
  });

  it('refuses to serialise non-finite numbers instead of writing null', () => {
    expectModelError(() => serializeModel({ ...meta, threshold: { value: NaN, method: 'auto' } }, forest), /threshold\.value must be a finite number, got NaN/);
    expectModelError(
      () => serializeModel({ ...meta, metrics: { rocAuc: NaN, precision: 0, recall: 0, f1: 0, labelColumn: 'label', positives: 0 } }, forest),
      /metrics\.rocAuc must be a finite number/,
    );
  });

  it('saves atomically (mkdir -p, no temp file left) and loads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pathhelm-forest-'));
    const path = join(dir, 'nested', 'models', 'm.json');
    saveModel(path, meta, forest);
    expect(readFileSync(path, 'utf8')).toBe(text);
    expect(readdirSync(join(dir, 'nested', 'models'))).toEqual(['m.json']);
    const loaded = loadModel(path);
    expect(loaded.source).toBe(path);
    expect(loaded.forest.score([0, 0, 0])).toBe(forest.score([0, 0, 0]));
    saveModel(path, meta, forest); // overwrite works
    expectModelError(() => loadModel(join(dir, 'missing.json')), /missing\.json: model file not found; train one with `pathhelm train/);
    expectModelError(() => loadModel(dir), /is a directory/);
    const blocker = join(dir, 'file');
    writeFileSync(blocker, 'x');
    expectModelError(() => saveModel(join(blocker, 'm.json'), meta, forest), /cannot write model file/);
    mkdirSync(join(dir, 'empty'));
    writeFileSync(join(dir, 'empty', 'm.json'), '');
    expectModelError(() => loadModel(join(dir, 'empty', 'm.json')), /not valid JSON/);
  });

  it('checkFeatures names the mismatch', () => {
    const loaded = parseModel(text, 'models/x.json');
    expect(() => checkFeatures(loaded, ['f0', 'f1', 'f2'])).not.toThrow();
    expectModelError(() => checkFeatures(loaded, ['f0', 'f2', 'f1']), /models\/x\.json: features do not match: position 2 is "f1" in the model but "f2" is expected/);
    expectModelError(() => checkFeatures(loaded, ['f0', 'f1', 'f2', 'f3']), /the model lacks feature "f3" at position 4/);
    expectModelError(() => checkFeatures(loaded, ['f0', 'f1']), /the model has an extra feature "f2" at position 3/);
  });
});
