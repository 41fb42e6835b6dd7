// Owns `pathhelm simulate`: drives a running gateway (loopback only) with ordinary clients and attackers, each
// from its own 127.x.y.z source address, replaying the seeded sessions of src/dataset/profiles.ts in real time,
// and reports per profile what the gateway did: requests, statuses, gateway reasons, and the request number at
// which each attacker was first throttled or blocked — and whether any ordinary client ever was.
//
// Example:
//   const r = await simulate({ target: 'http://127.0.0.1:8000', durationMs: 30_000, clients: 8,
//                              attackers: ['scraper', 'stuffing', 'burst', 'slow-bot', 'scanner'], keys: [] });
//   r.ordinaryStopped;   // 0 is what we want
//   r.profiles.find((p) => p.profile === 'scraper')!.firstStopped; // e.g. { min: 24, max: 24 }
//
// Choices:
// - A refusal counts as the gateway's when the JSON body carries the gateway's `requestId` + `error` fields (the
//   demo backend's own 401/404 bodies do not), so a user's mistyped password is not a "block".
// - Attackers: per attacker the first of up to 20 seeded sessions that sends at least 40 requests within the
//   duration is used (else the busiest), so every attacker can be judged in a short run. The slow bot (one
//   request every 1-3 s) is the one that needs a longer run: it is judged by its 22nd request at the earliest
//   (model) and its 26th (regular-crawl rule); its busiest of 20 sessions (~1 request/s) sends 22-29 in 30 s and
//   at least 26 in 45 s (every seed 0-99: tests/unit/sim/simulate.test.ts; live: tests/e2e/slowbot.test.ts).
// - Login bodies are sent as {"user","password"}, the demo backend's format.
// - Bounded: each client stops at the deadline or after 50,000 requests; at most 2,000 clients.

import { setMaxListeners } from 'node:events';
import { isIPv4 } from 'node:net';
import { Pool } from 'undici';
import { PROFILES, profileByName, type Profile, type ProfileRequest } from '../dataset/profiles.js';
import { Random } from '../dataset/rng.js';
import { PathHelmError } from '../errors.js';

/** Attacker names accepted by --attackers → profile names. */
export const ATTACKER_ALIASES: Readonly<Record<string, string>> = {
  scraper: 'scraper',
  stuffing: 'credential_stuffer',
  'credential-stuffer': 'credential_stuffer',
  credential_stuffer: 'credential_stuffer',
  burst: 'burst',
  'slow-bot': 'slow_bot',
  slow_bot: 'slow_bot',
  scanner: 'scanner',
};
export const DEFAULT_ATTACKERS = ['scraper', 'stuffing', 'burst', 'slow-bot', 'scanner'];
/** Ordinary profiles and how often each is picked. */
const ORDINARY: Array<[string, number]> = [
  ['browser_user', 0.55],
  ['mobile_user', 0.3],
  ['shared_office', 0.15],
];

const MAX_CLIENTS = 2_000;
const MAX_REQUESTS_PER_CLIENT = 50_000;
const ATTACKER_MIN_REQUESTS = 40;

export interface SimulateOptions {
  /** Gateway base URL on a loopback IPv4 address, e.g. http://127.0.0.1:8000. */
  target: string;
  durationMs: number;
  /** Ordinary clients. */
  clients: number;
  /** Attacker names (see ATTACKER_ALIASES); one client each. */
  attackers: string[];
  /** API keys handed out round-robin (ordinary clients first); none = no key header. */
  keys: string[];
  /** Header carrying the key (default x-api-key). */
  keyHeader?: string;
  seed?: number;
  /** Stops the run early (SIGINT). */
  signal?: AbortSignal;
}

export interface ClientResult {
  profile: string;
  kind: 'ordinary' | 'attacker';
  ip: string;
  /** Index of the key used (into options.keys), or null. */
  keyIndex: number | null;
  requests: number;
  statuses: Record<string, number>;
  /** Gateway refusal reasons (from the gateway's JSON error body). */
  reasons: Record<string, number>;
  /** 1-based number of the first request the gateway throttled or blocked, or null. */
  firstStoppedAt: number | null;
  firstStoppedReason: string | null;
  /** Seconds since the client started when it was first stopped. */
  firstStoppedAfterS: number | null;
  /** Transport errors (connection refused, reset). */
  errors: number;
}

export interface ProfileResult {
  profile: string;
  kind: 'ordinary' | 'attacker';
  clients: number;
  requests: number;
  statuses: Record<string, number>;
  reasons: Record<string, number>;
  /** Clients the gateway throttled or blocked at least once. */
  stoppedClients: number;
  /** Range of firstStoppedAt over the stopped clients. */
  firstStopped: { min: number; max: number } | null;
  errors: number;
}

