// Owns PathHelm's Isolation Forest (Liu, Ting & Zhou 2008): seeded fit, flat typed-array trees,
// branch-free iterative scoring, per-feature explanations, and the flat arrays the model codec stores.
//
// Example:
//   const X = Float64Array.from([1, 2, 1.1, 2.1, 0.9, 1.9, 9, -4]); // 4 rows x 2 columns, row-major
//   const forest = IsolationForest.fit(X, 4, 2, { trees: 100, seed: 0 });
//   forest.score([9, -4]);                  // above 0.5 = anomalous, well below 0.5 = normal
//   forest.scoreBatch(X, 4);                // Float64Array of 4 scores
//   forest.explain([9, -4]);                // per-feature share of c(psi) - E[h(x)]
//
// Choices (see docs/model-format.md for the stored layout):
// - Each tree draws psi = min(sampleSize, rows) rows WITHOUT replacement (partial Fisher-Yates) and grows
//   to the height limit ceil(log2 psi). A node splits on a feature drawn uniformly among the features
//   that are not constant in that node (drawn in random order until one varies, like scikit-learn's
//   ExtraTree splitter); when every feature is constant the node becomes a leaf. The threshold is
//   uniform in [min, max) of that feature in the node (a draw that rounds up to max is replaced by min,
//   as scikit-learn does), and x goes left when x[f] <= threshold, so both children are non-empty.
// - Path length of x in a tree = edges from the root to its leaf + c(leaf size); s = 2^(-E[h]/c(psi)).
// - Trees are stored in pre-order (feature -1 = leaf) and rebuilt into a scoring layout: for psi <= 4096
//   a complete heap per tree (children of slot h at 2h+1 and 2h+2; a leaf above the height limit becomes
//   pass-through slots with threshold +Infinity), so every walk is exactly L = ceil(log2 psi) steps of
//   `g = 2g + 1 + (x[f] > t)`; for bigger psi a sparse layout with adjacent children and self-looping
//   leaves (`node = left[node] + (x[f] > t)`). No branch on the data, no recursion, no allocation;
//   scoreBatch walks 8 rows at a time through one tree, score() 4 trees at a time.
// - NaN in a scored vector compares false, so it goes left at every split (never throws).
import { PathHelmError } from '../errors.js';
import { Rng } from './rng.js';

export interface FitOptions {
  /** Number of trees (default 100). */
  trees?: number;
  /** Rows drawn without replacement per tree (default 256, or the row count if smaller). */
  sampleSize?: number;
  /** Seed of the pseudo-random generator (default 0); any safe integer. */
  seed?: number;
}

/**
 * One tree in pre-order (root, left subtree, right subtree). For node i: `feature[i]` is the split
 * feature or -1 for a leaf, `threshold[i]` the split value (x goes left when x[feature] <= threshold;
 * 0 for leaves), `size[i]` the number of training sub-sample rows that reached the node.
 */
export interface TreeArrays {
  feature: ArrayLike<number>;
  threshold: ArrayLike<number>;
  size: ArrayLike<number>;
}

/** A whole forest as flat arrays (what the model codec stores). */
export interface ForestArrays {
  numFeatures: number;
  /** psi: rows per tree; the root of every tree has this size. */
  sampleSize: number;
  trees: TreeArrays[];
}

/** 'auto': complete (heap-order) layout when the height limit is at most COMPLETE_LAYOUT_MAX_HEIGHT, else sparse. */
export type ForestLayout = 'auto' | 'complete' | 'sparse';
/** Up to this height limit (psi <= 4096) scoring uses the complete layout: 8 KB to 98 KB per tree. */
export const COMPLETE_LAYOUT_MAX_HEIGHT = 12;

const EULER_GAMMA = 0.5772156649015329;
const HARMONIC_SUM_LIMIT = 256;

/** Exact harmonic number H(m) = 1 + 1/2 + ... + 1/m (direct sum for m < 256, asymptotic series beyond, truncation error < 1e-20).
 * Example: harmonic(3) // 1.8333 */
