// Owns the client profiles: seeded generators of request sequences (time offset, method, path, query, body) for
// ordinary users and attackers, against the demo backend's routes. `dataset generate` turns them into labelled
// feature rows; `pathhelm simulate` can replay the same sessions as real traffic.
//
// Example:
//   const rng = new Random(7);
//   for (const req of profileByName('scraper').session(rng)) console.log(req.at, req.method, req.path);
//   demoBackendStatus('GET', '/api/items/1001', null); // 404

import { Random } from './rng.js';

export interface ProfileRequest {
  /** Milliseconds since the start of the session (non-decreasing). */
  at: number;
  method: 'GET' | 'POST';
  /** Path without the query string. */
  path: string;
  /** Query string without '?', or '' (e.g. 'q=lamp'). */
  query: string;
  /** JSON request body, or null. */
  body: string | null;
  /** Whether the client sends its API key (scanners often do not). */
  withKey: boolean;
}

export interface Profile {
  name: string;
  /** 0 = ordinary client, 1 = attacker. */
  label: 0 | 1;
  description: string;
  /** Relative frequency among the profiles of the same label in generated data. */
  weight: number;
  /** One session of this client, time-ordered. Deterministic for a given generator state. */
  session(rng: Random): ProfileRequest[];
}

/** Demo backend: item ids that exist. */
export const ITEM_IDS = { min: 1, max: 1000 } as const;
/** Demo backend: user ids that exist. */
export const USER_IDS = { min: 1, max: 100 } as const;
/** Demo backend: the one account that logs in. */
export const DEMO_CREDENTIALS = { username: 'demo', password: 'demo' } as const;

/**
 * The status the demo backend (`pathhelm backend`) answers for a request: GET /health, GET /api/items,
 * GET /api/items/:id (1..1000), GET /api/search?q=, POST /api/login (demo/demo), GET /api/users/:id (1..100).
 */
export function demoBackendStatus(method: string, path: string, body: string | null): number {
  if (path === '/health' || path === '/api/items' || path === '/api/search') return method === 'GET' ? 200 : 405;
  if (path === '/api/login') {
    if (method !== 'POST') return 405;
    try {
      const b = JSON.parse(body ?? '') as { username?: unknown; password?: unknown };
      return b.username === DEMO_CREDENTIALS.username && b.password === DEMO_CREDENTIALS.password ? 200 : 401;
    } catch {
      return 400;
    }
  }
  const m = /^\/api\/(items|users)\/(\d{1,9})$/.exec(path);
  if (m) {
    if (method !== 'GET') return 405;
    const id = Number(m[2]);
    const r = m[1] === 'items' ? ITEM_IDS : USER_IDS;
    return id >= r.min && id <= r.max ? 200 : 404;
  }
  return 404;
}

const WORDS = [
  'lamp', 'chair', 'desk', 'kettle', 'bike', 'phone', 'camera', 'jacket', 'boots', 'guitar', 'book', 'table',
  'sofa', 'mirror', 'plant', 'rug', 'clock', 'speaker', 'monitor', 'keyboard', 'mouse', 'backpack', 'tent', 'oven',
];

/** Paths a vulnerability scanner probes (none exist on the demo backend). */
export const PROBE_PATHS = [
  '/.env', '/.git/config', '/.git/HEAD', '/wp-admin', '/wp-login.php', '/wp-config.php', '/xmlrpc.php', '/admin',
  '/admin/login', '/administrator', '/phpmyadmin', '/pma', '/mysql', '/server-status', '/config.json', '/config.yml',
  '/.aws/credentials', '/.ssh/id_rsa', '/backup.zip', '/backup.sql', '/db.sql', '/dump.sql', '/.DS_Store',
  '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php', '/cgi-bin/test.cgi', '/actuator', '/actuator/env',
  '/actuator/health', '/api/v1/users', '/api/v2/users', '/api/admin', '/api/debug', '/api/swagger.json',
  '/swagger-ui.html', '/graphql', '/console', '/.htaccess', '/.htpasswd', '/web.config', '/index.php', '/shell.php',
  '/login.jsp', '/manager/html', '/solr/admin', '/jenkins', '/telescope/requests', '/_profiler', '/debug/pprof',
  '/.well-known/security.txt', '/robots.txt', '/sitemap.xml', '/api/items/../../etc/passwd', '/api/users/0',
  '/api/users/-1', '/api/items/0', '/old', '/test', '/tmp', '/uploads', '/static/../../etc/shadow',
];

