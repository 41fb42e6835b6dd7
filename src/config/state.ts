// Owns the state directory (the db's directory) and the gateway token kept in it.
//
// Example:
//   const { token, source, file } = resolveGatewayToken(config);
//   // source: 'flag/config' | 'env' | 'state-file' | 'generated'; never log `token`, `file` is safe to print.
//
// Precedence: --gateway-token / config file `gatewayToken` (flag > env > file, see load.ts) > env
// PATHHELM_GATEWAY_TOKEN > `<stateDir>/gateway-token` > a new token written there. The file is created
// once (256 random bits, base64url, mode 0600, directory 0700 when PathHelm creates it) through an
// exclusive hard link of a fully written temp file, so racing processes (`pathhelm backend` and
// `pathhelm serve` started together with the same --db) always read the same complete token.

import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PathHelmError } from '../errors.js';
import { ensureDir } from '../util/fs.js';
import { secretSource } from './load.js';
import type { PathHelmConfig } from './types.js';
import { secretProblem } from './validate.js';

export const GATEWAY_TOKEN_FILE = 'gateway-token';
export const GATEWAY_TOKEN_ENV = 'PATHHELM_GATEWAY_TOKEN';

export type GatewayTokenSource = 'flag/config' | 'env' | 'state-file' | 'generated';

export interface ResolvedGatewayToken {
  token: string;
  source: GatewayTokenSource;
  /** The state file read or written (absent when the token came from flags, config or env). Safe to print. */
  file?: string;
}

/** Directory holding PathHelm's state: dirname(config.db) (`./.pathhelm` when db is ":memory:"). */
export function stateDir(config: Pick<PathHelmConfig, 'db'>): string {
  if (config.db === ':memory:') return resolve('.pathhelm');
  return dirname(resolve(config.db));
}

/** Path of the gateway token file for this config. */
export function gatewayTokenFile(config: Pick<PathHelmConfig, 'db'>): string {
  return join(stateDir(config), GATEWAY_TOKEN_FILE);
}

/**
 * The token the gateway sends as X-Gateway-Token and the demo backend requires.
 * Creates `<stateDir>/gateway-token` on first use when nothing else provides one.
 */
export function resolveGatewayToken(config: PathHelmConfig, env: NodeJS.ProcessEnv = process.env): ResolvedGatewayToken {
  if (config.gatewayToken !== null) {
    return { token: config.gatewayToken, source: secretSource(config, 'gatewayToken') === 'env' ? 'env' : 'flag/config' };
  }
  const fromEnv = env[GATEWAY_TOKEN_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    const problem = secretProblem(fromEnv);
    if (problem) throw new PathHelmError('PH_ERR_CONFIG', `environment variable ${GATEWAY_TOKEN_ENV} ${problem}`);
    return { token: fromEnv, source: 'env' };
  }
  const file = gatewayTokenFile(config);
  const existing = readTokenFile(file);
  if (existing !== undefined) return { token: existing, source: 'state-file', file };
  const created = createTokenFile(file);
  return created.won ? { token: created.token, source: 'generated', file } : { token: created.token, source: 'state-file', file };
}

/**
 * Where resolveGatewayToken would take the token from, without creating anything (for `pathhelm config`).
 */
export function describeGatewayToken(config: PathHelmConfig, env: NodeJS.ProcessEnv = process.env): string {
  if (config.gatewayToken !== null) {
    return secretSource(config, 'gatewayToken') === 'env' ? `environment variable ${GATEWAY_TOKEN_ENV}` : 'configuration (flag or config file)';
  }
  if (env[GATEWAY_TOKEN_ENV]) return `environment variable ${GATEWAY_TOKEN_ENV}`;
  const file = gatewayTokenFile(config);
  try {
    statSync(file);
    return `state file ${file}`;
  } catch {
    return `state file ${file} (generated on first start)`;
  }
}

/** Reads and checks an existing token file; undefined when it does not exist. */
function readTokenFile(file: string): string | undefined {
  let text: string;
  try {
    if (process.platform !== 'win32') {
      const st = statSync(file);
      if ((st.mode & 0o077) !== 0) {
        throw new PathHelmError(
          'PH_ERR_CONFIG',
          `${file} is readable by other users (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); run \`chmod 600 ${file}\``,
        );
      }
    }
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (err instanceof PathHelmError) throw err;
    throw new PathHelmError('PH_ERR_CONFIG', `cannot read the gateway token file ${file}: ${(err as Error).message}`, { cause: err });
  }
  // A creator on a filesystem without hard links writes in place: wait briefly for its bytes.
  for (let i = 0; text.trim() === '' && i < 50; i++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    text = readFileSync(file, 'utf8');
  }
  const token = text.trim();
  const problem = secretProblem(token);
  if (problem) {
    throw new PathHelmError('PH_ERR_CONFIG', `the gateway token in ${file} ${problem}; delete the file to have a new one generated`);
  }
  return token;
}

/** Creates the token file exclusively; when another process won the race, returns its token. */
function createTokenFile(file: string): { token: string; won: boolean } {
  const dir = dirname(file);
  try {
    ensureDir(dir, 0o700);
  } catch (err) {
    throw new PathHelmError(
      'PH_ERR_CONFIG',
      `cannot create the state directory ${dir} for the gateway token: ${(err as Error).message}; choose a writable --db or set ${GATEWAY_TOKEN_ENV}`,
      { cause: err },
    );
  }
  const token = randomBytes(32).toString('base64url');
  const tmp = join(dir, `.${GATEWAY_TOKEN_FILE}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let won = false;
  try {
    writeExclusive(tmp, token);
    try {
      linkSync(tmp, file); // atomic and exclusive: fails with EEXIST when another process got there first
      won = true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        // No hard links here (some network/FUSE filesystems): fall back to an exclusive create in place.
        try {
          writeExclusive(file, token);
          won = true;
        } catch (err2) {
          if ((err2 as NodeJS.ErrnoException).code !== 'EEXIST') throw err2;
        }
      }
    }
  } catch (err) {
    throw new PathHelmError('PH_ERR_CONFIG', `cannot write the gateway token file ${file}: ${(err as Error).message}; choose a writable --db or set ${GATEWAY_TOKEN_ENV}`, { cause: err });
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
  }
  if (won) return { token, won };
  const theirs = readTokenFile(file);
  if (theirs === undefined) throw new PathHelmError('PH_ERR_CONFIG', `the gateway token file ${file} vanished while it was being created; start again`);
  return { token: theirs, won: false };
}

function writeExclusive(path: string, token: string): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, `${token}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