export function harmonic(m: number): number {
  if (m <= 0) return 0;
  if (m < HARMONIC_SUM_LIMIT) {
    let s = 0;
    for (let k = m; k >= 1; k--) s += 1 / k; // smallest terms first
    return s;
  }
  const inv = 1 / m;
  const inv2 = inv * inv;
  // ln m + gamma + 1/(2m) - 1/(12m^2) + 1/(120m^4) - 1/(252m^6) + 1/(240m^8)
  return Math.log(m) + EULER_GAMMA + 0.5 * inv - inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 / 240)));
}

/**
 * c(n): average path length of an unsuccessful search in a binary search tree of n points,
 * 2 H(n-1) - 2 (n-1) / n with the exact harmonic number; c(0) = c(1) = 0, c(2) = 1.
 *
 * Example: averagePathLength(256) // 10.2487 (scikit-learn's ln-approximation gives 10.2448)
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * harmonic(n - 1) - (2 * (n - 1)) / n;
}

function usage(message: string): never {
  throw new PathHelmError('PH_ERR_USAGE', message);
}

function checkPositiveInt(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) usage(`forest ${name} must be an integer >= ${min}, got ${v}`);
}

/**
 * Checks that `a` describes a well-formed forest; returns null when it does, else a message naming
 * the tree and what is wrong (used by fromArrays and by the model codec).
 * Example: validateForestArrays({ numFeatures: 1, sampleSize: 2, trees: [{ feature: [0, -1, -1], threshold: [0.5, 0, 0], size: [2, 1, 1] }] }) // null
 */
export function validateForestArrays(a: ForestArrays): string | null {
  if (a === null || typeof a !== 'object') return 'forest is not an object';
  if (!Number.isInteger(a.numFeatures) || a.numFeatures < 1) return `forest.numFeatures must be an integer >= 1, got ${a.numFeatures}`;
  if (!Number.isInteger(a.sampleSize) || a.sampleSize < 2) return `forest.sampleSize must be an integer >= 2, got ${a.sampleSize}`;
  if (!Array.isArray(a.trees) || a.trees.length < 1) return 'forest.trees must be a non-empty array';
  const heightLimit = Math.ceil(Math.log2(a.sampleSize));
  const maxNodes = 2 * a.sampleSize - 1;
  const sizeStack = new Float64Array(heightLimit + 2);
  const depthStack = new Int32Array(heightLimit + 2);
  for (let t = 0; t < a.trees.length; t++) {
    const tree = a.trees[t];
    if (tree === null || typeof tree !== 'object') return `tree ${t} is not an object`;
    const { feature, threshold, size } = tree;
    if (!isArrayLike(feature) || !isArrayLike(threshold) || !isArrayLike(size)) {
      return `tree ${t} needs arrays "feature", "threshold" and "size"`;
    }
    const n = feature.length;
    if (n < 1) return `tree ${t} has no nodes`;
    if (threshold.length !== n || size.length !== n) {
      return `tree ${t} is truncated: feature has ${n} nodes, threshold ${threshold.length}, size ${size.length}`;
    }
    if (n > maxNodes) return `tree ${t} has ${n} nodes, more than 2 * sampleSize - 1 = ${maxNodes}`;
    if (size[0] !== a.sampleSize) return `tree ${t} root size is ${size[0]}, expected sampleSize ${a.sampleSize}`;
    // Walk the pre-order with a stack of pending child slots: each entry is (expected size or -1, depth).
    let sp = 0;
    sizeStack[sp] = a.sampleSize;
    depthStack[sp] = 0;
    sp = 1;
    for (let i = 0; i < n; i++) {
      if (sp === 0) return `tree ${t} has extra nodes after its last leaf (node ${i} of ${n})`;
      sp--;
      const expected = sizeStack[sp];
      const depth = depthStack[sp];
      const f = feature[i];
      const s = size[i];
      const thr = threshold[i];
      if (!Number.isInteger(s) || s < 1) return `tree ${t} node ${i}: size must be an integer >= 1, got ${s}`;
      if (expected >= 0 && s !== expected) return `tree ${t} node ${i}: size ${s} does not match its parent (expected ${expected})`;
      if (typeof thr !== 'number' || !Number.isFinite(thr)) return `tree ${t} node ${i}: threshold is not a finite number (${thr})`;
      if (f === -1) continue;
      if (!Number.isInteger(f) || f < 0 || f >= a.numFeatures) {
        return `tree ${t} node ${i}: feature ${f} is out of range (model has ${a.numFeatures} features)`;
      }
      if (depth >= heightLimit) return `tree ${t} node ${i}: split at depth ${depth} exceeds the height limit ${heightLimit}`;
      if (s < 2) return `tree ${t} node ${i}: a split node needs size >= 2, got ${s}`;
      // right child: size unknown until the left subtree is read; we check left + right = s via the
      // left child's size below (right = s - left, must be >= 1).
      const leftSize = i + 1 < n ? size[i + 1] : NaN;
      if (!(leftSize >= 1 && leftSize < s)) {
        if (i + 1 >= n) return `tree ${t} is truncated: split node ${i} has no children`;
        return `tree ${t} node ${i + 1}: left child size ${leftSize} must be between 1 and ${s - 1}`;
      }
      sizeStack[sp] = s - leftSize;
      depthStack[sp] = depth + 1;
      sp++;
      sizeStack[sp] = -1; // left child: already checked against leftSize by construction
      depthStack[sp] = depth + 1;
      sp++;
    }
    if (sp !== 0) return `tree ${t} is truncated: ${sp} subtree(s) missing after node ${n - 1}`;
  }
  return null;
}