function req(at: number, method: 'GET' | 'POST', path: string, query = '', body: string | null = null, withKey = true): ProfileRequest {
  return { at: Math.round(at), method, path, query, body, withKey };
}

function loginBody(username: string, password: string): string {
  return JSON.stringify({ username, password });
}

/** 60 "popular" item ids, scattered over the catalogue (popularity has nothing to do with id order). */
const POPULAR_ITEMS = Array.from({ length: 60 }, (_, i) => ((i * 7919 + 13) % ITEM_IDS.max) + 1);

/** An item id a real user would follow: often a popular one, else any; sometimes a stale link (404). */
function userItemId(rng: Random): number {
  if (rng.chance(0.02)) return rng.int(1001, 1300);
  return rng.chance(0.4) ? rng.pick(POPULAR_ITEMS) : rng.int(ITEM_IDS.min, ITEM_IDS.max);
}

/** The requests one page view of the web app fires (SPA: a few API calls in parallel), appended from `t`. */
function pageView(rng: Random, t: number, out: ProfileRequest[], burstGapMs: number): number {
  const kind = rng.weighted([3, 4, 3, 1]);
  const paths: { path: string; query: string }[] = [];
  if (kind === 0) {
    paths.push({ path: '/api/items', query: `page=${rng.int(1, 20)}` });
    for (let i = rng.int(2, 8); i > 0; i--) paths.push({ path: `/api/items/${userItemId(rng)}`, query: '' });
  } else if (kind === 1) {
    paths.push({ path: `/api/items/${userItemId(rng)}`, query: '' });
    paths.push({ path: `/api/users/${rng.int(USER_IDS.min, USER_IDS.max)}`, query: '' });
    for (let i = rng.int(0, 5); i > 0; i--) paths.push({ path: `/api/items/${userItemId(rng)}`, query: '' });
  } else if (kind === 2) {
    paths.push({ path: '/api/search', query: `q=${rng.pick(WORDS)}` });
    for (let i = rng.int(1, 8); i > 0; i--) paths.push({ path: `/api/items/${userItemId(rng)}`, query: '' });
  } else {
    paths.push({ path: `/api/users/${rng.int(USER_IDS.min, USER_IDS.max)}`, query: '' });
    paths.push({ path: '/api/items', query: `seller=${rng.int(1, 100)}` });
  }
  for (const p of paths) {
    out.push(req(t, 'GET', p.path, p.query));
    t += rng.chance(0.4) ? rng.uniform(0, 5) : rng.lognormal(burstGapMs, 0.8);
  }
  return t;
}

/** Typing a search with live suggestions: a few /api/search calls a few hundred ms apart. */
function typeahead(rng: Random, t: number, out: ProfileRequest[]): number {
  const word = rng.pick(WORDS);
  for (let i = 2; i <= word.length; i++) {
    out.push(req(t, 'GET', '/api/search', `q=${word.slice(0, i)}`));
    t += rng.lognormal(280, 0.5);
  }
  return t;
}

function login(rng: Random, t: number, out: ProfileRequest[]): number {
  if (rng.chance(0.12)) {
    out.push(req(t, 'POST', '/api/login', '', loginBody('demo', 'dmeo')));
    t += rng.lognormal(5000, 0.5);
  }
  out.push(req(t, 'POST', '/api/login', '', loginBody('demo', 'demo')));
  return t + rng.lognormal(400, 0.5);
}

/** Think time between page views: a few seconds to minutes; now and then the user leaves for a while. */
function thinkTime(rng: Random, medianMs: number): number {
  if (rng.chance(0.04)) return rng.uniform(120_000, 900_000);
  return Math.min(300_000, Math.max(600, rng.lognormal(medianMs, 0.9)));
}