export interface SimulateResult {
  target: string;
  durationMs: number;
  clients: ClientResult[];
  profiles: ProfileResult[];
  /** Ordinary clients that were throttled or blocked at least once (should be 0). */
  ordinaryStopped: number;
  attackersStopped: number;
  attackersTotal: number;
}

/** Source address of the i-th client of a group (group 1 = ordinary, 2 = attackers): 127.G.x.y. */
export function clientAddress(group: number, i: number): string {
  return `127.${group}.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

function checkTarget(target: string): URL {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new PathHelmError('PH_ERR_USAGE', `--target must be a URL like http://127.0.0.1:8000, got "${target}"`);
  }
  if (url.protocol !== 'http:') throw new PathHelmError('PH_ERR_USAGE', `--target must be an http:// URL, got "${target}"`);
  const host = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname;
  if (!isIPv4(host) || !host.startsWith('127.')) {
    throw new PathHelmError('PH_ERR_USAGE', `--target must be a loopback IPv4 address (127.0.0.0/8 or localhost): simulate only drives a local gateway, got "${url.hostname}"`);
  }
  url.hostname = host;
  return url;
}

/** Resolves --attackers names to profiles (throws PH_ERR_USAGE naming the unknown one). */
export function attackerProfiles(names: string[]): Profile[] {
  return names.map((n) => {
    const p = ATTACKER_ALIASES[n.trim()];
    if (!p) throw new PathHelmError('PH_ERR_USAGE', `unknown attacker "${n}"; known: ${Object.keys(ATTACKER_ALIASES).join(', ')}`);
    return profileByName(p);
  });
}

function withinDuration(reqs: ProfileRequest[], durationMs: number): number {
  let n = 0;
  for (const r of reqs) if (r.at < durationMs) n++;
  return n;
}

interface Plan {
  profile: Profile;
  kind: 'ordinary' | 'attacker';
  ip: string;
  keyIndex: number | null;
  requests: ProfileRequest[];
  staggerMs: number;
}

/** Builds the clients (deterministic for a seed). */
export function planClients(opts: SimulateOptions): Plan[] {
  const rng = new Random(opts.seed ?? 1);
  const plans: Plan[] = [];
  const total = opts.clients + opts.attackers.length;
  if (total > MAX_CLIENTS) throw new PathHelmError('PH_ERR_USAGE', `at most ${MAX_CLIENTS} simulated clients, got ${total}`);
  const key = (i: number): number | null => (opts.keys.length === 0 ? null : i % opts.keys.length);
  for (let i = 0; i < opts.clients; i++) {
    const name = ORDINARY[rng.weighted(ORDINARY.map((o) => o[1]))][0];
    const profile = profileByName(name);
    plans.push({ profile, kind: 'ordinary', ip: clientAddress(1, i), keyIndex: key(i), requests: profile.session(rng.fork()), staggerMs: rng.uniform(0, 1000) });
  }
  const attackers = attackerProfiles(opts.attackers);
  attackers.forEach((profile, j) => {
    let best: ProfileRequest[] = [];
    let bestN = -1;
    for (let k = 0; k < 20; k++) {
      const s = profile.session(rng.fork());
      const n = withinDuration(s, opts.durationMs);
      if (n > bestN) {
        best = s;
        bestN = n;
      }
      if (n >= ATTACKER_MIN_REQUESTS) break;
    }
    plans.push({ profile, kind: 'attacker', ip: clientAddress(2, j), keyIndex: key(opts.clients + j), requests: best, staggerMs: rng.uniform(0, 1000) });
  });
  return plans;
}

function loginBodyForBackend(body: string | null): string | null {
  if (body === null) return null;
  try {
    const b = JSON.parse(body) as { username?: unknown; password?: unknown };
    if (typeof b.username === 'string') return JSON.stringify({ user: b.username, password: b.password });
  } catch {
    // not JSON: send as is
  }
  return body;
}