function isArrayLike(v: unknown): v is ArrayLike<number> {
  return Array.isArray(v) || ArrayBuffer.isView(v);
}

export class IsolationForest {
  readonly numTrees: number;
  readonly sampleSize: number;
  readonly numFeatures: number;
  /** ceil(log2 sampleSize): no split deeper than this. */
  readonly heightLimit: number;
  /** c(sampleSize), the normaliser of the score. */
  readonly normaliser: number;
  /** -1 / (numTrees * c(psi)): score = 2^(sum of path lengths * scale) */
  private readonly scale: number;

  // pre-order trees as given/fitted (returned by toArrays)
  private readonly pre: { feature: Int32Array; threshold: Float64Array; size: Int32Array }[];
  // runtime layout (all trees in one set of arrays)
  private readonly feat: Int32Array;
  private readonly thr: Float64Array;
  private readonly left: Int32Array;
  private readonly value: Float64Array; // leaves: depth + c(size)
  private readonly cSize: Float64Array; // every node: c(size), for explain()
  private readonly roots: Int32Array;
  private readonly depths: Int32Array; // deepest leaf per tree = steps the sparse scorer walks
  // complete layout (heap order, used when heightLimit <= COMPLETE_LAYOUT_MAX_HEIGHT): per tree
  // 2^L - 1 split slots (children of slot h at 2h+1, 2h+2) and 2^L leaf values; a leaf above depth L
  // becomes pass-through slots (threshold +Infinity: always left) down to its leftmost leaf value.
  private readonly complete: boolean;
  private readonly cFeat: Int32Array;
  private readonly cThr: Float64Array;
  private readonly cVal: Float64Array;

