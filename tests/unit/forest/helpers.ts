// Owns shared synthetic data for the forest unit tests (seeded, no files).
import { Rng } from '../../../src/forest/rng.js';

/** Gaussian-ish normals (sum of 4 uniforms) in `cols` dims plus `outliers` rows far away on feature `outFeature`. */
export function synthetic(
  normals: number,
  outliers: number,
  cols: number,
  seed = 1,
  outFeature = -1,
): { X: Float64Array; y: Float64Array; rows: number } {
  const rng = new Rng(seed, 99);
  const rows = normals + outliers;
  const X = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  const g = () => (rng.nextDouble() + rng.nextDouble() + rng.nextDouble() + rng.nextDouble() - 2) * 1.7;
  for (let i = 0; i < rows; i++) {
    for (let f = 0; f < cols; f++) X[i * cols + f] = g();
    if (i >= normals) {
      y[i] = 1;
      if (outFeature >= 0) X[i * cols + outFeature] = 8 + g() * 0.3;
      else for (let f = 0; f < cols; f++) X[i * cols + f] = 6 + g() * 0.5;
    }
  }
  return { X, y, rows };
}
