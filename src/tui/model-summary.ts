// Owns reading a model file's training summary for `top`'s client detail (feature min/max/mean/sd and
// the threshold). Uses the forest module's loadModel when it is there; otherwise reads the JSON's meta.
// Never throws: a missing or unreadable model becomes a note shown in the detail view.
//
// Example:
//   const { summary, note } = await loadModelSummary('models/default.json');
//   summary?.features.find((f) => f.name === 'rps')?.mean;

import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { FeatureSummary } from '../forest/model.js';
import type { ModelSummary } from './layout.js';

export interface ModelSummaryResult {
  summary: ModelSummary | null;
  note: string | null;
}

interface MetaLike {
  featureSummary?: unknown;
  threshold?: unknown;
  features?: unknown;
}

function fromMeta(meta: MetaLike | undefined, label: string): ModelSummary | null {
  if (!meta || !Array.isArray(meta.featureSummary)) return null;
  const features: FeatureSummary[] = [];
  for (const f of meta.featureSummary as Array<Record<string, unknown>>) {
    if (!f || typeof f.name !== 'string') continue;
    const n = (k: string) => (typeof f[k] === 'number' ? (f[k] as number) : NaN);
    features.push({ name: f.name, min: n('min'), max: n('max'), mean: n('mean'), sd: n('sd') });
  }
  const t = meta.threshold;
  const threshold =
    typeof t === 'number' ? t
    : t && typeof t === 'object' && typeof (t as { value?: unknown }).value === 'number' ? (t as { value: number }).value
    : null;
  return { label, threshold, features };
}

/** Loads the summary of the model at `path` (null path: none configured). */
export async function loadModelSummary(path: string | null): Promise<ModelSummaryResult> {
  if (!path) return { summary: null, note: 'no model configured (pass --model FILE to compare with its training summary)' };
  if (!existsSync(path)) return { summary: null, note: `no model at ${path} (pass --model FILE)` };
  const label = basename(path);
  try {
    // The forest module validates the format; it may not exist in every build, so import it by name.
    const spec = '../forest/model.js';
    const mod = (await import(spec).catch(() => null)) as { loadModel?: (p: string) => { meta?: MetaLike } } | null;
    if (mod?.loadModel) {
      const summary = fromMeta(mod.loadModel(path).meta, label);
      if (summary) return { summary, note: null };
    }
  } catch (err) {
    return { summary: null, note: `model ${label} not usable: ${(err as Error).message}` };
  }
  try {
    const json = JSON.parse(readFileSync(path, 'utf8')) as { meta?: MetaLike } & MetaLike;
    const summary = fromMeta(json.meta ?? json, label);
    return summary ? { summary, note: null } : { summary: null, note: `model ${label} has no featureSummary` };
  } catch (err) {
    return { summary: null, note: `model ${label} not readable: ${(err as Error).message}` };
  }
}
