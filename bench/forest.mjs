// Owns `npm run bench:forest`: PathHelm's Isolation Forest on the ODDS sets (../shared/datasets/odds)
// beside the `isolation-forest` npm package (same process) and scikit-learn (same run, when
// /usr/bin/python3 has it): ROC AUC mean ± sd over seeds, fit and score seconds, ratios.
//
// Usage: npm run bench:forest -- [--seeds 5] [--sets http,shuttle] [--no-sklearn] [--no-npm]
//                                 [--npm-runs 5] [--npm-http-rows 50000] [--stability 30] [--write]
// --stability N: for every set (< 100k rows) whose mean AUC is more than 0.005 from the reference, also
// compare PathHelm and scikit-learn over seeds 0..N-1 (is the gap the 5 seeds or the algorithm?); 0 = off.
// --write replaces the "## Forest" section of docs/benchmarks.md with the results (it keeps the
// hand-written "### Why mammography differs" subsection: see keptSubsections).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IsolationForest, rocAuc } from '../dist/forest/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DATA_DIR = resolve(ROOT, '../shared/datasets/odds');
const DOC = join(ROOT, 'docs/benchmarks.md');

// scikit-learn 1.2.1 reference AUC from ../shared/datasets/README.md (100 trees, psi 256, seeds 0..4)
const REFERENCE = {
  http: { auc: 0.9995, fit: 0.326, score: 11.346 },
  shuttle: { auc: 0.9971, fit: 0.124, score: 0.742 },
  mammography: { auc: 0.8588, fit: 0.069, score: 0.145 },
  satimage2: { auc: 0.9938, fit: 0.063, score: 0.114 },
  thyroid: { auc: 0.9777, fit: 0.082, score: 0.059 },
  cardio: { auc: 0.9318, fit: 0.056, score: 0.04 },
  breastw: { auc: 0.9876, fit: 0.055, score: 0.024 },
};