function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function runClient(plan: Plan, url: URL, opts: SimulateOptions, t0: number, end: number): Promise<ClientResult> {
  const res: ClientResult = {
    profile: plan.profile.name,
    kind: plan.kind,
    ip: plan.ip,
    keyIndex: plan.keyIndex,
    requests: 0,
    statuses: {},
    reasons: {},
    firstStoppedAt: null,
    firstStoppedReason: null,
    firstStoppedAfterS: null,
    errors: 0,
  };
  const pool = new Pool(url.origin, { connections: 4, localAddress: plan.ip, keepAliveTimeout: 10_000 });
  const keyHeader = opts.keyHeader ?? 'x-api-key';
  const start = t0 + plan.staggerMs;
  try {
    for (const r of plan.requests) {
      const due = start + r.at;
      if (due >= end || res.requests >= MAX_REQUESTS_PER_CLIENT || opts.signal?.aborted) break;
      const wait = due - Date.now();
      if (wait > 1) await sleep(wait, opts.signal);
      if (Date.now() >= end || opts.signal?.aborted) break;
      const headers: Record<string, string> = {};
      if (plan.keyIndex !== null && r.withKey) headers[keyHeader] = opts.keys[plan.keyIndex];
      const body = r.method === 'POST' ? loginBodyForBackend(r.body) : null;
      if (body !== null) headers['content-type'] = 'application/json';
      res.requests++;
      try {
        const resp = await pool.request({ path: r.query ? `${r.path}?${r.query}` : r.path, method: r.method, headers, body: body ?? undefined });
        const text = await resp.body.text();
        bump(res.statuses, String(resp.statusCode));
        if (resp.statusCode >= 400 && text.includes('"requestId"')) {
          let reason = 'unknown';
          try {
            reason = String((JSON.parse(text) as { error?: unknown }).error ?? 'unknown');
          } catch {
            // not the gateway's body after all
          }
          bump(res.reasons, reason);
          if ((resp.statusCode === 429 || resp.statusCode === 403 || resp.statusCode === 401) && res.firstStoppedAt === null) {
            res.firstStoppedAt = res.requests;
            res.firstStoppedReason = reason;
            res.firstStoppedAfterS = Math.round((Date.now() - start) / 100) / 10;
          }
        }
      } catch {
        res.errors++;
        bump(res.statuses, 'error');
        if (res.errors > 50 && res.errors === res.requests) break; // the gateway is not there
      }
    }
  } finally {
    await pool.close().catch(() => undefined);
  }
  return res;
}

function aggregate(clients: ClientResult[]): ProfileResult[] {
  const by = new Map<string, ProfileResult>();
  for (const c of clients) {
    let p = by.get(c.profile);
    if (!p) {
      p = { profile: c.profile, kind: c.kind, clients: 0, requests: 0, statuses: {}, reasons: {}, stoppedClients: 0, firstStopped: null, errors: 0 };
      by.set(c.profile, p);
    }
    p.clients++;
    p.requests += c.requests;
    p.errors += c.errors;
    for (const [k, v] of Object.entries(c.statuses)) p.statuses[k] = (p.statuses[k] ?? 0) + v;
    for (const [k, v] of Object.entries(c.reasons)) p.reasons[k] = (p.reasons[k] ?? 0) + v;
    if (c.firstStoppedAt !== null) {
      p.stoppedClients++;
      const f = c.firstStoppedAt;
      p.firstStopped = p.firstStopped ? { min: Math.min(p.firstStopped.min, f), max: Math.max(p.firstStopped.max, f) } : { min: f, max: f };
    }
  }
  const order = PROFILES.map((p) => p.name);
  return [...by.values()].sort((a, b) => order.indexOf(a.profile) - order.indexOf(b.profile));
}

/** Runs the simulation; resolves when every client finished (at the deadline at the latest, plus in-flight requests). */
export async function simulate(opts: SimulateOptions): Promise<SimulateResult> {
  const url = checkTarget(opts.target);
  if (!(opts.durationMs > 0)) throw new PathHelmError('PH_ERR_USAGE', `--duration must be > 0, got ${opts.durationMs} ms`);
  if (!Number.isInteger(opts.clients) || opts.clients < 0) throw new PathHelmError('PH_ERR_USAGE', `--clients must be an integer >= 0, got ${opts.clients}`);
  const plans = planClients(opts);
  if (opts.signal) setMaxListeners(plans.length + 10, opts.signal); // one sleeping listener per client
  const t0 = Date.now() + 50;
  const end = t0 + opts.durationMs;
  const clients = await Promise.all(plans.map((p) => runClient(p, url, opts, t0, end)));
  const attackers = clients.filter((c) => c.kind === 'attacker');
  return {
    target: url.origin,
    durationMs: opts.durationMs,
    clients,
    profiles: aggregate(clients),
    ordinaryStopped: clients.filter((c) => c.kind === 'ordinary' && c.firstStoppedAt !== null).length,
    attackersStopped: attackers.filter((c) => c.firstStoppedAt !== null).length,
    attackersTotal: attackers.length,
  };
}
