// Owns the Prometheus text exposition of the gateway's in-memory counters (/_pathhelm/metrics).
//
// Example:
//   renderMetrics(stats.snapshot(), writer.stats());
//   // pathhelm_decisions_total{decision="ALLOW"} 1042 ...

import { LATENCY_BUCKETS_MS, type GatewayStatsSnapshot } from '../gateway/stats.js';
import type { TelemetryStats } from '../telemetry/types.js';

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function renderMetrics(s: GatewayStatsSnapshot, t: TelemetryStats, now: number = Date.now()): string {
  const out: string[] = [];
  const metric = (name: string, type: string, help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);

  metric('pathhelm_requests_total', 'counter', 'Requests decided since start (admin requests excluded).');
  out.push(`pathhelm_requests_total ${s.total}`);
  metric('pathhelm_decisions_total', 'counter', 'Requests by decision since start.');
  for (const [d, n] of Object.entries(s.byDecision)) out.push(`pathhelm_decisions_total{decision="${d}"} ${n}`);
  metric('pathhelm_decision_reasons_total', 'counter', 'Requests by decision reason since start.');
  for (const [r, n] of Object.entries(s.byReason)) out.push(`pathhelm_decision_reasons_total{reason="${esc(r)}"} ${n}`);
  metric('pathhelm_in_flight_requests', 'gauge', 'Requests being handled now (open WebSocket tunnels included).');
  out.push(`pathhelm_in_flight_requests ${s.inFlight}`);
  metric('pathhelm_request_duration_seconds', 'histogram', 'Gateway latency from arrival to response end.');
  for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) {
    out.push(`pathhelm_request_duration_seconds_bucket{le="${LATENCY_BUCKETS_MS[i] / 1000}"} ${s.latencyBuckets[i]}`);
  }
  out.push(`pathhelm_request_duration_seconds_bucket{le="+Inf"} ${s.latencyBuckets[LATENCY_BUCKETS_MS.length]}`);
  out.push(`pathhelm_request_duration_seconds_sum ${s.latencySumMs / 1000}`);
  out.push(`pathhelm_request_duration_seconds_count ${s.total}`);
  metric('pathhelm_telemetry_written_total', 'counter', 'Decision rows committed to SQLite.');
  out.push(`pathhelm_telemetry_written_total ${t.written}`);
  metric('pathhelm_telemetry_dropped_total', 'counter', 'Decision rows lost (queue overflow or failed writes).');
  out.push(`pathhelm_telemetry_dropped_total ${t.dropped}`);
  metric('pathhelm_telemetry_failures_total', 'counter', 'Failed decision-log write attempts.');
  out.push(`pathhelm_telemetry_failures_total ${t.failures}`);
  metric('pathhelm_telemetry_queued', 'gauge', 'Decision rows waiting in memory.');
  out.push(`pathhelm_telemetry_queued ${t.queued}`);
  metric('pathhelm_telemetry_lag_seconds', 'gauge', 'Age of the oldest queued decision row.');
  out.push(`pathhelm_telemetry_lag_seconds ${t.lagMs / 1000}`);
  metric('pathhelm_uptime_seconds', 'gauge', 'Seconds since the gateway started.');
  out.push(`pathhelm_uptime_seconds ${Math.max(0, (now - s.startedAt) / 1000)}`);
  return out.join('\n') + '\n';
}
