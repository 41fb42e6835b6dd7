// Owns a minimal valid ModelMeta for the forest unit tests.
import { MODEL_FORMAT, MODEL_VERSION, type ModelMeta } from '../../../src/forest/model.js';

export function tinyMeta(cols: number, trees = 20, sampleSize = 256, rows = 1020): ModelMeta {
  const features = Array.from({ length: cols }, (_, i) => `f${i}`);
  return {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    createdBy: 'pathhelm test',
    features,
    params: { trees, sampleSize, seed: 7, rows },
    threshold: { value: 0.5, method: 'auto (score > 0.5)' },
    quantiles: { p50: 0.4, p99: 0.6, max: 0.7 },
    featureSummary: features.map((name) => ({ name, min: -1, max: 1, mean: 0, sd: 0.5 })),
    metrics: null,
    training: { data: 'synthetic' },
  };
}