function parseArgs(argv) {
  const o = { seeds: 5, sets: Object.keys(REFERENCE), sklearn: true, npm: true, npmRuns: 5, npmHttpRows: 50000, stability: 30, write: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--seeds') o.seeds = Number(argv[++i]);
    else if (a === '--sets') o.sets = argv[++i].split(',');
    else if (a === '--no-sklearn') o.sklearn = false;
    else if (a === '--no-npm') o.npm = false;
    else if (a === '--npm-runs') o.npmRuns = Number(argv[++i]);
    else if (a === '--npm-http-rows') o.npmHttpRows = Number(argv[++i]);
    else if (a === '--stability') o.stability = Number(argv[++i]);
    else if (a === '--write') o.write = true;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

function loadCsv(name) {
  const text = readFileSync(join(DATA_DIR, `${name}.csv`), 'utf8');
  const lines = text.split('\n');
  const header = lines[0].split(',');
  const cols = header.length - 1;
  let rows = 0;
  for (let i = 1; i < lines.length; i++) if (lines[i] !== '') rows++;
  const X = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  for (let i = 1, r = 0; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const p = lines[i].split(',');
    for (let j = 0; j < cols; j++) X[r * cols + j] = Number(p[j]);
    y[r] = Number(p[cols]);
    r++;
  }
  return { name, X, y, rows, cols, header: header.slice(0, cols) };
}

const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
const sd = (a) => {
  if (a.length < 2) return 0;
  const m = mean(a);
  return Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / (a.length - 1));
};
const fmtAuc = (a) => `${mean(a).toFixed(4)} ± ${sd(a).toFixed(4)}`;
const fmtS = (s) => (s >= 10 ? s.toFixed(1) : s >= 0.1 ? s.toFixed(3) : s.toFixed(4));
const fmtX = (r) => (r >= 100 ? `${r.toFixed(0)}×` : r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`);
const now = () => performance.now() / 1000;
/** CPU seconds (user + system) this process has used: robust to other work on a shared machine. */
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

function runOurs(d, seeds) {
  const aucs = [];
  const fits = [];
  const scores = [];
  const fitCpu = [];
  const scoreCpu = [];
  const out = new Float64Array(d.rows);
  for (let seed = 0; seed < seeds; seed++) {
    const c0 = cpu();
    const t0 = now();
    const forest = IsolationForest.fit(d.X, d.rows, d.cols, { trees: 100, sampleSize: 256, seed });
    const t1 = now();
    const c1 = cpu();
    forest.scoreBatch(d.X, d.rows, out);
    const t2 = now();
    const c2 = cpu();
    aucs.push(rocAuc(out, d.y));
    fits.push(t1 - t0);
    scores.push(t2 - t1);
    fitCpu.push(c1 - c0);
    scoreCpu.push(c2 - c1);
  }
  return { aucs, fit: mean(fits), score: mean(scores), scoreMin: Math.min(...scores), fitCpu: mean(fitCpu), scoreCpu: mean(scoreCpu) };
}

/** Seeded sub-sample of rows (for the npm package on http, which is far too slow on all rows). */
function subsample(d, n) {
  if (n >= d.rows) return d;
  const idx = Int32Array.from({ length: d.rows }, (_, i) => i);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const k = i + (s % (d.rows - i));
    const t = idx[i];
    idx[i] = idx[k];
    idx[k] = t;
  }
  const pick = idx.slice(0, n).sort();
  const X = new Float64Array(n * d.cols);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d.cols; j++) X[i * d.cols + j] = d.X[pick[i] * d.cols + j];
    y[i] = d.y[pick[i]];
  }
  return { ...d, X, y, rows: n };
}

function runNpm(NpmForest, d, runs) {
  const objs = new Array(d.rows);
  for (let r = 0; r < d.rows; r++) {
    const o = {};
    for (let j = 0; j < d.cols; j++) o[d.header[j]] = d.X[r * d.cols + j];
    objs[r] = o;
  }
  const aucs = [];
  const fits = [];
  const scores = [];
  const fitCpu = [];
  const scoreCpu = [];
  for (let i = 0; i < runs; i++) {
    const c0 = cpu();
    const t0 = now();
    const f = new NpmForest(100, 256);
    f.fit(objs);
    const t1 = now();
    const c1 = cpu();
    const s = f.predict(objs);
    const t2 = now();
    const c2 = cpu();
    aucs.push(rocAuc(s, d.y));
    fits.push(t1 - t0);
    scores.push(t2 - t1);
    fitCpu.push(c1 - c0);
    scoreCpu.push(c2 - c1);
  }
  return { aucs, fit: mean(fits), score: mean(scores), fitCpu: mean(fitCpu), scoreCpu: mean(scoreCpu) };
}

function runSklearn(sets, seeds) {
  const py = '/usr/bin/python3';
  if (!existsSync(py)) return { error: '/usr/bin/python3 not found' };
  const probe = spawnSync(py, ['-c', 'import sklearn, numpy; print(sklearn.__version__)'], { encoding: 'utf8' });
  if (probe.status !== 0) return { error: 'scikit-learn not installed (apt-get install -y python3-sklearn)' };
  const res = spawnSync(py, [join(ROOT, 'bench/forest.sklearn.py'), DATA_DIR, String(seeds), ...sets], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
    maxBuffer: 1 << 24,
  });
  if (res.status !== 0) return { error: `scikit-learn run failed: ${res.stderr.slice(-500)}` };
  const byName = {};
  for (const line of res.stdout.trim().split('\n')) {
    const r = JSON.parse(line);
    byName[r.name] = { aucs: r.auc, fit: mean(r.fit), score: mean(r.score), fitCpu: mean(r.fitCpu), scoreCpu: mean(r.scoreCpu), version: r.version };
  }
  return { byName, version: probe.stdout.trim() };
}

function machine() {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /Model name:\s*(.+)/.exec(execFileSync('lscpu', { encoding: 'utf8' }));
    if (m) model = m[1].trim();
  } catch {
    // lscpu missing: keep os.cpus()
  }
  return `${model}, ${cpus().length} cores; Node ${process.version}`;
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const load0 = loadavg()[0];
  const sets = o.sets.map(loadCsv);
  const log = (...a) => console.error(...a);

  // warm the JIT on a small set so the first measured set is not penalised
  const warm = sets.find((d) => d.name === 'breastw') ?? sets[sets.length - 1];
  runOurs(warm, 2);

  const ours = {};
  for (const d of sets) {
    ours[d.name] = runOurs(d, o.seeds);
    const r = ours[d.name];
    log(`pathhelm ${d.name}: AUC ${fmtAuc(r.aucs)} fit ${fmtS(r.fit)} s (cpu ${fmtS(r.fitCpu)}) score ${fmtS(r.score)} s (cpu ${fmtS(r.scoreCpu)})`);
  }
  // single-vector API (what the gateway calls per request), measured on http rows when present
  let perVector = null;
  {
    const d = sets.find((s) => s.name === 'http') ?? sets[0];
    const forest = IsolationForest.fit(d.X, d.rows, d.cols, { seed: 0 });
    const n = Math.min(d.rows, 200000);
    let acc = 0;
    for (let r = 0; r < 20000; r++) acc += forest.score(d.X, (r % d.rows) * d.cols); // warm up
    const c0 = cpu();
    const t0 = now();
    for (let r = 0; r < n; r++) acc += forest.score(d.X, r * d.cols);
    const t1 = now();
    const c1 = cpu();
    perVector = { name: d.name, us: ((t1 - t0) / n) * 1e6, cpuUs: ((c1 - c0) / n) * 1e6, n, check: acc };
  }

  const npm = {};
  let npmNote = 'skipped (--no-npm)';
  if (o.npm) {
    const require = createRequire(join(ROOT, 'package.json'));
    const NpmForest = require('isolation-forest').IsolationForest;
    const pkgVersion = JSON.parse(readFileSync(join(ROOT, 'node_modules/isolation-forest/package.json'), 'utf8')).version;
    npmNote = `isolation-forest@${pkgVersion}`;
    for (const d of sets) {
      const big = d.rows > 100000;
      const dd = big ? subsample(d, o.npmHttpRows) : d;
      const runs = big ? 1 : o.npmRuns;
      const r = runNpm(NpmForest, dd, runs);
      const same = dd === d ? ours[d.name] : runOurs(dd, o.seeds);
      npm[d.name] = { ...r, rows: dd.rows, runs, ours: same, sub: dd !== d };
      log(`npm ${d.name} (${dd.rows} rows, ${runs} run(s)): AUC ${fmtAuc(r.aucs)} fit ${fmtS(r.fit)} s score ${fmtS(r.score)} s`);
    }
  }

  let sk = { error: 'skipped (--no-sklearn)' };
  if (o.sklearn) {
    log('scikit-learn: running (http takes about a minute for 5 seeds)...');
    sk = runSklearn(o.sets, o.seeds);
    if (sk.error) log(`scikit-learn: ${sk.error}`);
  }
  // seed-stability check for sets off the reference by more than 0.005
  const stability = [];
  if (o.stability > 0) {
    const flagged = sets.filter((d) => d.rows < 100000 && Math.abs(mean(ours[d.name].aucs) - REFERENCE[d.name].auc) > 0.005);
    const skMany = flagged.length > 0 && o.sklearn && !sk.error ? runSklearn(flagged.map((d) => d.name), o.stability) : null;
    for (const d of flagged) {
      const r = runOurs(d, o.stability);
      stability.push({ name: d.name, ours: r.aucs, sk: skMany?.byName?.[d.name]?.aucs ?? null });
      log(`stability ${d.name}: PathHelm ${fmtAuc(r.aucs)}${skMany?.byName ? ` sklearn ${fmtAuc(skMany.byName[d.name].aucs)}` : ''}`);
    }
  }
  const load1 = loadavg()[0];

  // ---------------------------------------------------------------- report
  const L = [];
  const cmd = `npm run bench:forest${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  L.push('## Forest');
  L.push('');
  L.push(`Command: \`${cmd}\` (builds src/forest with bench/forest.tsconfig.json, then runs bench/forest.mjs).`);
  L.push(`Machine: ${machine()}; load average ${load0.toFixed(2)} at start, ${load1.toFixed(2)} at end (shared machine).`);
  L.push(
    `Protocol (../shared/datasets/README.md): 100 trees, sub-sample 256, fit on all rows (labels unused), score all rows once in memory (\`scoreBatch\`), ROC AUC of the score against \`label\`; mean ± sd over seeds 0..${o.seeds - 1}; seconds are means over the seeds. "ref" = scikit-learn 1.2.1 AUC from the datasets README; target |Δ| ≤ 0.01.`,
  );
  L.push('');
  const hasSk = !sk.error;
  L.push(
    hasSk
      ? `scikit-learn ${sk.version} ran in the same run (one thread, \`IsolationForest(n_estimators=100, max_samples=256, random_state=seed)\`, \`score_samples\`).`
      : `scikit-learn: ${sk.error}.`,
  );
  L.push('');
  const t = (wall, c) => `${fmtS(wall)} (${fmtS(c)})`;
  L.push('### Accuracy');
  L.push('');
  L.push(`| data set | rows × d | PathHelm AUC | ${hasSk ? 'sklearn AUC (this run) | ' : ''}ref AUC | PathHelm − ref |`);
  L.push(`|---|--:|---|${hasSk ? '---|' : ''}---|--:|`);
  let allOk = true;
  for (const d of sets) {
    const r = ours[d.name];
    const ref = REFERENCE[d.name];
    const delta = mean(r.aucs) - ref.auc;
    const ok = Math.abs(delta) <= 0.01;
    allOk &&= ok;
    const s = hasSk ? sk.byName[d.name] : null;
    L.push(
      `| ${d.name} | ${d.rows.toLocaleString('en-US')} × ${d.cols} | ${fmtAuc(r.aucs)} | ${s ? `${fmtAuc(s.aucs)} | ` : ''}${ref.auc.toFixed(4)} | ${delta >= 0 ? '+' : ''}${delta.toFixed(4)} ${ok ? '✓' : '✗'} |`,
    );
  }
  L.push('');
  if (stability.length > 0) {
    L.push(
      `Seed stability: sets more than 0.005 from the reference, re-run over seeds 0..${o.stability - 1} (mean ± sd; the standard error of a ${o.stability}-seed mean is sd/√${o.stability}):`,
    );
    L.push('');
    L.push(`| data set | PathHelm AUC, ${o.stability} seeds | sklearn AUC, ${o.stability} seeds (this run) | difference |`);
    L.push('|---|---|---|--:|');
    for (const s of stability) {
      L.push(
        `| ${s.name} | ${fmtAuc(s.ours)} | ${s.sk ? fmtAuc(s.sk) : 'n/a'} | ${s.sk ? `${mean(s.ours) - mean(s.sk) >= 0 ? '+' : ''}${(mean(s.ours) - mean(s.sk)).toFixed(4)}` : ''} |`,
      );
    }
    L.push('');
  }
  L.push('### Speed');
  L.push('');
  L.push(
    'Seconds as wall-clock (CPU time of the process in parentheses: user + system, which other work on a shared machine inflates far less). Speed-ups = sklearn ÷ PathHelm, on wall-clock and on CPU time.',
  );
  L.push('');
  if (hasSk) {
    L.push('| data set | PathHelm fit s | sklearn fit s | PathHelm score s | sklearn score s | score speed-up wall | score speed-up CPU | fit speed-up CPU |');
    L.push('|---|--:|--:|--:|--:|--:|--:|--:|');
  } else {
    L.push('| data set | PathHelm fit s | PathHelm score s |');
    L.push('|---|--:|--:|');
  }
  for (const d of sets) {
    const r = ours[d.name];
    const s = hasSk ? sk.byName[d.name] : null;
    L.push(
      s
        ? `| ${d.name} | ${t(r.fit, r.fitCpu)} | ${t(s.fit, s.fitCpu)} | ${t(r.score, r.scoreCpu)} | ${t(s.score, s.scoreCpu)} | ${fmtX(s.score / r.score)} | ${fmtX(s.scoreCpu / r.scoreCpu)} | ${fmtX(s.fitCpu / r.fitCpu)} |`
        : `| ${d.name} | ${t(r.fit, r.fitCpu)} | ${t(r.score, r.scoreCpu)} |`,
    );
  }
  L.push('');
  const http = ours.http;
  if (http) {
    L.push(
      `Targets: AUC within 0.01 of the reference on every set: **${allOk ? 'met' : 'NOT met'}**. http scoring < 1.1 s: ${fmtS(http.score)} s wall mean (best ${fmtS(http.scoreMin)} s), ${fmtS(http.scoreCpu)} s CPU: **${http.scoreCpu < 1.1 ? 'met on CPU time' : 'NOT met'}${http.score < 1.1 ? ' and wall-clock' : ''}**. Fit < 0.3 s: ${fmtS(http.fit)} s wall, ${fmtS(http.fitCpu)} s CPU: **${http.fit < 0.3 ? 'met' : 'NOT met'}**.`,
    );
  }
  L.push(
    `Single-vector \`score(x)\` (the gateway's call): ${perVector.us.toFixed(2)} µs wall, ${perVector.cpuUs.toFixed(2)} µs CPU per vector (${perVector.n.toLocaleString('en-US')} ${perVector.name} rows, 100 trees).`,
  );
  L.push('');
  if (o.npm) {
    L.push('### Beside the `isolation-forest` npm package');
    L.push('');
    L.push(
      `\`${npmNote}\` in the same process (rows as objects, as its API needs). It is unseeded (${o.npmRuns} runs per set) and builds every tree from all rows (its sub-sample is drawn and ignored), so on http it would take minutes per run: there it runs once on a fixed ${o.npmHttpRows.toLocaleString('en-US')}-row seeded sub-sample, and PathHelm is timed and scored on the same sub-sample. Speed-ups = npm ÷ PathHelm on CPU time; wall-clock (CPU) seconds.`,
    );
    L.push('');
    L.push('| data set | rows used | npm AUC | PathHelm AUC (same rows) | npm fit s | PathHelm fit s | fit speed-up | npm score s | PathHelm score s | score speed-up |');
    L.push('|---|--:|---|---|--:|--:|--:|--:|--:|--:|');
    for (const d of sets) {
      const r = npm[d.name];
      L.push(
        `| ${d.name}${r.sub ? ' (sub-sample)' : ''} | ${r.rows.toLocaleString('en-US')} | ${fmtAuc(r.aucs)} | ${fmtAuc(r.ours.aucs)} | ${t(r.fit, r.fitCpu)} | ${t(r.ours.fit, r.ours.fitCpu)} | ${fmtX(r.fitCpu / r.ours.fitCpu)} | ${t(r.score, r.scoreCpu)} | ${t(r.ours.score, r.ours.scoreCpu)} | ${fmtX(r.scoreCpu / r.ours.scoreCpu)} |`,
      );
    }
    L.push('');
  }
  L.push('Notes:');
  L.push('');
  L.push(
    '- Same algorithm as scikit-learn (sub-sample without replacement, one random non-constant feature per node, threshold uniform in [min, max), left when `<=`, height limit 8), with two deliberate differences: PathHelm uses the exact harmonic number in c(n) (c(256) = 10.2487; scikit-learn\'s ln(n−1) + γ gives 10.2448, and the gap is largest for small leaves), and it keeps float64 data where scikit-learn converts to float32. Different random streams mean different trees, so per-seed AUCs differ; with 2,000 trees both converge to the same AUC (mammography, seeds 0 and 1: PathHelm 0.8656 / 0.8639, scikit-learn 0.8632 / 0.8641, measured 2026-11-21 with a one-off script).',
  );
  L.push(
    '- The spread between seeds at 100 trees (sd up to 0.01 on mammography and cardio) is of the same size as the 0.01 target, so a 5-seed mean can miss it by chance; the seed-stability table above (more seeds, both implementations in the same run) shows whether a gap is the seeds or the algorithm.',
  );
  L.push(
    '- Wall-clock seconds on this shared machine include time other processes held the CPU (see the load average); the CPU-time columns and ratios are the comparable figures. scikit-learn\'s CPU time includes its float32 conversion of the input.',
  );
  L.push('');
  L.push('Absolute seconds drift between machines and with load; compare the ratios measured side by side in one run.');
  L.push('');
  const section = L.join('\n');
  console.log(section);

  if (o.write) {
    let doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# Benchmarks\n\nResults of `npm run bench:*`, with machine and command, as ratios measured in one run.\n\n';
    const start = doc.search(/^## Forest\s*$/m);
    if (start < 0) {
      doc = `${doc.replace(/\n*$/, '\n\n')}${section}`;
    } else {
      const rest = doc.slice(start + 1);
      const next = rest.search(/^## /m);
      const end = next < 0 ? doc.length : start + 1 + next;
      const kept = keptSubsections(doc.slice(start, end));
      doc = `${doc.slice(0, start)}${section}${kept}${next < 0 ? '' : '\n'}${doc.slice(end)}`;
    }
    writeFileSync(DOC, doc.endsWith('\n') ? doc : `${doc}\n`);
    log(`wrote the Forest section of ${DOC}`);
  }
}

/**
 * Hand-written subsections of the old "## Forest" section that --write carries over unchanged (their
 * numbers come from other commands, named inside them): "### Why mammography differs".
 */
function keptSubsections(oldSection) {
  const start = oldSection.search(/^### Why mammography differs\s*$/m);
  if (start < 0) return '';
  const rest = oldSection.slice(start + 1);
  const next = rest.search(/^### /m);
  const text = next < 0 ? oldSection.slice(start) : oldSection.slice(start, start + 1 + next);
  return `\n${text.replace(/\n*$/, '\n')}`;
}

main();
