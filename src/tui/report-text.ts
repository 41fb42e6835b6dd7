// Owns the terminal rendering of `pathhelm report` (analytics as aligned tables) and `pathhelm trace`
// (one request end to end with a timeline). Pure: returns text; the CLI prints it.
//
// Example:
//   process.stdout.write(formatReport(analytics(db, { since }), { source: 'db ./x.db' }) + '\n');
//   process.stdout.write(formatTrace(traceRequest(db, id)) + '\n');

import type { Analytics } from '../telemetry/analytics.js';
import type { Trace } from '../telemetry/queries.js';
import { explainText, fmtMs } from './layout.js';
import { fmtNumber, table } from './table.js';

/** UTC timestamp with milliseconds when they are not zero: 2026-11-21T07:00:00.123Z. */
export function isoTime(ts: number): string {
  return new Date(ts).toISOString().replace('.000Z', 'Z');
}

function share(part: number, whole: number): string {
  return whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`;
}

export interface ReportMeta {
  source: string;
}

export function formatReport(a: Analytics, meta: ReportMeta): string {
  const out: string[] = [];
  const range = `${a.since === null ? 'the whole log' : `since ${isoTime(a.since)}`} until ${isoTime(a.until)}`;
  out.push(`PathHelm report · ${meta.source} · ${range}`);
  out.push('');
  out.push(
    `Requests  ${fmtNumber(a.total)}    ALLOW ${fmtNumber(a.byDecision.ALLOW)} (${share(a.byDecision.ALLOW, a.total)})` +
      `    THROTTLE ${fmtNumber(a.byDecision.THROTTLE)} (${share(a.byDecision.THROTTLE, a.total)})` +
      `    BLOCK ${fmtNumber(a.byDecision.BLOCK)} (${share(a.byDecision.BLOCK, a.total)})`,
  );
  if (a.total === 0) {
    out.push('', 'No decisions in this range.');
    return out.join('\n');
  }
  out.push('');
  out.push('Latency');
  out.push(
    table(
      ['', 'P50', 'P90', 'P99', 'MAX'],
      [
        ['gateway (latency_ms)', fmtMs(a.latency.p50), fmtMs(a.latency.p90), fmtMs(a.latency.p99), fmtMs(a.latency.max)],
        ['backend (upstream_ms)', fmtMs(a.upstreamLatency.p50), '', fmtMs(a.upstreamLatency.p99), ''],
      ],
    ),
  );
  out.push('');
  out.push('By decision and reason');
  out.push(table(['DECISION', 'REASON', 'COUNT', 'SHARE'], a.byReason.map((r) => [r.decision, r.reason, r.count, share(r.count, a.total)])));
  out.push('');
  out.push(`Top clients (by requests)`);
  out.push(
    table(
      ['CLIENT', 'KEY', 'REQUESTS', 'THROTTLED', 'BLOCKED', 'MAX SCORE'],
      a.topClients.map((c) => [c.clientIp, c.keyId ?? '-', c.requests, c.throttled, c.blocked, c.maxScore === null ? '-' : c.maxScore.toFixed(2)]),
    ),
  );
  out.push('');
  out.push('Top paths (by requests)');
  out.push(table(['PATH', 'REQUESTS', 'THROTTLED', 'BLOCKED'], a.topPaths.map((p) => [p.path, p.requests, p.throttled, p.blocked])));
  out.push('');
  out.push('Anomalies (highest score first)');
  if (a.anomalies.length === 0) out.push('  none: no decision in this range was driven by the anomaly score');
  else
    out.push(
      table(
        ['TIME', 'REQUEST ID', 'CLIENT', 'SCORE', 'REASON', 'TOP FEATURES'],
        a.anomalies.map((x) => [isoTime(x.ts), x.requestId, x.clientIp, x.score.toFixed(2), x.reason, explainText(x.explain) || '-']),
      ),
    );
  return out.join('\n');
}

function offset(ms: number): string {
  return `${ms >= 0 ? '+' : '-'}${fmtMs(Math.abs(ms))}`;
}

/** One request id end to end: the gateway's decision(s), the backend's event(s), and a timeline. */
export function formatTrace(t: Trace): string {
  const out: string[] = [`Request ${t.requestId}`];
  const t0 = Math.min(...t.decisions.map((d) => d.ts), ...t.backend.map((b) => b.ts));
  if (t.decisions.length > 1) out.push(`  note: ${t.decisions.length} gateway decisions share this id (a client reused an X-Request-ID)`);
  for (const d of t.decisions) {
    out.push('');
    out.push(`Gateway decision  ${d.decision}${d.wouldDecision ? ` (enforce mode would: ${d.wouldDecision})` : ''}  reason ${d.reason}`);
    const rows: Array<[string, string]> = [
      ['time', `${isoTime(d.ts)}`],
      ['client', `${d.clientIp}${d.clientId && d.clientId !== d.clientIp ? ` (client id ${d.clientId})` : ''}`],
      ['key', d.keyId ?? '-'],
      ['request', `${d.method} ${d.path}`],
      ['status', `${d.status} to the client${d.upstreamStatus !== null ? `, backend answered ${d.upstreamStatus}` : ', not forwarded'}`],
      ['mode', d.mode],
      ['score', d.score === null ? 'not scored' : d.score.toFixed(3)],
      ['latency', `${fmtMs(d.latencyMs)} at the gateway${d.upstreamMs !== null ? `, ${fmtMs(d.upstreamMs)} to backend headers` : ''}`],
      ['bytes', `in ${fmtNumber(d.bytesIn)}, out ${fmtNumber(d.bytesOut)}`],
    ];
    const ex = explainText(d.explain, 5);
    if (ex) rows.push(['why', ex]);
    if (d.features && typeof d.features === 'object') {
      rows.push([
        'features',
        Object.entries(d.features as Record<string, unknown>)
          .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toFixed(4)) : String(v)}`)
          .join(' '),
      ]);
    }
    for (const [k, v] of rows) out.push(`  ${k.padEnd(9)}${v}`);
  }
  out.push('');
  if (t.backend.length === 0) {
    out.push(
      t.decisions.some((d) => d.upstreamStatus !== null)
        ? 'Backend event: none recorded (the backend does not log to this database)'
        : 'Backend event: none (the request was not forwarded)',
    );
  } else {
    for (const b of t.backend) {
      out.push(`Backend event  ${b.method} ${b.path}  status ${b.status}  handled in ${fmtMs(b.latencyMs)}  at ${isoTime(b.ts)}`);
    }
    if (t.decisions.length === 0) out.push('  note: the backend saw this id but the gateway has no decision for it (a request that bypassed the gateway?)');
  }
  // Timeline relative to the earliest event. Row timestamps have millisecond resolution and the
  // forward starts just after arrival, so offsets are approximate to a millisecond or so.
  const events: Array<[number, string]> = [];
  for (const d of t.decisions) {
    events.push([d.ts, `gateway received ${d.method} ${d.path} from ${d.clientIp}`]);
    if (d.upstreamMs !== null) events.push([d.ts + d.upstreamMs, `gateway got the backend's response headers (${fmtMs(d.upstreamMs)} after forwarding)`]);
    events.push([d.ts + d.latencyMs, `gateway finished: ${d.status} ${d.decision}`]);
  }
  for (const b of t.backend) events.push([b.ts, `backend logged ${b.status} (handled in ${fmtMs(b.latencyMs)})`]);
  events.sort((a, b) => a[0] - b[0]);
  out.push('');
  out.push('Timeline');
  for (const [ts, what] of events) out.push(`  ${offset(ts - t0).padStart(9)}  ${what}`);
  return out.join('\n');
}