  private constructor(a: ForestArrays, layout: ForestLayout = 'auto') {
    const problem = validateForestArrays(a);
    if (problem !== null) throw new PathHelmError('PH_ERR_MODEL', problem);
    this.numTrees = a.trees.length;
    this.sampleSize = a.sampleSize;
    this.numFeatures = a.numFeatures;
    this.heightLimit = Math.ceil(Math.log2(a.sampleSize));
    this.normaliser = averagePathLength(a.sampleSize);
    this.scale = -1 / (this.numTrees * this.normaliser);
    this.pre = a.trees.map((t) => ({
      feature: Int32Array.from(t.feature),
      threshold: Float64Array.from(t.threshold),
      size: Int32Array.from(t.size),
    }));
    let total = 0;
    for (const t of this.pre) total += t.feature.length;
    this.feat = new Int32Array(total);
    this.thr = new Float64Array(total);
    this.left = new Int32Array(total);
    this.value = new Float64Array(total);
    this.cSize = new Float64Array(total);
    this.roots = new Int32Array(this.numTrees);
    this.depths = new Int32Array(this.numTrees);
    const slotStack = new Int32Array(this.heightLimit + 2);
    const depthStack = new Int32Array(this.heightLimit + 2);
    let base = 0;
    for (let t = 0; t < this.numTrees; t++) {
      const { feature, threshold, size } = this.pre[t];
      const n = feature.length;
      this.roots[t] = base;
      let next = base + 1;
      let sp = 0;
      slotStack[sp] = base;
      depthStack[sp] = 0;
      sp++;
      let maxDepth = 0;
      for (let i = 0; i < n; i++) {
        sp--;
        const r = slotStack[sp];
        const depth = depthStack[sp];
        this.cSize[r] = averagePathLength(size[i]);
        if (feature[i] === -1) {
          this.feat[r] = 0;
          this.thr[r] = Infinity;
          this.left[r] = r;
          this.value[r] = depth + this.cSize[r];
          if (depth > maxDepth) maxDepth = depth;
        } else {
          const l = next;
          next += 2;
          this.feat[r] = feature[i];
          this.thr[r] = threshold[i];
          this.left[r] = l;
          slotStack[sp] = l + 1;
          depthStack[sp] = depth + 1;
          sp++;
          slotStack[sp] = l;
          depthStack[sp] = depth + 1;
          sp++;
        }
      }
      this.depths[t] = maxDepth;
      base += n;
    }
    const L = this.heightLimit;
    this.complete = layout === 'complete' || (layout === 'auto' && L <= COMPLETE_LAYOUT_MAX_HEIGHT);
    const ni = this.complete ? (1 << L) - 1 : 0;
    const nl = this.complete ? 1 << L : 0;
    this.cFeat = new Int32Array(this.numTrees * ni);
    this.cThr = new Float64Array(this.numTrees * ni).fill(Infinity);
    this.cVal = new Float64Array(this.numTrees * nl);
    if (this.complete) {
      const gStack = new Int32Array(L + 2); // sparse node
      const hStack = new Int32Array(L + 2); // heap slot
      const dStack = new Int32Array(L + 2);
      for (let t = 0; t < this.numTrees; t++) {
        const ib = t * ni;
        const vb = t * nl;
        let sp = 0;
        gStack[0] = this.roots[t];
        hStack[0] = 0;
        dStack[0] = 0;
        sp = 1;
        while (sp > 0) {
          sp--;
          const g = gStack[sp];
          let h = hStack[sp];
          let d = dStack[sp];
          if (this.left[g] === g) {
            for (; d < L; d++) h = 2 * h + 1; // pass-through slots keep feature 0, threshold +Infinity
            this.cVal[vb + h - ni] = this.value[g];
          } else {
            this.cFeat[ib + h] = this.feat[g];
            this.cThr[ib + h] = this.thr[g];
            gStack[sp] = this.left[g] + 1;
            hStack[sp] = 2 * h + 2;
            dStack[sp] = d + 1;
            sp++;
            gStack[sp] = this.left[g];
            hStack[sp] = 2 * h + 1;
            dStack[sp] = d + 1;
            sp++;
          }
        }
      }
    }
  }

  /** Which scoring layout this forest uses ('complete' for height limits up to 12, i.e. psi <= 4096). */
  get layout(): 'complete' | 'sparse' {
    return this.complete ? 'complete' : 'sparse';
  }

