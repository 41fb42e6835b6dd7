// Owns the public surface of the Isolation Forest module: forest, model file codec, metrics.
//
// Example:
//   import { IsolationForest, saveModel, loadModel, rocAuc } from '../forest/index.js';
export {
  IsolationForest,
  averagePathLength,
  harmonic,
  validateForestArrays,
  COMPLETE_LAYOUT_MAX_HEIGHT,
  type FitOptions,
  type ForestArrays,
  type ForestLayout,
  type TreeArrays,
} from './forest.js';
export {
  MODEL_FORMAT,
  MODEL_VERSION,
  serializeModel,
  parseModel,
  loadModel,
  saveModel,
  checkFeatures,
  type FeatureSummary,
  type ModelMeta,
  type LoadedModel,
} from './model.js';
export { rocAuc, precisionRecallF1, quantile, type ThresholdMetrics } from './metrics.js';
export { Rng } from './rng.js';
