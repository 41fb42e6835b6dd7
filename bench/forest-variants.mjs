// Owns `bench/forest-variants.mjs`: a copy of PathHelm's forest fit (src/forest/forest.ts, same Rng streams,
// so variant "base" reproduces IsolationForest.fit exactly) with switches for each scikit-learn detail, to
// test which one (if any) moves the ROC AUC. Used for "Why mammography differs" in docs/benchmarks.md.
// It changes nothing in src/: the default algorithm stays the one issue 4 mandates.
//
// Usage (after `npx tsc -p bench/forest.tsconfig.json`):
//   node bench/forest-variants.mjs [--sets mammography,cardio] [--seeds 30] [--variants base,approx,...] [--json]
// Variants (combine with '+', e.g. approx+f32+eps):
//   lib      IsolationForest.fit + scoreBatch from dist/ (must equal base)
//   base     this file's copy of the fit, exact harmonic c(n)
//   approx   scikit-learn's c(n) = 2 (ln(n-1) + 0.5772156649) - 2 (n-1)/n at leaves and in c(psi)
//   f32      data rounded to float32 before fitting and scoring (scikit-learn's tree dtype)
//   eps      a feature counts as constant in a node when max <= min + 1e-7 (scikit-learn's FEATURE_THRESHOLD)
//   lt       x goes left when x < t (instead of <=); a split that leaves one side empty becomes a leaf
//   anyfeat  draw ONE feature uniformly; if it is constant in the node, the node is a leaf (no redraw)
//   noleafc  leaf value = depth only (no c(leaf size)), to show how much the leaf term matters
// Prints one line per set and variant: mean ± sd over seeds 0..N-1, the mean of seeds 0..4, the lowest and
// highest mean of a 5-seed block (seeds 0..4, 5..9, ...), and the change of the mean against "base" (same
// seeds, same sub-samples, so the change is the variant's own effect).
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IsolationForest, harmonic, rocAuc } from '../dist/forest/index.js';
import { Rng } from '../dist/forest/rng.js';

const DATA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../shared/datasets/odds');
const EULER_GAMMA = 0.5772156649015329;
const cExact = (n) => (n <= 1 ? 0 : n === 2 ? 1 : 2 * harmonic(n - 1) - (2 * (n - 1)) / n);
const cApprox = (n) => (n <= 1 ? 0 : n === 2 ? 1 : 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n);
const KNOWN = new Set(['lib', 'base', 'approx', 'f32', 'eps', 'lt', 'anyfeat', 'noleafc']);

function load(name) {
  const lines = readFileSync(join(DATA_DIR, `${name}.csv`), 'utf8').split('\n').filter((l) => l !== '');
  const cols = lines[0].split(',').length - 1;
  const rows = lines.length - 1;
  const X = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const p = lines[r + 1].split(',');
    for (let j = 0; j < cols; j++) X[r * cols + j] = Number(p[j]);
    y[r] = Number(p[cols]);
  }
  return { X, y, rows, cols };
}