  /**
   * Fits a forest on `rows` x `cols` row-major data.
   *
   * Example: IsolationForest.fit(X, X.length / 3, 3, { trees: 100, sampleSize: 256, seed: 1 })
   */
  static fit(X: Float64Array, rows: number, cols: number, opts: FitOptions = {}): IsolationForest {
    const trees = opts.trees ?? 100;
    const seed = opts.seed ?? 0;
    checkPositiveInt('rows', rows, 2);
    checkPositiveInt('cols', cols, 1);
    checkPositiveInt('trees', trees, 1);
    if (!Number.isSafeInteger(seed)) usage(`forest seed must be a safe integer, got ${seed}`);
    const requested = opts.sampleSize ?? 256;
    checkPositiveInt('sampleSize', requested, 2);
    if (X.length < rows * cols) usage(`forest data has ${X.length} values, expected rows * cols = ${rows * cols}`);
    for (let i = 0, end = rows * cols; i < end; i++) {
      if (!Number.isFinite(X[i])) usage(`forest data row ${Math.floor(i / cols)} column ${i % cols} is not a finite number (${X[i]})`);
    }
    const psi = Math.min(requested, rows);
    const heightLimit = Math.ceil(Math.log2(psi));
    const maxNodes = 2 * psi - 1;

    const perm = new Int32Array(rows);
    for (let i = 0; i < rows; i++) perm[i] = i;
    const sample = new Float64Array(psi * cols); // column-major: sample[f * psi + j]
    const idx = new Int32Array(psi); // positions into `sample`, partitioned in place per node
    const fperm = new Int32Array(cols);
    const loStack = new Int32Array(heightLimit + 2);
    const hiStack = new Int32Array(heightLimit + 2);
    const dStack = new Int32Array(heightLimit + 2);
    const nodeFeature = new Int32Array(maxNodes);
    const nodeThreshold = new Float64Array(maxNodes);
    const nodeSize = new Int32Array(maxNodes);
    const out: TreeArrays[] = [];

    for (let t = 0; t < trees; t++) {
      const rng = new Rng(seed, t);
      // sub-sample without replacement: partial Fisher-Yates over a persistent permutation
      for (let j = 0; j < psi; j++) {
        const k = j + rng.nextInt(rows - j);
        const r = perm[k];
        perm[k] = perm[j];
        perm[j] = r;
        const src = r * cols;
        for (let f = 0; f < cols; f++) sample[f * psi + j] = X[src + f];
        idx[j] = j;
      }
      let n = 0;
      let sp = 0;
      loStack[0] = 0;
      hiStack[0] = psi;
      dStack[0] = 0;
      sp = 1;
      while (sp > 0) {
        sp--;
        const lo = loStack[sp];
        const hi = hiStack[sp];
        const depth = dStack[sp];
        const node = n++;
        nodeSize[node] = hi - lo;
        nodeThreshold[node] = 0;
        nodeFeature[node] = -1;
        if (depth >= heightLimit || hi - lo <= 1) continue;
        // draw features in random order until one is not constant in this node
        for (let f = 0; f < cols; f++) fperm[f] = f;
        let feature = -1;
        let min = 0;
        let max = 0;
        for (let k = 0; k < cols; k++) {
          const pick = k + rng.nextInt(cols - k);
          const f = fperm[pick];
          fperm[pick] = fperm[k];
          fperm[k] = f;
          const off = f * psi;
          min = sample[off + idx[lo]];
          max = min;
          for (let i = lo + 1; i < hi; i++) {
            const v = sample[off + idx[i]];
            if (v < min) min = v;
            else if (v > max) max = v;
          }
          if (max > min) {
            feature = f;
            break;
          }
        }
        if (feature < 0) continue; // all rows identical: leaf
        let threshold = min + rng.nextDouble() * (max - min);
        if (threshold >= max) threshold = min;
        // partition idx[lo..hi): x <= threshold to the left
        const off = feature * psi;
        let i = lo;
        let j = hi - 1;
        while (i <= j) {
          if (sample[off + idx[i]] <= threshold) i++;
          else {
            const tmp = idx[i];
            idx[i] = idx[j];
            idx[j] = tmp;
            j--;
          }
        }
        nodeFeature[node] = feature;
        nodeThreshold[node] = threshold;
        // push right then left so the left subtree comes next (pre-order)
        loStack[sp] = i;
        hiStack[sp] = hi;
        dStack[sp] = depth + 1;
        sp++;
        loStack[sp] = lo;
        hiStack[sp] = i;
        dStack[sp] = depth + 1;
        sp++;
      }
      out.push({ feature: nodeFeature.slice(0, n), threshold: nodeThreshold.slice(0, n), size: nodeSize.slice(0, n) });
    }
    return new IsolationForest({ numFeatures: cols, sampleSize: psi, trees: out });
  }

