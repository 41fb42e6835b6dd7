// Owns what `pathhelm top` puts on screen, as plain data: lines of styled segments sized to the terminal
// (main view, client detail, help). The Ink components colour these segments; the non-TTY snapshot
// joins their text. Keeping layout pure makes every frame testable and guarantees width/height fit.
//
// Example:
//   const lines = mainLines(model.view(now, {...}), ui, meta, { width: 80, height: 24 }, now);
//   process.stdout.write(plainText(lines) + '\n');

import type { FeatureSummary } from '../forest/model.js';
import type { ClientDetail, FeedRow } from '../telemetry/queries.js';
import type { ClientRow, SortKey, TopView } from './model.js';

export type Colour = 'green' | 'yellow' | 'red' | 'magenta' | 'cyan' | 'blue' | 'gray';

export interface Seg {
  text: string;
  color?: Colour;
  bold?: boolean;
  inverse?: boolean;
  dim?: boolean;
}
export type Line = Seg[];

/** Focused pane; 'none' for snapshots (no selection). */
export type Pane = 'clients' | 'feed' | 'none';

export interface UiState {
  pane: Pane;
  /** Index into the visible (filtered, sorted) clients. */
  clientSel: number;
  /** Offset from the newest visible feed row (0 = newest). */
  feedSel: number;
  paused: boolean;
  filter: string;
  /** Filter input open (after `/`), with what has been typed so far. */
  editing: boolean;
  draft: string;
  sort: SortKey;
  /** One-line status shown in the footer (errors from the source, notes). */
  message: string | null;
}

export const INITIAL_UI: UiState = {
  pane: 'clients',
  clientSel: 0,
  feedSel: 0,
  paused: false,
  filter: '',
  editing: false,
  draft: '',
  sort: 'requests',
  message: null,
};

export interface Meta {
  /** Where the data comes from, e.g. `db .pathhelm/pathhelm.db` or `url http://127.0.0.1:8000`. */
  source: string;
  /** Model label (file name), null when none. */
  model: string | null;
  /** Gateway uptime when known (admin API), else null (the log's first row is shown instead). */
  uptimeMs: number | null;
}


export interface ModelSummary {
  label: string;
  threshold: number | null;
  features: FeatureSummary[];
}

export interface DetailData {
  detail: ClientDetail;
  keyName: string | null;
  banned: boolean;
  model: ModelSummary | null;
  /** Why the model summary is missing (shown instead of the comparison). */
  modelNote: string | null;
}

export interface Size {
  width: number;
  height: number;
}

export const MIN_SIZE: Size = { width: 60, height: 16 };

const SPARK = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

export function decisionColour(d: string | null): Colour | undefined {
  return d === 'ALLOW' ? 'green' : d === 'THROTTLE' ? 'yellow' : d === 'BLOCK' ? 'red' : undefined;
}

// ---------- formatting helpers ----------

/** Pads or truncates (with …) to exactly w columns. */
export function fit(s: string, w: number, align: 'left' | 'right' = 'left'): string {
  if (w <= 0) return '';
  const chars = Array.from(s);
  if (chars.length > w) return w === 1 ? '…' : chars.slice(0, w - 1).join('') + '…';
  const pad = ' '.repeat(w - chars.length);
  return align === 'left' ? s + pad : pad + s;
}

export function fmtCount(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 10_000) return (n / 1000).toFixed(1).replace(/\.0$/, '') + 'k';
  if (n < 1_000_000) return Math.round(n / 1000) + 'k';
  if (n < 10_000_000) return (n / 1_000_000).toFixed(1).replace(/\.0$/, '') + 'M';
  return Math.round(n / 1_000_000) + 'M';
}

export function fmtRate(n: number): string {
  if (n === 0) return '0';
  if (n < 10) return n.toFixed(1);
  return fmtCount(n);
}