/** Fits 100 trees (psi 256) with the switches in `v` and returns the anomaly score of every row. */
function fitScore(X0, rows, cols, seed, v) {
  const X = v.f32 ? Float64Array.from(X0, Math.fround) : X0;
  const c = v.approx ? cApprox : cExact;
  const eps = v.eps ? 1e-7 : 0;
  const trees = 100;
  const psi = Math.min(256, rows);
  const L = Math.ceil(Math.log2(psi));
  const perm = new Int32Array(rows);
  for (let i = 0; i < rows; i++) perm[i] = i;
  const sample = new Float64Array(psi * cols);
  const idx = new Int32Array(psi);
  const fperm = new Int32Array(cols);
  const total = new Float64Array(rows);
  for (let t = 0; t < trees; t++) {
    const rng = new Rng(seed, t);
    for (let j = 0; j < psi; j++) {
      const k = j + rng.nextInt(rows - j);
      const r = perm[k];
      perm[k] = perm[j];
      perm[j] = r;
      for (let f = 0; f < cols; f++) sample[f * psi + j] = X[r * cols + f];
      idx[j] = j;
    }
    const feat = [];
    const thr = [];
    const left = [];
    const right = [];
    const val = [];
    const stack = [[0, psi, 0, -1, 0]]; // lo, hi, depth, parent, 0 = left child / 1 = right child
    while (stack.length > 0) {
      const [lo, hi, depth, parent, side] = stack.pop();
      const node = feat.length;
      feat.push(-1);
      thr.push(0);
      left.push(-1);
      right.push(-1);
      val.push(depth + (v.noleafc ? 0 : c(hi - lo)));
      if (parent >= 0) (side ? right : left)[parent] = node;
      if (depth >= L || hi - lo <= 1) continue;
      for (let f = 0; f < cols; f++) fperm[f] = f;
      let feature = -1;
      let min = 0;
      let max = 0;
      const tries = v.anyfeat ? 1 : cols;
      for (let k = 0; k < tries; k++) {
        const pick = k + rng.nextInt(cols - k);
        const f = fperm[pick];
        fperm[pick] = fperm[k];
        fperm[k] = f;
        const off = f * psi;
        min = max = sample[off + idx[lo]];
        for (let i = lo + 1; i < hi; i++) {
          const x = sample[off + idx[i]];
          if (x < min) min = x;
          else if (x > max) max = x;
        }
        if (max > min + eps) {
          feature = f;
          break;
        }
      }
      if (feature < 0) continue;
      let threshold = min + rng.nextDouble() * (max - min);
      if (threshold >= max) threshold = min;
      const off = feature * psi;
      let i = lo;
      let j = hi - 1;
      while (i <= j) {
        const x = sample[off + idx[i]];
        if (v.lt ? x < threshold : x <= threshold) i++;
        else {
          const tmp = idx[i];
          idx[i] = idx[j];
          idx[j] = tmp;
          j--;
        }
      }
      if (i === lo || i === hi) continue; // only possible with 'lt' (threshold == min): leaf
      feat[node] = feature;
      thr[node] = threshold;
      stack.push([i, hi, depth + 1, node, 1], [lo, i, depth + 1, node, 0]);
    }
    for (let r = 0; r < rows; r++) {
      let n = 0;
      while (feat[n] >= 0) {
        const x = X[r * cols + feat[n]];
        n = (v.lt ? x < thr[n] : x <= thr[n]) ? left[n] : right[n];
      }
      total[r] += val[n];
    }
  }
  const norm = c(psi);
  return total.map((s) => 2 ** (-s / trees / norm));
}

const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
const sd = (a) => (a.length < 2 ? 0 : Math.sqrt(a.reduce((s, x) => s + (x - mean(a)) ** 2, 0) / (a.length - 1)));

function main() {
  const o = { sets: ['mammography', 'cardio'], seeds: 30, variants: ['lib', 'base', 'approx', 'f32', 'eps', 'lt', 'approx+f32+eps'], json: false };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--sets') o.sets = argv[++i].split(',');
    else if (argv[i] === '--seeds') o.seeds = Number(argv[++i]);
    else if (argv[i] === '--variants') o.variants = argv[++i].split(',');
    else if (argv[i] === '--json') o.json = true;
    else throw new Error(`unknown option ${argv[i]}`);
  }
  for (const vn of o.variants) for (const p of vn.split('+')) if (!KNOWN.has(p)) throw new Error(`unknown variant part ${p}`);
  for (const name of o.sets) {
    const d = load(name);
    let baseMean = null;
    for (const vn of o.variants) {
      const parts = new Set(vn.split('+'));
      const v = Object.fromEntries([...KNOWN].map((k) => [k, parts.has(k)]));
      const aucs = [];
      for (let s = 0; s < o.seeds; s++) {
        const scores = v.lib
          ? IsolationForest.fit(d.X, d.rows, d.cols, { trees: 100, sampleSize: 256, seed: s }).scoreBatch(d.X, d.rows)
          : fitScore(d.X, d.rows, d.cols, s, v);
        aucs.push(rocAuc(scores, d.y));
      }
      if (vn === 'base') baseMean = mean(aucs);
      if (o.json) {
        console.log(JSON.stringify({ name, variant: vn, seeds: o.seeds, aucs }));
      } else {
        const delta = baseMean === null || vn === 'base' ? '' : ` change vs base ${mean(aucs) - baseMean >= 0 ? '+' : ''}${(mean(aucs) - baseMean).toFixed(4)}`;
        const blocks = [];
        for (let i = 0; i + 5 <= aucs.length; i += 5) blocks.push(mean(aucs.slice(i, i + 5)));
        const range = blocks.length > 1 ? `; 5-seed block means ${Math.min(...blocks).toFixed(4)}..${Math.max(...blocks).toFixed(4)}` : '';
        console.log(
          `${name} ${vn}: ${mean(aucs).toFixed(4)} ± ${sd(aucs).toFixed(4)} over seeds 0..${o.seeds - 1}; seeds 0..4 ${mean(aucs.slice(0, 5)).toFixed(4)}${range}${delta}`,
        );
      }
    }
  }
}

main();
