// Owns the wiring of the behaviour engine into one gateway: the model holder (load + hot reload), the ban
// manager with its SQLite store (load at start, deferred writes, polling for lifts), and the two passes it adds
// to the pipeline (`ban` right after auth, `behaviour` last). buildPasses (src/gateway/passes.ts) calls it.
//
// Example:
//   const rt = createBehaviourRuntime(config, { db });             // loads config.ml.model (PH_ERR_MODEL if bad)
//   const passes = [identity, ipAccess, auth, rt.banPass, rateLimit, ...(rt.pass ? [rt.pass] : [])];
//   rt.close();   // also happens by itself once the gateway has closed its db
//
// No SQLite on the request path: bans are written via setImmediate in one transaction, and the lift marker
// is polled every `bans poll` interval (500 ms) by an unref'd timer.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONFIG, type PathHelmConfig } from '../config/types.js';
import { checkFeatures, loadModel, parseModel } from '../forest/model.js';
import type { Pass } from '../gateway/pipeline.js';
import { BanManager, banPass } from '../policy/bans.js';
import { BanStore } from '../policy/bans-store.js';
import { BehaviourEngine } from '../policy/behaviour.js';
import type { Db } from '../telemetry/db.js';
import { FEATURE_NAMES } from './features.js';
import { ModelHolder, type ModelLoader } from './model.js';

/** The model shipped in the package (used when the default relative path does not exist in the cwd). */
export const PACKAGED_MODEL = fileURLToPath(new URL('../../models/default.json', import.meta.url));

/**
 * The model file serve uses for `ml.model`: the path as configured, except that the untouched default
 * ('models/default.json') falls back to the model shipped with pathhelm when the cwd has none.
 */
export function resolveModelPath(model: string): string {
  if (model === DEFAULT_CONFIG.ml.model && !existsSync(resolve(model)) && existsSync(PACKAGED_MODEL)) return PACKAGED_MODEL;
  return resolve(model);
}

/** serve's model loader: parse (pathhelm-iforest v1) and check the features match this pathhelm's. */
export const loadServeModel: ModelLoader = (path, text) => {
  const model = text === undefined ? loadModel(path) : parseModel(text, path);
  checkFeatures(model, FEATURE_NAMES);
  return model;
};

export interface BehaviourRuntimeDeps {
  db?: Db;
  now?: () => number;
  /** Parses a model file (default loadServeModel). */
  loader?: ModelLoader;
  /** How often the ban store is polled for changes by other processes (default 500 ms). */
  pollMs?: number;
  /** Watch the model file for changes (default true). */
  watchModel?: boolean;
}

export interface BehaviourRuntime {
  /** 403 `banned` for banned clients; place right after identity/auth. */
  readonly banPass: Pass;
  /** The behaviour pass (null with --no-model or behaviour.enabled false); place last. */
  readonly pass: Pass | null;
  readonly engine: BehaviourEngine | null;
  readonly bans: BanManager;
  readonly store: BanStore | null;
  readonly model: ModelHolder | null;
  close(): void;
}

const live = new Set<BehaviourRuntime>();
const dbOf = new WeakMap<BehaviourRuntime, Db>();

/** What GET /_pathhelm/behaviour reports for the gateway using `db` (null when none runs in this process). */
export function behaviourStatus(db: Db, now = Date.now()): unknown {
  for (const rt of live) {
    if (dbOf.get(rt) !== db) continue;
    const m = rt.model;
    const sc = m?.scorer ?? null;
    return {
      model: m
        ? {
            path: m.path,
            blockThreshold: sc?.blockThreshold ?? null,
            flagThreshold: sc?.flagThreshold ?? null,
            thresholdMethod: sc?.model.meta.threshold.method ?? null,
            reloads: m.reloads,
            refusedReloads: m.refusals,
            lastError: m.lastError,
          }
        : null,
      trackedClients: rt.engine?.tracker.size ?? 0,
      evictedClients: rt.engine?.tracker.evictions ?? 0,
      decisions: rt.engine ? { ...rt.engine.stats } : null,
      standingBans: rt.bans.list(now).length,
      banStore: rt.store ? { failures: rt.store.failures, lastError: rt.store.lastError } : null,
    };
  }
  return null;
}

/** Closes every live runtime (tests; serve's shutdown). */
export function closeBehaviourRuntimes(): void {
  for (const rt of [...live]) rt.close();
}

export function createBehaviourRuntime(config: Readonly<Pick<PathHelmConfig, 'mode' | 'behaviour' | 'ml' | 'bans' | 'rateLimit'>>, deps: BehaviourRuntimeDeps = {}): BehaviourRuntime {
  const now = deps.now ?? Date.now;
  let model: ModelHolder | null = null;
  if (config.behaviour.enabled && config.ml.model !== null) {
    model = new ModelHolder(resolveModelPath(config.ml.model), { blockThreshold: config.ml.blockThreshold, flagThreshold: config.ml.flagThreshold }, deps.loader ?? loadServeModel);
    model.load();
  }
  const store = deps.db ? new BanStore(deps.db) : null;
  const bans = new BanManager({ baseMs: config.bans.baseMs, maxMs: config.bans.maxMs, sink: store ?? undefined });
  if (store) store.loadInto(bans, now());
  const engine = model ? new BehaviourEngine({ config, model, bans }) : null;
  if (model && deps.watchModel !== false) model.watch();

  let timer: NodeJS.Timeout | null = null;
  const rt: BehaviourRuntime = {
    banPass: banPass(bans),
    pass: engine ? engine.pass : null,
    engine,
    bans,
    store,
    model,
    close() {
      if (timer) clearInterval(timer);
      timer = null;
      model?.close();
      if (store && deps.db?.open) store.flush();
      live.delete(rt);
    },
  };
  if (store && deps.db) {
    const db = deps.db;
    timer = setInterval(() => {
      if (!db.open) {
        rt.close(); // the gateway closed its db: this runtime is over
        return;
      }
      try {
        for (const b of store.poll(bans, now())) if (b.lifted !== null) engine?.forget(b.clientId);
      } catch (err) {
        store.failures++;
        store.lastError = err instanceof Error ? err.message : String(err);
      }
    }, deps.pollMs ?? 500);
    timer.unref();
  }
  live.add(rt);
  if (deps.db) dbOf.set(rt, deps.db);
  return rt;
}
