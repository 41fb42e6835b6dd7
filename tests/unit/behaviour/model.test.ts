// Tests the live model holder: start-up errors, reload on file change and on demand, refusing a bad file.
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../../../src/behaviour/features.js';
import { ModelHolder, onModelEvent, reloadModels, type ModelEvent, type ModelLoader } from '../../../src/behaviour/model.js';
import { PathHelmError } from '../../../src/errors.js';

/** A tiny "model format": {"threshold": t}; anything else is refused like a corrupt model. */
const loader: ModelLoader = (path, text) => {
  const raw = text ?? readFileSync(path, 'utf8');
  let t: number;
  try {
    t = (JSON.parse(raw) as { threshold: number }).threshold;
  } catch {
    throw new PathHelmError('PH_ERR_MODEL', `${path} is not valid JSON`);
  }
  if (typeof t !== 'number') throw new PathHelmError('PH_ERR_MODEL', `${path} has no threshold`);
  return { meta: { features: FEATURE_NAMES, threshold: { value: t } }, forest: { score: () => t, explain: (_x, o) => o ?? new Float64Array(14) } };
};

let dir = '';
const holders: ModelHolder[] = [];
afterEach(() => {
  for (const h of holders.splice(0)) h.close();
  rmSync(dir, { recursive: true, force: true });
});

function make(file: string): ModelHolder {
  const h = new ModelHolder(file, { blockThreshold: null, flagThreshold: null }, loader);
  holders.push(h);
  return h;
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('ModelHolder', () => {
  it('fails at start with PH_ERR_MODEL naming the file when it is missing or bad', () => {
    dir = mkdtempSync(join(tmpdir(), 'ph-model-'));
    const missing = join(dir, 'nope.json');
    expect(() => make(missing).load()).toThrow(/nope\.json/);
    writeFileSync(join(dir, 'bad.json'), '{');
    try {
      make(join(dir, 'bad.json')).load();
      expect.unreachable();
    } catch (err) {
      expect((err as PathHelmError).code).toBe('PH_ERR_MODEL');
      expect((err as Error).message).toContain('bad.json');
    }
  });

  it('swaps in a new model when the file is replaced, and refuses a bad one keeping the old', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ph-model-'));
    const file = join(dir, 'm.json');
    writeFileSync(file, '{"threshold":0.7}');
    const h = make(file);
    const events: ModelEvent[] = [];
    const off = onModelEvent((e) => events.push(e));
    h.load();
    h.watch(20);
    const first = h.scorer!;
    expect(first.blockThreshold).toBe(0.7);

    // atomic replace (write + rename), as `pathhelm train --out` or an editor does
    writeFileSync(join(dir, 'tmp'), '{"threshold":0.75}');
    renameSync(join(dir, 'tmp'), file);
    await until(() => h.scorer!.blockThreshold === 0.75);
    expect(h.reloads).toBe(1);

    writeFileSync(file, '{"threshold": tru');
    await until(() => h.refusals === 1);
    expect(h.scorer!.blockThreshold).toBe(0.75);
    expect(h.lastError).toContain('m.json');
    expect(events.map((e) => e.kind)).toEqual(['loaded', 'reloaded', 'refused']);

    // SIGHUP path
    writeFileSync(file, '{"threshold":0.8}');
    await reloadModels();
    expect(h.scorer!.blockThreshold).toBe(0.8);
    off();
  });
});
