// Owns the ordered list of decision passes the gateway runs for every request, built once from
// the config. Access control, rate limits and behaviour scoring add their passes HERE, in order.
//
// Example:
//   const passes = buildPasses(config, { db });
//   // server.ts: for (const p of passes) { const v = p.run(ctx); if (v) ... } — first verdict wins.

import type { PathHelmConfig } from '../config/types.js';
import type { Db } from '../telemetry/db.js';
import type { Pass } from './pipeline.js';
import { KeyTable, watchKeys } from '../keys/table.js';
import { createAccessPasses } from '../policy/access.js';
import { createBehaviourRuntime } from '../behaviour/runtime.js';
import { registerFeatureSet } from '../telemetry/features-codec.js';

/** What passes may need besides the config. Extend compatibly (optional fields). */
export interface PassDeps {
  /** The gateway's SQLite handle, for loading state at start-up only (never on the request path). */
  db?: Db;
  /** Clock for start-up work (passes themselves use ctx.now). */
  now?: () => number;
}

/**
 * The pipeline, in order: identity → deny list → API key → rate limits → behaviour/forest.
 * Each pass is synchronous and allocation-light; the first verdict wins (in monitor mode it is
 * recorded as would_decision and the request is forwarded anyway).
 */
export function buildPasses(config: Readonly<PathHelmConfig>, deps: PassDeps = {}): Pass[] {
  void config;
  void deps;
  const passes: Pass[] = [];
  // Access control (issue 3): identity → deny/allow → API key → rate limits (names: identity,
  // denylist, auth, rate-limit). Keys are held in memory and reloaded from deps.db within 250 ms of
  // `pathhelm keys` changing them; no SQLite read per request.
  const keys = new KeyTable();
  if (deps.db) watchKeys(deps.db, keys);
  passes.push(...createAccessPasses(config, { keys }).passes);
  // identity (trusted proxies, IPv6 /64)   — src/policy (access control)
  // deny list / allow list                  — src/policy
  // API key                                 — src/keys + src/policy
  // rate limits                             — src/policy
  // behaviour window + forest score         — src/behaviour + src/forest
  // Behaviour engine (issue 5): the ban check goes right after auth (front when there is none), the
  // behaviour pass last. createBehaviourRuntime loads ml.model (PH_ERR_MODEL when missing/bad), watches it,
  // loads standing bans from deps.db and polls them for lifts.
  const behaviour = createBehaviourRuntime(config, { db: deps.db, now: deps.now });
  // Scored rows store features compactly under this pathhelm's feature-set id; name the set once.
  if (behaviour.pass && deps.db && !deps.db.readonly) registerFeatureSet(deps.db);
  passes.splice(passes.findIndex((p) => p.name === 'auth') + 1, 0, behaviour.banPass);
  if (behaviour.pass) passes.push(behaviour.pass);
  return passes;
}
