// Owns the gateway's in-memory counters since start: totals by decision and reason, in flight,
// and a latency histogram (feeds /_pathhelm/status and /_pathhelm/metrics; no SQLite involved).
//
// Example:
//   const stats = new GatewayStats();
//   stats.record('ALLOW', 'ok', 1.7);
//   stats.snapshot().byDecision.ALLOW; // 1

import type { Decision } from '../config/types.js';

/** Upper bounds (ms) of the latency histogram buckets (Prometheus `le` labels); +Inf is implicit. */
export const LATENCY_BUCKETS_MS = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/** Most distinct reasons tracked; further ones are counted under `other`. */
const MAX_REASONS = 256;

export interface GatewayStatsSnapshot {
  startedAt: number;
  total: number;
  inFlight: number;
  byDecision: Record<Decision, number>;
  byReason: Record<string, number>;
  /** Cumulative counts per LATENCY_BUCKETS_MS bound, then +Inf. */
  latencyBuckets: number[];
  latencySumMs: number;
}

export class GatewayStats {
  readonly startedAt: number;
  total = 0;
  inFlight = 0;
  allow = 0;
  throttle = 0;
  block = 0;
  private readonly reasons = new Map<string, number>();
  private readonly buckets = new Float64Array(LATENCY_BUCKETS_MS.length + 1);
  private latencySum = 0;

  constructor(now: number = Date.now()) {
    this.startedAt = now;
  }

  record(decision: Decision, reason: string, latencyMs: number): void {
    this.total++;
    if (decision === 'ALLOW') this.allow++;
    else if (decision === 'BLOCK') this.block++;
    else this.throttle++;
    const r = this.reasons.get(reason);
    if (r !== undefined) this.reasons.set(reason, r + 1);
    else if (this.reasons.size < MAX_REASONS) this.reasons.set(reason, 1);
    else this.reasons.set('other', (this.reasons.get('other') ?? 0) + 1);
    let b = 0;
    while (b < LATENCY_BUCKETS_MS.length && latencyMs > LATENCY_BUCKETS_MS[b]) b++;
    this.buckets[b]++;
    this.latencySum += latencyMs;
  }

  snapshot(): GatewayStatsSnapshot {
    const cumulative: number[] = [];
    let acc = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      acc += this.buckets[i];
      cumulative.push(acc);
    }
    return {
      startedAt: this.startedAt,
      total: this.total,
      inFlight: this.inFlight,
      byDecision: { ALLOW: this.allow, THROTTLE: this.throttle, BLOCK: this.block },
      byReason: Object.fromEntries(this.reasons),
      latencyBuckets: cumulative,
      latencySumMs: this.latencySum,
    };
  }
}