function browserSession(rng: Random, opts: { maxPages?: number; allowLongPauses?: boolean } = {}): ProfileRequest[] {
  const out: ProfileRequest[] = [];
  let t = 0;
  const think = rng.lognormal(9000, 0.4);
  const burstGap = rng.lognormal(35, 0.5);
  if (rng.chance(0.5)) t = login(rng, t, out);
  const pages = Math.min(opts.maxPages ?? 200, Math.max(2, Math.round(rng.lognormal(25, 0.8))));
  for (let i = 0; i < pages; i++) {
    if (rng.chance(0.1)) t = typeahead(rng, t, out);
    t = pageView(rng, t, out, burstGap);
    if (rng.chance(0.05)) t = pageView(rng, t + rng.uniform(300, 2000), out, burstGap); // reload
    let pause = thinkTime(rng, think);
    if (opts.allowLongPauses === false) pause = Math.min(pause, 90_000);
    t += pause;
  }
  return out;
}

function mobileSession(rng: Random): ProfileRequest[] {
  const out: ProfileRequest[] = [];
  let t = 0;
  const think = rng.lognormal(7000, 0.4);
  const retryP = rng.uniform(0.02, 0.15); // flaky network: the app retries with backoff
  const poll = rng.chance(0.4) ? rng.uniform(20_000, 60_000) : 0; // background refresh while open
  let nextPoll = poll;
  if (rng.chance(0.3)) t = login(rng, t, out);
  const screens = Math.max(2, Math.round(rng.lognormal(30, 0.8)));
  const emit = (r: ProfileRequest): void => {
    out.push(r);
    if (rng.chance(retryP)) {
      let at = r.at;
      for (let k = 0, n = rng.int(1, 3); k < n; k++) {
        at += 1000 * 2 ** k * rng.uniform(0.8, 1.3);
        out.push({ ...r, at: Math.round(at) });
      }
    }
  };
  for (let i = 0; i < screens; i++) {
    const n = rng.int(1, 4);
    for (let j = 0; j < n; j++) {
      const k = rng.weighted([3, 5, 2, 1]);
      if (k === 0) emit(req(t, 'GET', '/api/items', `page=${rng.int(1, 30)}`));
      else if (k === 1) emit(req(t, 'GET', `/api/items/${userItemId(rng)}`));
      else if (k === 2) emit(req(t, 'GET', '/api/search', `q=${rng.pick(WORDS)}`));
      else emit(req(t, 'GET', `/api/users/${rng.int(USER_IDS.min, USER_IDS.max)}`));
      t += rng.lognormal(60, 0.7);
    }
    const pause = thinkTime(rng, think);
    if (poll > 0) {
      while (nextPoll < t + pause) {
        if (nextPoll > t) out.push(req(nextPoll, 'GET', '/api/items', 'page=1'));
        nextPoll += poll * rng.uniform(0.9, 1.1);
      }
    }
    t += pause;
  }
  out.sort((a, b) => a.at - b.at);
  return out;
}

function officeSession(rng: Random): ProfileRequest[] {
  const people = rng.int(2, 8);
  const all: ProfileRequest[] = [];
  for (let i = 0; i < people; i++) {
    const start = rng.uniform(0, 180_000);
    const s = rng.chance(0.3) ? mobileSession(rng) : browserSession(rng, { maxPages: 60 });
    for (const r of s) all.push({ ...r, at: Math.round(r.at + start) });
  }
  all.sort((a, b) => a.at - b.at);
  return all;
}

function scraperSession(rng: Random): ProfileRequest[] {
  const out: ProfileRequest[] = [];
  const rate = rng.uniform(0.7, 15); // requests per second
  const jitter = rng.uniform(0.1, 0.6);
  const users = rng.chance(0.25);
  let id = users ? rng.int(1, 20) : rng.chance(0.3) ? 1 : rng.int(1, 950);
  const n = rng.int(150, 2000);
  let t = 0;
  if (rng.chance(0.5)) {
    out.push(req(t, 'GET', '/api/items', 'page=1'));
    t += rng.uniform(100, 2000);
  }
  for (let i = 0; i < n; i++) {
    out.push(req(t, 'GET', users ? `/api/users/${id}` : `/api/items/${id}`));
    id += rng.chance(0.08) ? 2 : 1;
    t += (1000 / rate) * rng.lognormal(1, jitter);
  }
  return out;
}

