// Owns the demo key of `pathhelm serve --demo`: created (and printed) on the first demo run against a
// database, remembered in api_key_meta so later runs say that it exists and how to add another.
//
// Example:
//   const demo = demoKeyHelp(gateway.db, config, Date.now());
//   out.write(demo.text);                      // "Demo API key (shown once): phk_…"
//   curl(`-H '${demo.curlHeader}'`);           // "X-API-Key: phk_…" or "X-API-Key: $PATHHELM_KEY"

import type { PathHelmConfig } from '../config/types.js';
import type { Db } from '../telemetry/db.js';
import { ensureDemoKey } from './store.js';

export interface DemoKeyHelp {
  /** Lines to print before the curl commands ('' when auth is off). */
  text: string;
  /** Header argument for curl, e.g. `X-API-Key: phk_…`; '' when auth is off. */
  curlHeader: string;
  /** The new key when it was created by this run. */
  key: string | null;
}

function headerName(h: string): string {
  return h.toLowerCase() === 'x-api-key' ? 'X-API-Key' : h;
}

export function demoKeyHelp(db: Db, config: Pick<PathHelmConfig, 'auth' | 'db'>, now: number): DemoKeyHelp {
  if (!config.auth.required) return { text: '', curlHeader: '', key: null };
  const name = headerName(config.auth.header);
  const r = ensureDemoKey(db, now);
  if (r.created) {
    return {
      key: r.key,
      curlHeader: `${name}: ${r.key}`,
      text:
        `\nDemo API key ${r.id} (name "demo"), shown only this once — PathHelm stores just its hash:\n  ${r.key}\n` +
        `Manage keys with: pathhelm keys list|add|revoke|rotate --db ${config.db}\n`,
    };
  }
  return {
    key: null,
    curlHeader: `${name}: $PATHHELM_KEY`,
    text:
      `\nA demo API key (${r.id ?? 'id unknown'}) was created on an earlier run and is not shown again.\n` +
      `Add a key and export it for the commands below:\n` +
      `  export PATHHELM_KEY=$(pathhelm keys add my-app --json --db ${config.db} | node -pe 'JSON.parse(require("fs").readFileSync(0)).key')\n`,
  };
}
