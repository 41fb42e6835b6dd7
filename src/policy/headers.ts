// Owns the rate-limit response headers: IETF draft-ietf-httpapi-ratelimit-headers-10
// (`RateLimit-Policy` / `RateLimit`, Structured Field lists of named policies) plus the de-facto
// `X-RateLimit-Limit/Remaining/Reset` trio for the most restrictive window, and `Retry-After`.
//
// Example:
//   const set = policySet('ip', [{ limit: 100, windowMs: 1000 }, { limit: 3000, windowMs: 600_000 }]);
//   set.policyHeader; // '"ip-1s";q=100;w=1, "ip-10m";q=3000;w=600'
//   // after limiter.hit(...):
//   pushRateLimitHeaders(ctx.responseHeaders, set, limiter.remaining, limiter.resetMs);
//   // RateLimit: "ip-1s";r=99;t=1, "ip-10m";r=2999;t=600
//   // X-RateLimit-Limit: 100, X-RateLimit-Remaining: 99, X-RateLimit-Reset: 1 (delta seconds)

import type { RateWindow } from '../config/types.js';

export interface PolicySet {
  readonly windows: readonly RateWindow[];
  /** Policy names as sf-strings without quotes, e.g. 'ip-1s'. */
  readonly names: readonly string[];
  /** Precomputed RateLimit-Policy value (constant for the set). */
  readonly policyHeader: string;
  /** Precomputed X-RateLimit-Limit values per window. */
  readonly limitText: readonly string[];
  /** Precomputed `"name";r=` per window and the constant RateLimit-Policy pair (shared, never mutated). */
  readonly itemPrefix: readonly string[];
  readonly policyPair: readonly [string, string];
}

function durationName(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

/** Names and precomputed header text for a scope's windows (scope: 'ip' or 'key'). */
export function policySet(scope: string, windows: readonly RateWindow[]): PolicySet {
  const names: string[] = [];
  const parts: string[] = [];
  for (const w of windows) {
    let name = `${scope}-${durationName(w.windowMs)}`;
    if (names.includes(name)) name = `${name}-${names.length}`;
    names.push(name);
    // w is an sf-integer of seconds; a window that is not whole seconds leaves it out (it is optional).
    parts.push(`"${name}";q=${w.limit}${w.windowMs % 1000 === 0 ? `;w=${w.windowMs / 1000}` : ''}`);
  }
  const policyHeader = parts.join(', ');
  return {
    windows,
    names,
    policyHeader,
    limitText: windows.map((w) => String(w.limit)),
    itemPrefix: names.map((n, i) => `${i > 0 ? ', ' : ''}"${n}";r=`),
    policyPair: Object.freeze(['RateLimit-Policy', policyHeader]) as readonly [string, string],
  };
}

/** Seconds for `t`/Reset/Retry-After: ms rounded up to whole seconds. */
export function toSeconds(ms: number): number {
  return ms <= 0 ? 0 : Math.ceil(ms / 1000);
}

/**
 * Appends RateLimit-Policy, RateLimit and X-RateLimit-* to `out` from the limiter's per-window
 * results. The X- trio describes the most restrictive window (fewest remaining; ties → later reset).
 */
export function pushRateLimitHeaders(
  out: Array<[string, string]>,
  set: PolicySet,
  remaining: ArrayLike<number>,
  resetMs: ArrayLike<number>,
): void {
  const n = set.windows.length;
  let value = '';
  let worst = 0;
  for (let i = 0; i < n; i++) {
    value += `${set.itemPrefix[i]}${remaining[i]};t=${toSeconds(resetMs[i])}`;
    if (remaining[i] < remaining[worst] || (remaining[i] === remaining[worst] && resetMs[i] > resetMs[worst])) worst = i;
  }
  out.push(
    set.policyPair as [string, string],
    ['RateLimit', value],
    ['X-RateLimit-Limit', set.limitText[worst]],
    ['X-RateLimit-Remaining', String(remaining[worst])],
    ['X-RateLimit-Reset', String(toSeconds(resetMs[worst]))],
  );
}