function slowBotSession(rng: Random): ProfileRequest[] {
  const out: ProfileRequest[] = [];
  const interval = rng.uniform(1000, 3000);
  const sd = rng.uniform(0.002, 0.03);
  const mode = rng.weighted([2, 1, 1]);
  let id = rng.int(1, 900);
  const n = rng.int(60, 600);
  let t = 0;
  for (let i = 0; i < n; i++) {
    if (mode === 0) out.push(req(t, 'GET', `/api/items/${id++}`));
    else if (mode === 1) out.push(req(t, 'GET', '/api/search', `q=${WORDS[i % WORDS.length]}`));
    else out.push(req(t, 'GET', i % 2 ? `/api/items/${rng.int(1, 1000)}` : '/api/items', i % 2 ? '' : `page=${1 + (i >> 1)}`));
    t += interval * (1 + sd * rng.normal());
  }
  return out;
}

/**
 * A slower crawler than `slow_bot`: one request every 3-10 s (fewer than 20 per minute, so a 60 s window never holds
 * enough events to be scored), metronome-like, walking ids or alternating list pages with random items.
 */
function slowCrawlerSession(rng: Random): ProfileRequest[] {
  const out: ProfileRequest[] = [];
  const interval = rng.uniform(3000, 10_000);
  const sd = rng.uniform(0.002, 0.03);
  const walk = rng.chance(0.5);
  let id = rng.int(1, 900);
  const n = rng.int(60, 600);
  let t = 0;
  for (let i = 0; i < n; i++) {
    if (walk) out.push(req(t, 'GET', `/api/items/${id++}`));
    else out.push(req(t, 'GET', i % 2 ? `/api/items/${rng.int(1, 1000)}` : '/api/items', i % 2 ? '' : `page=${1 + (i >> 1)}`));
    t += interval * (1 + sd * rng.normal());
  }
  return out;
}

function credentialStufferSession(rng: Random): ProfileRequest[] {
  const out: ProfileRequest[] = [];
  const rate = rng.uniform(0.4, 12);
  const jitter = rng.uniform(0.1, 0.9);
  const decoy = rng.chance(0.3) ? rng.uniform(0.02, 0.15) : 0; // some mix in ordinary reads
  const n = rng.int(80, 1500);
  let t = 0;
  for (let i = 0; i < n; i++) {
    if (decoy > 0 && rng.chance(decoy)) out.push(req(t, 'GET', `/api/items/${rng.int(1, 1000)}`));
    else {
      const user = rng.chance(0.001) ? 'demo' : `user${rng.int(1, 99_999)}`;
      const pass = user === 'demo' ? 'demo' : `pw${rng.int(0, 999_999)}`;
      out.push(req(t, 'POST', '/api/login', '', loginBody(user, pass)));
    }
    t += (1000 / rate) * rng.lognormal(1, jitter);
  }
  return out;
}

function burstSession(rng: Random): ProfileRequest[] {
  const out: ProfileRequest[] = [];
  const bursts = rng.int(1, 4);
  const targets = [
    { path: '/api/search', query: 'q=a' },
    { path: '/api/items', query: '' },
    { path: `/api/items/${rng.int(1, 1000)}`, query: '' },
  ];
  let t = 0;
  for (let b = 0; b < bursts; b++) {
    const rate = rng.uniform(40, 400);
    const duration = rng.uniform(3000, 30_000);
    const end = t + duration;
    const k = rng.int(1, targets.length);
    while (t < end) {
      const target = targets[rng.int(0, k - 1)];
      out.push(req(t, 'GET', target.path, target.query));
      t += rng.exponential(1000 / rate);
    }
    t += rng.uniform(5000, 60_000);
  }
  return out;
}