  /** Rebuilds a forest from flat arrays (validated; throws PH_ERR_MODEL naming the problem). */
  static fromArrays(a: ForestArrays, layout: ForestLayout = 'auto'): IsolationForest {
    return new IsolationForest(a, layout);
  }

  /** Copies of the pre-order trees (see TreeArrays). */
  toArrays(): { numFeatures: number; sampleSize: number; trees: { feature: Int32Array; threshold: Float64Array; size: Int32Array }[] } {
    return {
      numFeatures: this.numFeatures,
      sampleSize: this.sampleSize,
      trees: this.pre.map((t) => ({ feature: t.feature.slice(), threshold: t.threshold.slice(), size: t.size.slice() })),
    };
  }

  /** Mean path length E[h(x)] over the trees for x[offset..offset + numFeatures). No allocation. */
  pathLength(x: ArrayLike<number>, offset = 0): number {
    return this.pathSum(x, offset) / this.numTrees;
  }

  /** Sum over the trees of h(x) (what score() and scoreBatch() both normalise the same way). */
  private pathSum(x: ArrayLike<number>, offset: number): number {
    const nt = this.numTrees;
    let sum = 0;
    if (this.complete) {
      const feat = this.cFeat;
      const thr = this.cThr;
      const val = this.cVal;
      const L = this.heightLimit;
      const ni = (1 << L) - 1;
      const nl = ni + 1;
      let t = 0;
      // four trees at a time: independent chains the CPU can overlap
      for (; t + 4 <= nt; t += 4) {
        const b0 = t * ni;
        const b1 = b0 + ni;
        const b2 = b1 + ni;
        const b3 = b2 + ni;
        let g0 = b0;
        let g1 = b1;
        let g2 = b2;
        let g3 = b3;
        for (let d = L; d > 0; d--) {
          g0 = 2 * g0 + 1 - b0 + (((x[offset + feat[g0]] > thr[g0]) as unknown as number) | 0);
          g1 = 2 * g1 + 1 - b1 + (((x[offset + feat[g1]] > thr[g1]) as unknown as number) | 0);
          g2 = 2 * g2 + 1 - b2 + (((x[offset + feat[g2]] > thr[g2]) as unknown as number) | 0);
          g3 = 2 * g3 + 1 - b3 + (((x[offset + feat[g3]] > thr[g3]) as unknown as number) | 0);
        }
        // leaf value index = t * nl + (g - base - ni)
        const v = t * nl - ni;
        // added one by one, in tree order, exactly as scoreBatch does (bit-identical scores)
        sum += val[v + g0 - b0];
        sum += val[v + nl + g1 - b1];
        sum += val[v + 2 * nl + g2 - b2];
        sum += val[v + 3 * nl + g3 - b3];
      }
      for (; t < nt; t++) {
        const base = t * ni;
        // global slot g = base + h; child = base + 2h + 1 + c = 2g + (1 - base) + c
        const k = 1 - base;
        let g = base;
        for (let d = L; d > 0; d--) g = 2 * g + k + (((x[offset + feat[g]] > thr[g]) as unknown as number) | 0);
        sum += val[t * nl - ni + g - base];
      }
      return sum;
    }
    const feat = this.feat;
    const thr = this.thr;
    const left = this.left;
    const value = this.value;
    const roots = this.roots;
    const depths = this.depths;
    for (let t = 0; t < nt; t++) {
      let node = roots[t];
      for (let d = depths[t]; d > 0; d--) {
        node = left[node] + (((x[offset + feat[node]] > thr[node]) as unknown as number) | 0);
      }
      sum += value[node];
    }
    return sum;
  }

