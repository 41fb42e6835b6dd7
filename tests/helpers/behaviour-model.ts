// Test helper (behaviour engine): trains a small seeded model on generated ordinary traffic and saves it in the
// pathhelm-iforest format with a calibrated block threshold (src/behaviour/calibrate.ts), so behaviour tests do not depend on whichever models/default.json ships.
//
// Example: const { path, threshold } = trainFixtureModel(join(dir, 'model.json'));
import { calibrateBlockThreshold } from '../../src/behaviour/calibrate.js';
import { FEATURE_NAMES, NUM_FEATURES } from '../../src/behaviour/features.js';
import { generateDataset } from '../../src/dataset/generate.js';
import { IsolationForest } from '../../src/forest/forest.js';
import { MODEL_FORMAT, MODEL_VERSION, saveModel } from '../../src/forest/model.js';

export function trainFixtureModel(path: string, opts: { rows?: number } = {}): { path: string; threshold: number } {
  const rows = opts.rows ?? 30_000;
  const X = new Float64Array(rows * NUM_FEATURES);
  let r = 0;
  generateDataset({ rows, anomalyRatio: 0, seed: 42 }, (x) => {
    X.set(x, r * NUM_FEATURES);
    r++;
  });
  const forest = IsolationForest.fit(X, rows, NUM_FEATURES, { trees: 100, sampleSize: 256, seed: 1 });
  const scores = Array.from(forest.scoreBatch(X, rows)).sort((a, b) => a - b);
  const quant = (p: number) => scores[Math.min(rows - 1, Math.floor(p * rows))];
  const featureSummary = FEATURE_NAMES.map((name, f) => {
    let s = 0;
    let sq = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < rows; i++) {
      const v = X[i * NUM_FEATURES + f];
      s += v;
      sq += v * v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const mean = s / rows;
    return { name, min, max, mean, sd: Math.sqrt(Math.max(0, sq / rows - mean * mean)) };
  });
  // Block threshold: no held-out ordinary session reaches it on 3 consecutive scored requests (+0.01).
  const threshold = calibrateBlockThreshold(forest, { consecutive: 3, minEvents: 20, ordinarySessions: 100, attackerSessions: 5 }).threshold;
  saveModel(
    path,
    {
      format: MODEL_FORMAT,
      version: MODEL_VERSION,
      createdBy: 'pathhelm tests',
      features: [...FEATURE_NAMES],
      params: { trees: 100, sampleSize: 256, seed: 1, rows },
      threshold: { value: threshold, method: 'calibrated: max over ordinary sessions of 3-in-a-row scores + 0.01' },
      quantiles: { p50: quant(0.5), p99: quant(0.99), p999: quant(0.999), max: scores[rows - 1] },
      featureSummary,
      metrics: null,
      training: { generator: 'dataset generate', anomalyRatio: 0, seed: 42 },
    },
    forest,
  );
  return { path, threshold };
}