function scannerSession(rng: Random): ProfileRequest[] {
  const out: ProfileRequest[] = [];
  const rate = rng.uniform(1, 25);
  const withKey = rng.chance(0.5);
  const paths = PROBE_PATHS.slice();
  // Fisher–Yates shuffle: scanners walk their word list in their own order.
  for (let i = paths.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [paths[i], paths[j]] = [paths[j], paths[i]];
  }
  const n = rng.int(30, paths.length * 3);
  let t = 0;
  for (let i = 0; i < n; i++) {
    if (rng.chance(0.1)) out.push(req(t, 'GET', rng.chance(0.5) ? '/health' : '/api/items', '', null, withKey));
    else {
      const base = paths[i % paths.length];
      const variant = i < paths.length ? base : `${base}${rng.pick(['.bak', '.old', '~', '/', '.php', '.txt'])}`;
      out.push(req(t, rng.chance(0.1) ? 'POST' : 'GET', variant, '', null, withKey));
    }
    t += (1000 / rate) * rng.lognormal(1, 0.4);
  }
  return out;
}

/**
 * Automated but legitimate clients real APIs see: a dashboard polling one endpoint (every 5-60 s, often for hours),
 * a dashboard refreshing 2-6 endpoints together (in parallel or staggered), and a health monitor. Their timing is
 * as regular as a bot's; what they ask for is not (a few fixed URLs, not many different ones).
 */
function pollerSession(rng: Random): ProfileRequest[] {
  const out: ProfileRequest[] = [];
  const kind = rng.weighted([2, 2, 1]);
  const period = kind === 2 ? rng.pick([10_000, 15_000, 30_000, 60_000]) : rng.uniform(5_000, 60_000);
  const jitter = rng.chance(0.5) ? rng.uniform(0, 0.002) : rng.uniform(0.002, 0.05); // timer drift or a sleep loop
  const pool = ['/api/items', '/api/search', `/api/users/${rng.int(USER_IDS.min, USER_IDS.max)}`, `/api/items/${rng.pick(POPULAR_ITEMS)}`, '/health', `/api/items/${rng.int(ITEM_IDS.min, ITEM_IDS.max)}`];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  const k = kind === 1 ? rng.int(2, 6) : 1;
  const targets = kind === 2 ? ['/health'] : pool.slice(0, k);
  const staggered = kind === 1 && rng.chance(0.5);
  const n = rng.int(40, 720); // minutes to hours
  let t = rng.uniform(0, period);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const at = staggered ? t + (j * period) / k : t + j * rng.uniform(1, 30);
      out.push(req(at, 'GET', targets[j], targets[j] === '/api/items' ? 'page=1' : targets[j] === '/api/search' ? 'q=lamp' : ''));
    }
    t += period * (1 + jitter * rng.normal());
  }
  out.sort((a, b) => a.at - b.at);
  return out;
}

/** Fixed URLs a fast dashboard polls: list pages, searches and items with their (fixed) query strings. */
const FAST_POLL_TARGETS: ReadonlyArray<{ path: string; query: string }> = [
  { path: '/api/items', query: 'page=1' },
  { path: '/api/items', query: 'seller=7&sort=new' },
  { path: '/api/search', query: 'q=lamp' },
  { path: '/api/search', query: 'q=desk&limit=5' },
  { path: '/api/users/42', query: '' },
  { path: '/api/items/17', query: '' },
  { path: '/api/items/256', query: 'fields=stock' },
  { path: '/health', query: '' },
];

/**
 * Legitimate automation faster than `api_poller`: an SPA dashboard or status page refreshing 1-6 fixed URLs (some
 * with fixed query strings) every 0.5-3 s (at most 4 requests/s in all), in parallel (Promise.all, a few ms apart)
 * or staggered over the period; or a health monitor hitting /health every 0.5-3 s. Jitter 0.2-10% (timer drift, a
 * sleep loop, a busy tab).
 * Without a query-aware rule this timing is the `slow_bot` search-polling mode's (README "Fast pollers").
 */
function fastPollerSession(rng: Random): ProfileRequest[] {
  const out: ProfileRequest[] = [];
  const kind = rng.weighted([2, 2, 1]); // 0: one URL, 1: a dashboard of 2-6 URLs, 2: health monitor
  const k = kind === 1 ? rng.int(2, 6) : 1;
  // Log-uniform 0.5-3 s, but at most 4 requests/s in all: within the default per-address rate limit (3000 per 10 min),
  // which the replay applies and which would refuse a faster client with 429 whatever the model says.
  const fastest = Math.max(500, 250 * k);
  const period = kind === 2 ? rng.pick([500, 1000, 2000, 3000]) : fastest * (3000 / fastest) ** rng.float();
  const jitter = rng.uniform(0.002, 0.1);
  const pool = FAST_POLL_TARGETS.slice();
  for (let i = pool.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  const targets = kind === 2 ? [{ path: '/health', query: '' }] : pool.slice(0, k);
  const staggered = kind === 1 && rng.chance(0.5);
  const n = rng.int(40, 600); // polls: from 20 s to half an hour
  let t = rng.uniform(0, period);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const at = staggered ? t + (j * period) / k : t + j * rng.uniform(1, 15);
      out.push(req(at, 'GET', targets[j].path, targets[j].query));
    }
    t += period * (1 + jitter * rng.normal());
  }
  out.sort((a, b) => a.at - b.at);
  return out;
}