  /**
   * Anomaly score s = 2^(-E[h(x)] / c(psi)) in (0, 1] of one vector x[offset..offset + numFeatures).
   * No allocation. Example: forest.score(features) > 0.5 // anomalous by the paper's rule
   */
  score(x: ArrayLike<number>, offset = 0): number {
    return Math.pow(2, this.pathSum(x, offset) * this.scale);
  }

  /**
   * Scores `rows` row-major vectors of X into `out` (allocated when absent). Rows are processed in
   * blocks, tree by tree, so one tree stays in cache while it scores a block.
   */
  scoreBatch(X: Float64Array, rows: number, out?: Float64Array): Float64Array {
    const cols = this.numFeatures;
    if (X.length < rows * cols) usage(`scoreBatch: X has ${X.length} values, expected rows * ${cols} = ${rows * cols}`);
    const res = out ?? new Float64Array(rows);
    if (res.length < rows) usage(`scoreBatch: out has length ${res.length}, expected at least ${rows}`);
    const scale = this.scale;
    const BLOCK = 1024;
    for (let r0 = 0; r0 < rows; r0 += BLOCK) {
      const r1 = Math.min(rows, r0 + BLOCK);
      for (let r = r0; r < r1; r++) res[r] = 0;
      if (this.complete) this.sumComplete(X, cols, r0, r1, res);
      else this.sumSparse(X, cols, r0, r1, res);
      for (let r = r0; r < r1; r++) res[r] = Math.pow(2, res[r] * scale);
    }
    return res;
  }

  /** Adds each tree's path length for rows [r0, r1) into acc (complete layout, 8 rows interleaved). */
  private sumComplete(X: Float64Array, cols: number, r0: number, r1: number, acc: Float64Array): void {
    const feat = this.cFeat;
    const thr = this.cThr;
    const val = this.cVal;
    const L = this.heightLimit;
    const ni = (1 << L) - 1;
    for (let t = 0, nt = this.numTrees; t < nt; t++) {
      const base = t * ni;
      const k = 1 - base;
      const vb = t * (ni + 1) - ni - base; // leaf value index = g + vb
      let r = r0;
      for (; r + 8 <= r1; r += 8) {
        const o0 = r * cols;
        const o1 = o0 + cols;
        const o2 = o1 + cols;
        const o3 = o2 + cols;
        const o4 = o3 + cols;
        const o5 = o4 + cols;
        const o6 = o5 + cols;
        const o7 = o6 + cols;
        let g0 = base;
        let g1 = base;
        let g2 = base;
        let g3 = base;
        let g4 = base;
        let g5 = base;
        let g6 = base;
        let g7 = base;
        for (let d = L; d > 0; d--) {
          g0 = 2 * g0 + k + (((X[o0 + feat[g0]] > thr[g0]) as unknown as number) | 0);
          g1 = 2 * g1 + k + (((X[o1 + feat[g1]] > thr[g1]) as unknown as number) | 0);
          g2 = 2 * g2 + k + (((X[o2 + feat[g2]] > thr[g2]) as unknown as number) | 0);
          g3 = 2 * g3 + k + (((X[o3 + feat[g3]] > thr[g3]) as unknown as number) | 0);
          g4 = 2 * g4 + k + (((X[o4 + feat[g4]] > thr[g4]) as unknown as number) | 0);
          g5 = 2 * g5 + k + (((X[o5 + feat[g5]] > thr[g5]) as unknown as number) | 0);
          g6 = 2 * g6 + k + (((X[o6 + feat[g6]] > thr[g6]) as unknown as number) | 0);
          g7 = 2 * g7 + k + (((X[o7 + feat[g7]] > thr[g7]) as unknown as number) | 0);
        }
        acc[r] += val[g0 + vb];
        acc[r + 1] += val[g1 + vb];
        acc[r + 2] += val[g2 + vb];
        acc[r + 3] += val[g3 + vb];
        acc[r + 4] += val[g4 + vb];
        acc[r + 5] += val[g5 + vb];
        acc[r + 6] += val[g6 + vb];
        acc[r + 7] += val[g7 + vb];
      }
      for (; r < r1; r++) {
        const o = r * cols;
        let g = base;
        for (let d = L; d > 0; d--) g = 2 * g + k + (((X[o + feat[g]] > thr[g]) as unknown as number) | 0);
        acc[r] += val[g + vb];
      }
    }
  }

