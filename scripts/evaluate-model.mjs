#!/usr/bin/env node
// Prints the per-profile evaluation of a behaviour model as the gateway would use it (table for models/README.md).
// Usage: node scripts/evaluate-model.mjs [models/default.json] [--sessions 100] [--seed 7] [--min-events 20] [--consecutive 3]
//        [--threshold X] [--no-rule] [--no-poller]
//   --no-rule: the model alone (neither the regular-crawl rule of behaviour.regular nor the steady-poller rule of
//              behaviour.poller); --no-poller: without the steady-poller rule only (the gateway before it existed).
import { loadModel } from '../dist/forest/index.js';
import { evaluateProfiles, evaluationTable } from '../dist/train/evaluate.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const flags = new Set(['--no-rule', '--no-poller']);
const path = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--') && !flags.has(args[i - 1]))) ?? 'models/default.json';
const model = loadModel(path);
const rows = evaluateProfiles(model, {
  sessions: opt('--sessions', 100),
  seed: opt('--seed', 7),
  minEvents: opt('--min-events', 20),
  consecutive: opt('--consecutive', 3),
  threshold: opt('--threshold', undefined),
  ...(args.includes('--no-rule') ? { regular: null, poller: null } : {}),
  ...(args.includes('--no-poller') ? { poller: null } : {}),
});
console.log(`${path}: threshold ${model.meta.threshold.value} (${model.meta.threshold.method})\n`);
console.log(evaluationTable(rows));