/**
 * Every profile: ordinary ones first, then attackers. Evaluation-only profiles (weight 0) added later go at the end,
 * so the seeded sessions the evaluation and calibration replay for the existing profiles stay exactly as they were.
 */
export const PROFILES: readonly Profile[] = [
  {
    name: 'browser_user',
    label: 0,
    weight: 0.3,
    description: 'web app user: bursts of 2-10 API calls per page view, think times of seconds to minutes, searches, occasional 404 and login',
    session: (rng) => browserSession(rng),
  },
  {
    name: 'mobile_user',
    label: 0,
    weight: 0.2,
    description: 'mobile app: 1-4 calls per screen, retries with backoff on a flaky network, sometimes a background refresh',
    session: mobileSession,
  },
  {
    name: 'shared_office',
    label: 0,
    weight: 0.5,
    description: '2-8 people behind one office NAT address, their sessions interleaved',
    session: officeSession,
  },
  {
    name: 'api_poller',
    label: 0,
    // Evaluation only (weight 0: never drawn into generated training data); calibration and the per-profile
    // evaluation replay it like every ordinary profile.
    weight: 0,
    description: 'automation that is not abuse: a dashboard polling 1-6 fixed endpoints every 5-60 s, or a health monitor, for minutes to hours',
    session: pollerSession,
  },
  {
    name: 'scraper',
    label: 1,
    weight: 0.2,
    description: 'walks /api/items/:id (or /api/users/:id) in sequence at 0.7-15 req/s, past the last id into 404s',
    session: scraperSession,
  },
  {
    name: 'credential_stuffer',
    label: 1,
    weight: 0.2,
    description: 'POST /api/login with leaked username/password pairs at 0.4-12 req/s, almost all 401',
    session: credentialStufferSession,
  },
  {
    name: 'burst',
    label: 1,
    weight: 0.2,
    description: 'floods one to three endpoints at 40-400 req/s for 3-30 s, in 1-4 bursts (the rate limiter throttles)',
    session: burstSession,
  },
  {
    name: 'slow_bot',
    label: 1,
    weight: 0.2,
    description: 'one request every 1-3 s with a metronome-like interval (0.2-3% jitter), walking ids or cycling searches',
    session: slowBotSession,
  },
  {
    name: 'scanner',
    label: 1,
    weight: 0.2,
    description: 'probes paths that do not exist (/.env, /wp-admin, /.git/config, ...) at 1-25 req/s, half of them without an API key',
    session: scannerSession,
  },
  {
    name: 'slow_crawler',
    label: 1,
    // Evaluation only (weight 0): too slow for the 60 s window the model scores; the regular-crawl rule's job.
    weight: 0,
    description: 'one request every 3-10 s with a metronome-like interval, walking ids or alternating list pages with random items',
    session: slowCrawlerSession,
  },
  {
    name: 'fast_poller',
    label: 0,
    // Evaluation only (weight 0: never drawn into training data). Last in the list so every other profile's seeded
    // sessions are unchanged.
    weight: 0,
    description: 'automation that is not abuse, faster than api_poller: a dashboard refreshing 1-6 fixed URLs (fixed queries) every 0.5-3 s (at most 4 req/s), or a health monitor',
    session: fastPollerSession,
  },
];

export function profileByName(name: string): Profile {
  const p = PROFILES.find((x) => x.name === name);
  if (!p) throw new RangeError(`unknown profile "${name}" (known: ${PROFILES.map((x) => x.name).join(', ')})`);
  return p;
}