  /** Adds each tree's path length for rows [r0, r1) into acc (sparse layout, 4 rows interleaved). */
  private sumSparse(X: Float64Array, cols: number, r0: number, r1: number, acc: Float64Array): void {
    const feat = this.feat;
    const thr = this.thr;
    const left = this.left;
    const value = this.value;
    for (let t = 0, nt = this.numTrees; t < nt; t++) {
      const root = this.roots[t];
      const depth = this.depths[t];
      let r = r0;
      for (; r + 4 <= r1; r += 4) {
        const o0 = r * cols;
        const o1 = o0 + cols;
        const o2 = o1 + cols;
        const o3 = o2 + cols;
        let n0 = root;
        let n1 = root;
        let n2 = root;
        let n3 = root;
        for (let d = depth; d > 0; d--) {
          n0 = left[n0] + (((X[o0 + feat[n0]] > thr[n0]) as unknown as number) | 0);
          n1 = left[n1] + (((X[o1 + feat[n1]] > thr[n1]) as unknown as number) | 0);
          n2 = left[n2] + (((X[o2 + feat[n2]] > thr[n2]) as unknown as number) | 0);
          n3 = left[n3] + (((X[o3 + feat[n3]] > thr[n3]) as unknown as number) | 0);
        }
        acc[r] += value[n0];
        acc[r + 1] += value[n1];
        acc[r + 2] += value[n2];
        acc[r + 3] += value[n3];
      }
      for (; r < r1; r++) {
        const o = r * cols;
        let n = root;
        for (let d = depth; d > 0; d--) n = left[n] + (((X[o + feat[n]] > thr[n]) as unknown as number) | 0);
        acc[r] += value[n];
      }
    }
  }

  /**
   * Per-feature attribution for x: for every split on x's path, the split's shortening of the expected
   * remaining path, c(n_parent) - 1 - c(n_child), is credited to the split's feature; results are
   * averaged over the trees. The entries sum to c(psi) - E[h(x)]: positive when x is isolated faster
   * than an average point (score > 0.5), negative when slower. The largest entry names the feature
   * that isolates x most.
   *
   * `offset` reads x[offset..offset + numFeatures) like score(); `out` (length >= numFeatures) avoids allocation.
   *
   * Example: const why = forest.explain(vec); // why[f] for f in 0..numFeatures-1
   */
  explain(x: ArrayLike<number>, out?: Float64Array, offset = 0): Float64Array {
    const res = out ?? new Float64Array(this.numFeatures);
    res.fill(0, 0, this.numFeatures);
    const feat = this.feat;
    const thr = this.thr;
    const left = this.left;
    const cSize = this.cSize;
    for (let t = 0; t < this.numTrees; t++) {
      let node = this.roots[t];
      while (left[node] !== node) {
        const f = feat[node];
        const child = left[node] + (((x[offset + f] > thr[node]) as unknown as number) | 0);
        res[f] += cSize[node] - 1 - cSize[child];
        node = child;
      }
    }
    for (let f = 0; f < this.numFeatures; f++) res[f] /= this.numTrees;
    return res;
  }
}
