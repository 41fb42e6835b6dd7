// Owns loading the effective configuration: cosmiconfig search or --config file, env, flag overrides, masking.
//
// Example:
//   const config = await loadConfig({ configFile: opts.config, overrides: { port: 8080, db: opts.db } });
//   configSource(config); // '/srv/app/pathhelm.config.yaml' or null (embedded defaults)
//
// Precedence (highest first): overrides (CLI flags) > environment (PATHHELM_GATEWAY_TOKEN, PATHHELM_ADMIN_TOKEN)
// > config file > DEFAULT_CONFIG. Relative paths (db, ml.model) written in a config file resolve against the
// file's directory; `db` from flags or defaults resolves against `cwd`.

import { cosmiconfig } from 'cosmiconfig';
import { existsSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { PathHelmError } from '../errors.js';
import { DEFAULT_CONFIG, SECRET_KEYS, type PathHelmConfig } from './types.js';
import { applyLayer, checkCombined, deepFreeze, type DeepPartial } from './validate.js';

export { validateConfig, type DeepPartial } from './validate.js';

/** File names searched in the current directory, in this order (first match wins). */
export const SEARCH_PLACES = [
  'pathhelm.config.json',
  'pathhelm.config.yaml',
  'pathhelm.config.yml',
  'pathhelm.config.js',
  'pathhelm.config.mjs',
  'pathhelm.config.cjs',
  '.pathhelmrc',
  '.pathhelmrc.json',
  '.pathhelmrc.yaml',
  '.pathhelmrc.yml',
  '.pathhelmrc.js',
  '.pathhelmrc.mjs',
  '.pathhelmrc.cjs',
  'package.json',
] as const;

/** Environment variables read by loadConfig (secrets only; everything else goes in a file or flags). */
export const ENV_VARS = {
  PATHHELM_GATEWAY_TOKEN: 'gatewayToken',
  PATHHELM_ADMIN_TOKEN: 'admin.token',
} as const;

export type SecretSource = 'flag' | 'env' | 'file' | 'default';

export interface LoadMeta {
  /** Absolute path of the config file used, or null when none was found (embedded defaults). */
  file: string | null;
  /** Where each secret key's value came from. */
  secrets: Record<(typeof SECRET_KEYS)[number], SecretSource>;
}

const META = new WeakMap<object, LoadMeta>();

export interface LoadOptions {
  /** Load exactly this file (a missing file is an error) instead of searching `cwd`. */
  configFile?: string;
  /** Directory searched for a config file and against which flag paths resolve. Default process.cwd(). */
  cwd?: string;
  /** Values from CLI flags; `undefined` entries are ignored. */
  overrides?: DeepPartial<PathHelmConfig>;
  /** Environment to read PATHHELM_* from. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Finds, validates, layers and deep-freezes the effective configuration.
 * Throws PathHelmError PH_ERR_CONFIG whose message names the file, the key and the fix.
 */
export async function loadConfig(opts: LoadOptions = {}): Promise<Readonly<PathHelmConfig>> {
  const cwd = resolve(opts.cwd ?? process.cwd());
  const env = opts.env ?? process.env;
  const found = await findConfig(opts.configFile, cwd);
  const secrets: LoadMeta['secrets'] = { gatewayToken: 'default', 'admin.token': 'default' };

  let config = structuredClone(DEFAULT_CONFIG);
  config.db = resolve(cwd, config.db);
  let sourceLabel = 'configuration';
  if (found) {
    sourceLabel = displayName(found.filepath, cwd);
    config = applyLayer(found.config, config, sourceLabel, dirname(found.filepath));
    markSecrets(found.config, secrets, 'file');
  }

  const envLayer: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV_VARS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(envLayer, key, value);
  }
  config = applyLayer(envLayer, config, 'environment (PATHHELM_GATEWAY_TOKEN / PATHHELM_ADMIN_TOKEN)');
  markSecrets(envLayer, secrets, 'env');

  if (opts.overrides) {
    const flags = stripUndefined(opts.overrides);
    config = applyLayer(flags, config, 'command-line flags', cwd);
    markSecrets(flags, secrets, 'flag');
  }

  checkCombined(config, sourceLabel);
  const frozen = deepFreeze(config);
  META.set(frozen, { file: found ? found.filepath : null, secrets });
  return frozen;
}

/** The config file a loaded config came from (absolute), or null for embedded defaults / validateConfig. */
export function configSource(config: PathHelmConfig): string | null {
  return META.get(config)?.file ?? null;
}

/** Where a loaded config's secret came from ('default' for configs not made by loadConfig). */
export function secretSource(config: PathHelmConfig, key: (typeof SECRET_KEYS)[number]): SecretSource {
  return META.get(config)?.secrets[key] ?? 'default';
}

/**
 * A plain, unfrozen copy with every secret replaced: a set secret becomes "<set>", an unset one stays null.
 * No character of a secret is ever shown (not even the last four: the generated gateway token is
 * the only thing standing between the backend and the network).
 */
export function maskSecrets(config: PathHelmConfig): unknown {
  const copy = structuredClone(config) as unknown as Record<string, unknown>;
  for (const key of SECRET_KEYS) {
    const parts = key.split('.');
    let node: Record<string, unknown> | undefined = copy;
    for (const p of parts.slice(0, -1)) node = node?.[p] as Record<string, unknown> | undefined;
    const leaf = parts[parts.length - 1];
    if (node && node[leaf] !== null && node[leaf] !== undefined) node[leaf] = MASK;
  }
  return copy;
}

/** What maskSecrets puts in place of a set secret. */
export const MASK = '<set>';

// ------------------------------------------------------------------ internals

interface Found {
  config: unknown;
  filepath: string;
}

async function findConfig(configFile: string | undefined, cwd: string): Promise<Found | null> {
  const explorer = cosmiconfig('pathhelm', {
    searchPlaces: [...SEARCH_PLACES],
    mergeSearchPlaces: false,
    searchStrategy: 'none',
    cache: false,
  });
  if (configFile !== undefined) {
    const file = resolve(cwd, configFile);
    if (!existsSync(file)) {
      throw new PathHelmError('PH_ERR_CONFIG', `config file ${configFile} does not exist (resolved to ${file}); check the --config path`);
    }
    if (statSync(file).isDirectory()) {
      throw new PathHelmError('PH_ERR_CONFIG', `--config ${configFile} is a directory; pass a file such as ${configFile}/pathhelm.config.yaml`);
    }
    const result = await run(() => explorer.load(file), file, cwd);
    if (!result || result.isEmpty) return { config: {}, filepath: file };
    return { config: result.config, filepath: file };
  }
  const result = await run(() => explorer.search(cwd), undefined, cwd);
  if (!result || result.isEmpty) return null;
  return { config: result.config, filepath: result.filepath };
}

async function run<T>(fn: () => Promise<T>, file: string | undefined, cwd: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    const where = file ? displayName(file, cwd) : 'config file';
    const named = (err as { filepath?: string }).filepath;
    const label = named ? displayName(named, cwd) : where;
    throw new PathHelmError('PH_ERR_CONFIG', `${label}: cannot be read or parsed: ${why.split('\n')[0]}`, { cause: err });
  }
}

function displayName(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') ? rel : file;
}

function markSecrets(layer: unknown, secrets: LoadMeta['secrets'], source: SecretSource): void {
  for (const key of SECRET_KEYS) {
    if (getPath(layer, key) !== undefined) secrets[key] = source;
  }
}

function getPath(obj: unknown, key: string): unknown {
  let node = obj;
  for (const p of key.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[p];
  }
  return node;
}

function setPath(obj: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = obj;
  for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
  node[parts[parts.length - 1]] = value;
}

function stripUndefined(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = stripUndefined(x);
  return out;
}