export function fmtMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '-';
  if (ms < 1) return ms.toFixed(2) + 'ms';
  if (ms < 100) return ms.toFixed(1) + 'ms';
  if (ms < 1000) return Math.round(ms) + 'ms';
  return (ms / 1000).toFixed(ms < 10_000 ? 2 : 1) + 's';
}

export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

export function fmtTime(ts: number): string {
  const d = new Date(ts);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function fmtScore(s: number | null): string {
  return s === null || s === undefined ? '-' : s.toFixed(2);
}

function pct(part: number, whole: number): string {
  if (whole === 0 || part === 0) return '0%';
  const p = (100 * part) / whole;
  return p < 10 ? p.toFixed(1) + '%' : Math.round(p) + '%';
}

export function sparkline(values: number[]): string {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  let out = '';
  for (const v of values) {
    if (v <= 0 || max === 0) out += ' ';
    else out += SPARK[Math.min(SPARK.length - 1, Math.floor((v / max) * (SPARK.length - 1) + 0.5))];
  }
  return out;
}

function scoreColour(s: number | null, threshold = 0.6): Colour | undefined {
  if (s === null) return undefined;
  return s >= threshold ? 'red' : s >= threshold - 0.1 ? 'yellow' : undefined;
}

/** Joins segments into one line of exactly `width` columns (truncating the tail). */
function clampLine(line: Line, width: number): Line {
  const out: Line = [];
  let used = 0;
  for (const seg of line) {
    const len = Array.from(seg.text).length;
    if (used + len <= width) {
      out.push(seg);
      used += len;
    } else {
      const room = width - used;
      if (room > 0) out.push({ ...seg, text: fit(seg.text, room) });
      used = width;
      break;
    }
  }
  return out;
}

function bar(text: string, width: number, focused: boolean): Line {
  return [{ text: fit(text, width), inverse: focused, bold: true }];
}

// ---------- main view ----------

export interface MainLayout {
  clientRows: number;
  feedRows: number;
}

/** How many table/feed rows fit: the frame is at most height-1 lines (Ink redraws in place below that). */
export function mainLayout(size: Size): MainLayout {
  const usable = Math.max(MIN_SIZE.height, size.height) - 1;
  const rest = Math.max(4, usable - 8);
  const clientRows = Math.max(2, Math.floor(rest * 0.4));
  return { clientRows, feedRows: Math.max(2, rest - clientRows) };
}

interface ClientCols {
  client: number;
  key: number;
}

function clientCols(width: number): ClientCols {
  const rem = Math.max(20, width - 36);
  const client = Math.min(40, Math.ceil(rem * 0.55));
  return { client, key: Math.min(32, rem - client) };
}

interface FeedCols {
  client: number;
  path: number;
  reason: number;
}

function feedCols(width: number): FeedCols {
  const rem = Math.max(30, width - 37);
  const extra = Math.max(0, rem - 43);
  const client = Math.min(39, 15 + Math.floor(extra * 0.25));
  const reason = Math.min(24, 14 + Math.floor(extra * 0.2));
  return { client, reason, path: rem - client - reason };
}

export function feedHeader(width: number): string {
  const c = feedCols(width);
  return [fit('TIME', 8), fit('DECISION', 8), fit('CLIENT', c.client), fit('METHOD', 6), fit('PATH', c.path), fit('ST', 3, 'right'), fit('REASON', c.reason), fit('SCORE', 5, 'right')].join(' ');
}

export function feedLine(r: FeedRow, width: number, selected: boolean, keyName: string | null = null): Line {
  const c = feedCols(width);
  const dec = r.wouldDecision && r.wouldDecision !== r.decision ? `~${r.wouldDecision}` : r.decision;
  const who = keyName ?? r.keyId;
  const client = who ? `${r.clientIp} ${who}` : r.clientIp;
  const inv = selected || undefined;
  return [
    { text: fit(fmtTime(r.ts), 8) + ' ', inverse: inv, dim: !selected || undefined },
    { text: fit(dec, 8) + ' ', color: decisionColour(r.wouldDecision ?? r.decision), bold: r.decision !== 'ALLOW' || undefined, inverse: inv },
    { text: [fit(client, c.client), fit(r.method, 6), fit(r.path, c.path), fit(String(r.status), 3, 'right'), fit(r.reason, c.reason)].join(' ') + ' ', inverse: inv },
    { text: fit(fmtScore(r.score), 5, 'right'), color: scoreColour(r.score), inverse: inv },
  ];
}

export function clientHeader(width: number): string {
  const c = clientCols(width);
  return [fit('CLIENT', c.client), fit('KEY', c.key), fit('REQS', 7, 'right'), fit('THR%', 6, 'right'), fit('BLK%', 6, 'right'), fit('SCORE', 6, 'right'), fit('BAN', 4, 'right')].join(' ');
}

export function clientLine(r: ClientRow, width: number, selected: boolean): Line {
  const c = clientCols(width);
  const key = r.keyId === null ? '-' : r.keyName ? `${r.keyName} (${r.keyId})` : r.keyId;
  const inv = selected || undefined;
  return [
    { text: fit(r.clientIp, c.client) + ' ' + fit(key, c.key) + ' ' + fit(fmtCount(r.requests), 7, 'right') + ' ', inverse: inv, bold: selected || undefined },
    { text: fit(pct(r.throttled, r.requests), 6, 'right') + ' ', color: r.throttled ? 'yellow' : undefined, inverse: inv },
    { text: fit(pct(r.blocked, r.requests), 6, 'right') + ' ', color: r.blocked ? 'red' : undefined, inverse: inv },
    { text: fit(fmtScore(r.maxScore), 6, 'right') + ' ', color: scoreColour(r.maxScore), inverse: inv },
    { text: fit(r.banned ? 'yes' : '-', 4, 'right'), color: r.banned ? 'red' : undefined, bold: r.banned || undefined, inverse: inv },
  ];
}

export function footerLine(ui: UiState, width: number, view: 'main' | 'detail' | 'help'): Line {
  if (ui.editing) {
    return [{ text: '/', bold: true, color: 'cyan' }, { text: fit(`${ui.draft}▏  (enter apply · esc cancel · ip: key: decision: path:)`, width - 1) }];
  }
  const segs: Line = [];
  if (ui.paused) segs.push({ text: ' PAUSED ', inverse: true, bold: true, color: 'yellow' }, { text: ' ' });
  if (ui.filter) segs.push({ text: `filter: ${ui.filter}`, color: 'cyan' }, { text: '  ' });
  if (ui.message) segs.push({ text: ui.message, color: 'red' }, { text: '  ' });
  const hints =
    view === 'main'
      ? 'q quit  p pause  / filter  s sort  tab pane  ↑↓ move  enter detail  ? help'
      : view === 'detail'
        ? 'esc back  p pause  q quit  ? help'
        : 'esc back  q quit';
  segs.push({ text: hints, dim: true });
  return clampLine(segs, width);
}

/** The main screen: header, sparkline, clients table, live feed, footer. At most height-1 lines. */
export function mainLines(v: TopView, ui: UiState, meta: Meta, size: Size, now: number, keyNames?: Map<string, string>): Line[] {
  const width = Math.max(MIN_SIZE.width, size.width);
  const { clientRows, feedRows } = mainLayout(size);
  const lines: Line[] = [];

  const since = meta.uptimeMs !== null ? `up ${fmtDuration(meta.uptimeMs)}` : v.firstTs !== null ? `log since ${fmtTime(v.firstTs)} (${fmtDuration(now - v.firstTs)})` : 'log empty';
  const left: Line = [
    { text: 'PathHelm top ', bold: true },
    { text: (v.mode ?? '-') + ' ', color: v.mode === 'monitor' ? 'yellow' : 'cyan', bold: true },
    { text: 'model ', dim: true },
    { text: (meta.model ?? 'none') + ' ' },
  ];
  const leftLen = left.reduce((n, s) => n + Array.from(s.text).length, 0);
  const sourceW = width - leftLen - since.length - 1;
  if (sourceW >= 8) left.push({ text: fit(meta.source, sourceW) + ' ', dim: true });
  else left.push({ text: ' '.repeat(Math.max(0, width - leftLen - since.length)) });
  left.push({ text: since, dim: true });
  lines.push(clampLine(left, width));
  lines.push(
    clampLine(
      [
        { text: 'req/s ', dim: true }, { text: fmtRate(v.rate).padEnd(6), bold: true },
        { text: 'ALLOW ', dim: true }, { text: fmtCount(v.byDecision.ALLOW).padEnd(6), color: 'green' },
        { text: 'THROTTLE ', dim: true }, { text: fmtCount(v.byDecision.THROTTLE).padEnd(6), color: 'yellow' },
        { text: 'BLOCK ', dim: true }, { text: fmtCount(v.byDecision.BLOCK).padEnd(6), color: 'red' },
        { text: 'p50 ', dim: true }, { text: fmtMs(v.p50).padEnd(8) },
        { text: 'p99 ', dim: true }, { text: fmtMs(v.p99) },
      ],
      width,
    ),
  );
  const tail = ` · counts since ${v.countsSinceTs !== null ? fmtTime(v.countsSinceTs) : '-'} · ${fmtCount(v.lastId)} rows in log`;
  const sparkW = Math.max(8, width - 6 - 16 - tail.length);
  const spark = sparkBuckets(v.perSecond, sparkW);
  const peak = Math.max(0, ...spark.values);
  lines.push(
    clampLine(
      [
        { text: 'rate  ', dim: true },
        { text: sparkline(spark.values), color: 'cyan' },
        { text: ` max ${fmtRate(peak)}/s · ${spanLabel(spark.values.length * spark.bucketS)}${tail}`, dim: true },
      ],
      width,
    ),
  );

  // clients
  const sortNote = `sort: ${ui.sort}`;
  lines.push(bar(` CLIENTS (${v.clientCount})  ${sortNote}${ui.filter ? `  filter: ${ui.filter}` : ''}`, width, ui.pane === 'clients'));
  lines.push([{ text: fit(clientHeader(width), width), dim: true }]);
  const sel = Math.min(ui.clientSel, Math.max(0, v.clients.length - 1));
  const start = Math.max(0, sel - clientRows + 1);
  for (let i = 0; i < clientRows; i++) {
    const r = v.clients[start + i];
    lines.push(r ? clampLine(clientLine(r, width, ui.pane === 'clients' && start + i === sel), width) : [{ text: i === 0 ? fit(ui.filter ? '  no client matches the filter' : '  no clients yet', width) : '' }]);
  }

  // feed (newest at the bottom)
  lines.push(bar(` FEED  newest last${ui.paused ? '  (paused)' : ''}`, width, ui.pane === 'feed'));
  lines.push([{ text: fit(feedHeader(width), width), dim: true }]);
  const feed = v.feed.slice(-feedRows);
  const fsel = Math.min(ui.feedSel, Math.max(0, feed.length - 1));
  for (let i = 0; i < feedRows; i++) {
    const r = feed[i];
    const selected = ui.pane === 'feed' && i === feed.length - 1 - fsel;
    lines.push(r ? clampLine(feedLine(r, width, selected, r.keyId ? (keyNames?.get(r.keyId) ?? null) : null), width) : [{ text: i === 0 && feed.length === 0 ? fit(ui.filter ? '  no decision matches the filter' : '  waiting for decisions…', width) : '' }]);
  }
  lines.push(footerLine(ui, width, 'main'));
  return lines;
}

/**
 * Resamples per-second counts (oldest first) into at most `width` buckets covering up to SPARK_SPAN_S
 * seconds: requests/s per bucket, oldest first.
 */
export function sparkBuckets(perSecond: number[], width: number, spanS = SPARK_SPAN_S): { values: number[]; bucketS: number } {
  const span = Math.min(perSecond.length, spanS);
  const bucketS = Math.max(1, Math.ceil(span / width));
  const n = Math.min(width, Math.ceil(span / bucketS), Math.floor(perSecond.length / bucketS));
  const values: number[] = [];
  for (let b = n - 1; b >= 0; b--) {
    let sum = 0;
    const end = perSecond.length - b * bucketS;
    for (let i = end - bucketS; i < end; i++) sum += perSecond[i];
    values.push(sum / bucketS);
  }
  return { values, bucketS };
}

function spanLabel(seconds: number): string {
  return seconds < 120 ? `${seconds}s` : `${Math.round(seconds / 60)}m`;
}

/** Seconds of history the sparkline shows (when the terminal is wide enough, one column per second). */
export const SPARK_SPAN_S = 300;

// ---------- detail view ----------

export function explainText(explain: unknown, max = 3): string {
  if (explain === null || explain === undefined) return '';
  const items = Array.isArray(explain) ? explain : typeof explain === 'object' ? Object.entries(explain as object).map(([k, v]) => ({ name: k, value: v })) : [explain];
  return items
    .slice(0, max)
    .map((it) => {
      if (typeof it === 'string') return it;
      if (it && typeof it === 'object') {
        const o = it as Record<string, unknown>;
        const name = o.feature ?? o.name ?? o.key ?? '?';
        if (typeof o.value === 'number' && typeof o.sd === 'number') {
          // the behaviour scorer's entries: {feature, value, sd (distance from the training mean), attribution}
          return `${String(name)}=${Number(o.value.toPrecision(4))} (${o.sd >= 0 ? '+' : ''}${o.sd.toFixed(1)} sd)`;
        }
        const v = ['contribution', 'share', 'weight', 'value', 'score', 'z'].map((k) => o[k]).find((x) => typeof x === 'number') as number | undefined;
        return v === undefined ? String(name) : `${String(name)} ${v >= 0 ? '+' : ''}${v.toFixed(2)}`;
      }
      return String(it);
    })
    .join(', ');
}

function num(n: number | undefined | null): string {
  if (n === undefined || n === null || !Number.isFinite(n)) return '-';
  const a = Math.abs(n);
  if (a !== 0 && (a >= 100_000 || a < 0.01)) return n.toExponential(1);
  if (a >= 100) return n.toFixed(0);
  return n.toFixed(2);
}

/** One client's page: totals, why it was throttled/blocked, features vs training, recent requests. */
export function detailLines(d: DetailData, agg: ClientRow | null, ui: UiState, size: Size, _now: number): Line[] {
  const width = Math.max(MIN_SIZE.width, size.width);
  const budget = Math.max(MIN_SIZE.height, size.height) - 1;
  const det = d.detail;
  const lines: Line[] = [];
  const key = det.keyId === null ? 'no key' : `key ${det.keyId}${d.keyName ? ` (${d.keyName})` : ''}`;
  lines.push(
    clampLine(
      [
        { text: ` CLIENT ${det.clientIp} `, inverse: true, bold: true },
        { text: ` ${key}  ` },
        ...(d.banned ? [{ text: 'BANNED', color: 'red' as Colour, bold: true, inverse: true }] : [{ text: 'not banned', dim: true }]),
      ],
      width,
    ),
  );
  if (agg) {
    lines.push(
      clampLine(
        [
          { text: `seen ${fmtCount(agg.requests)} req · `, dim: true },
          { text: `throttled ${fmtCount(agg.throttled)} (${pct(agg.throttled, agg.requests)})`, color: agg.throttled ? 'yellow' : undefined },
          { text: ' · ', dim: true },
          { text: `blocked ${fmtCount(agg.blocked)} (${pct(agg.blocked, agg.requests)})`, color: agg.blocked ? 'red' : undefined },
          { text: ` · max score ${fmtScore(agg.maxScore)} · last ${fmtTime(agg.lastTs)}`, dim: true },
        ],
        width,
      ),
    );
  }

  // why
  lines.push(bar(' WHY THROTTLED / BLOCKED', width, false));
  const refused = det.reasons.filter((r) => r.decision !== 'ALLOW');
  if (refused.length === 0) lines.push([{ text: fit('  never throttled or blocked in the log', width), color: 'green' }]);
  for (const r of refused.slice(0, 3)) {
    lines.push(
      clampLine(
        [
          { text: '  ' + fit(r.decision, 9), color: decisionColour(r.decision), bold: true },
          { text: `${r.reason} ×${fmtCount(r.count)}`, bold: true },
          { text: `  last ${fmtTime(r.lastTs)}  ${reasonHint(r.reason)}`, dim: true },
        ],
        width,
      ),
    );
  }
  const why = det.latestExplained ?? (det.latestRefused && det.latestRefused.score !== null ? det.latestRefused : null);
  if (why) {
    const ex = explainText(why.explain);
    lines.push(
      clampLine(
        [{ text: `  ${fmtTime(why.ts)} ${why.reason} score ${fmtScore(why.score)}${ex ? ` · top features: ${ex}` : ''}`, color: 'magenta' }],
        width,
      ),
    );
  }

  // features vs training summary
  const recentMin = 3;
  const fixedAfter = 2 + recentMin + 1; // recent bar + header + rows + footer
  const scored = det.latestScored;
  const featTitle = scored
    ? ` FEATURES at ${fmtTime(scored.ts)} (score ${fmtScore(scored.score)}) vs training${d.model ? ` · ${d.model.label}${d.model.threshold !== null ? ` threshold ${fmtScore(d.model.threshold)}` : ''}` : ''}`
    : ' FEATURES';
  lines.push(bar(featTitle, width, false));
  if (!scored) {
    lines.push([{ text: fit('  no scored request for this client yet (too few events in its window, or no model)', width), dim: true }]);
  } else {
    const summary = new Map((d.model?.features ?? []).map((f) => [f.name, f]));
    const names = Object.keys(scored.features);
    for (const f of d.model?.features ?? []) if (!names.includes(f.name)) names.push(f.name);
    const nameW = Math.max(10, Math.min(28, width - 51));
    lines.push([{ text: fit([fit('FEATURE', nameW), fit('NOW', 8, 'right'), fit('MEAN', 8, 'right'), fit('SD', 7, 'right'), fit('MIN', 7, 'right'), fit('MAX', 7, 'right'), fit('Z', 6, 'right')].join(' ') + (width >= nameW + 70 ? '  ! = outside the training min..max' : ''), width), dim: true }]);
    const room = Math.max(1, budget - lines.length - fixedAfter);
    const rows = names.map((name) => {
      const v = scored.features[name];
      const s = summary.get(name);
      const z = s && typeof v === 'number' && s.sd > 0 ? (v - s.mean) / s.sd : null;
      // Stored feature values are rounded to 4 decimals: allow that much before calling a value out of range.
      const out = s !== undefined && typeof v === 'number' && (v < s.min - 1e-4 || v > s.max + 1e-4);
      return { name, v, s, z, out, weight: out ? 1e9 + Math.abs(z ?? 0) : Math.abs(z ?? 0) };
    });
    rows.sort((a, b) => b.weight - a.weight); // most unusual first, so a short screen shows what matters
    const shown = rows.slice(0, rows.length > room ? room - 1 : room);
    for (const r of shown) {
      const colour: Colour | undefined = r.out ? 'red' : r.z !== null && Math.abs(r.z) >= 3 ? 'yellow' : undefined;
      lines.push(
        clampLine(
          [
            { text: [fit(r.name, nameW), fit(num(r.v), 8, 'right')].join(' ') + ' ', color: colour, bold: r.out || undefined },
            { text: [fit(num(r.s?.mean), 8, 'right'), fit(num(r.s?.sd), 7, 'right'), fit(num(r.s?.min), 7, 'right'), fit(num(r.s?.max), 7, 'right')].join(' ') + ' ', dim: true },
            { text: fit(r.z === null ? '-' : `${r.z >= 0 ? '+' : ''}${r.z.toFixed(1)}`, 6, 'right'), color: colour },
            { text: r.out ? ' !' : '', color: 'red', bold: true },
          ],
          width,
        ),
      );
    }
    if (shown.length < rows.length) lines.push([{ text: fit(`  … ${rows.length - shown.length} more features (taller terminal shows them)`, width), dim: true }]);
    if (!d.model) lines.push([{ text: fit(`  ${d.modelNote ?? 'no model summary to compare with'}`, width), dim: true }]);
  }

  // recent requests
  lines.push(bar(' RECENT REQUESTS  newest last', width, false));
  lines.push([{ text: fit(feedHeader(width), width), dim: true }]);
  const roomRecent = Math.max(1, budget - lines.length - 1);
  for (const r of det.recent.slice(-roomRecent)) lines.push(clampLine(feedLine(r, width, false, d.keyName), width));
  if (det.recent.length === 0) lines.push([{ text: '  no requests', dim: true }]);
  while (lines.length < budget - 1) lines.push([{ text: '' }]);
  lines.push(footerLine(ui, width, 'detail'));
  return lines.slice(0, budget);
}

/** Plain-language hint for a decision reason (shown in the detail view). */
export function reasonHint(reason: string): string {
  if (reason.startsWith('rate_limit')) return 'over a rate-limit window';
  if (reason.startsWith('auth')) return 'missing or invalid API key';
  if (reason.startsWith('deny')) return 'on the deny list';
  if (reason.startsWith('ban')) return 'banned after repeated offences';
  if (reason.startsWith('anomal') || reason.startsWith('behaviour') || reason.startsWith('ml')) return 'anomaly score over the threshold';
  if (reason.startsWith('upstream')) return 'backend failed';
  if (reason.startsWith('body') || reason.startsWith('header')) return 'request too large';
  return '';
}

// ---------- help ----------

export function helpLines(ui: UiState, size: Size): Line[] {
  const width = Math.max(MIN_SIZE.width, size.width);
  const rows: Array<[string, string]> = [
    ['q, ctrl-c', 'quit'],
    ['p, space', 'pause / resume the live view'],
    ['/', 'filter: ip:10.0 key:app decision:BLOCK path:/login, bare text'],
    ['s', 'sort clients: requests → blocked → throttled → score → recent'],
    ['tab', 'switch pane (clients ↔ feed)'],
    ['↑ ↓  j k', 'move the selection'],
    ['enter', 'open the selected client (or the feed row\'s client)'],
    ['esc', 'back / clear the filter'],
    ['?', 'this help'],
  ];
  const lines: Line[] = [bar(' HELP  pathhelm top', width, true), [{ text: '' }]];
  for (const [k, d] of rows) lines.push(clampLine([{ text: '  ' + fit(k, 12), bold: true, color: 'cyan' }, { text: d }], width));
  lines.push([{ text: '' }]);
  lines.push(clampLine([{ text: '  Colours: ', dim: true }, { text: 'ALLOW', color: 'green' }, { text: ' · ' }, { text: 'THROTTLE', color: 'yellow' }, { text: ' · ' }, { text: 'BLOCK', color: 'red' }, { text: '  ~BLOCK: monitor mode, not enforced', dim: true }], width));
  lines.push(clampLine([{ text: '  p50/p99: last 10k decisions. Counts: since the time on the rate line.', dim: true }], width));
  lines.push(clampLine([{ text: '  NO_COLOR=1 turns colours off.', dim: true }], width));
  const budget = Math.max(MIN_SIZE.height, size.height) - 1;
  while (lines.length < budget - 1) lines.push([{ text: '' }]);
  lines.push(footerLine(ui, width, 'help'));
  return lines.slice(0, budget);
}

/** Text of the lines, one per row, trailing spaces trimmed (for snapshots and tests). */
export function plainText(lines: Line[]): string {
  return lines.map((l) => l.map((s) => s.text).join('').replace(/\s+$/, '')).join('\n');
}
