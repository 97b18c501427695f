/**
 * Where the consumer API's time goes: the aggregator's own answer time and each upstream's
 * (supplier clientIds, the waiting list, e-RS), on HDR histograms. The figure that matters under
 * load is the fan-out overhead: the aggregator's P95 minus the slowest upstream's P95, i.e. what the
 * aggregation itself adds on top of the upstream the patient is waiting for. Measurements only:
 * nothing here decides a verdict, and tests assert on structure, not on durations.
 */
import { type LatencySummary, LatencyRecorder } from '../../core/latency';

export interface UpstreamLatency {
  name: string;
  latency: LatencySummary;
}

export interface FanOutSnapshot {
  /** Consumer requests that reached the fan-out (not refused before it). */
  requests: number;
  aggregator: LatencySummary;
  upstreams: UpstreamLatency[];
  /** The upstream with the highest P95, if any was called. */
  slowestUpstream?: { name: string; p95Ms: number };
  /** Aggregator P95 minus the slowest upstream's P95, ms (never below 0). */
  overheadP95Ms?: number;
}

export class FanOutStats {
  private aggregator = new LatencyRecorder(2);
  private readonly upstreams = new Map<string, LatencyRecorder>();

  recordRequest(ms: number): void {
    this.aggregator.record(ms);
  }

  recordUpstream(name: string, ms: number): void {
    let r = this.upstreams.get(name);
    if (!r) this.upstreams.set(name, (r = new LatencyRecorder(2)));
    r.record(ms);
  }

  reset(): void {
    this.aggregator = new LatencyRecorder(2);
    this.upstreams.clear();
  }

  snapshot(): FanOutSnapshot {
    const upstreams = [...this.upstreams.entries()]
      .map(([name, r]) => ({ name, latency: r.summary() }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const aggregator = this.aggregator.summary();
    const slowest = upstreams.reduce<UpstreamLatency | undefined>(
      (s, u) => (!s || u.latency.p95 > s.latency.p95 ? u : s),
      undefined,
    );
    return {
      requests: aggregator.count,
      aggregator,
      upstreams,
      ...(slowest
        ? {
            slowestUpstream: { name: slowest.name, p95Ms: slowest.latency.p95 },
            overheadP95Ms: Math.max(0, aggregator.p95 - slowest.latency.p95),
          }
        : {}),
    };
  }
}
