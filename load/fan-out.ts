/**
 * The aggregator's fan-out overhead in a load report: the load's own P95 against the aggregator
 * minus the P95 of the slowest upstream the mock platform called during the run (from
 * `GET /_harness/aggregator/fan-out`). It tells "the aggregator is slow" from "a supplier is slow".
 * Only the harness's platform offers the figures; against anything else the report says nothing.
 */
import { fetchWithTimeout } from '../core/http';
import type { FanOutSnapshot } from '../mocks/aggregator/fan-out';

export interface FanOutReport {
  /** Where the figures came from. */
  source: string;
  /** The load's P95 against the aggregator (from the scheduled start), ms. */
  aggregatorP95Ms: number;
  /** The aggregator's own answer time P95 as the platform measured it, ms. */
  platformP95Ms: number;
  upstreams: Array<{ name: string; count: number; p95Ms: number }>;
  slowestUpstream?: { name: string; p95Ms: number };
  /** Aggregator P95 minus the slowest upstream's P95, ms (not below 0). */
  overheadP95Ms?: number;
}

const fanOutUrl = (platform: string): string => `${platform.replace(/\/+$/, '')}/_harness/aggregator/fan-out`;

/** Starts the platform's figures afresh; false when the target offers none (not the harness platform). */
export async function resetFanOut(platform: string): Promise<boolean> {
  try {
    const r = await fetchWithTimeout(fanOutUrl(platform), { method: 'DELETE', timeoutMs: 5_000 });
    return r.status === 204;
  } catch {
    return false;
  }
}

/** The fan-out report for a run whose P95 against the aggregator was `aggregatorP95Ms`; undefined if unavailable. */
export async function fanOutReport(platform: string, aggregatorP95Ms: number): Promise<FanOutReport | undefined> {
  let snap: FanOutSnapshot | undefined;
  try {
    const r = await fetchWithTimeout<FanOutSnapshot>(fanOutUrl(platform), { timeoutMs: 5_000 });
    if (r.status === 200) snap = r.json;
  } catch {
    return undefined;
  }
  if (!snap || !Array.isArray(snap.upstreams)) return undefined;
  return fanOutFrom(fanOutUrl(platform), aggregatorP95Ms, snap);
}

export function fanOutFrom(source: string, aggregatorP95Ms: number, snap: FanOutSnapshot): FanOutReport {
  const upstreams = snap.upstreams.map((u) => ({ name: u.name, count: u.latency.count, p95Ms: u.latency.p95 }));
  return {
    source,
    aggregatorP95Ms,
    platformP95Ms: snap.aggregator.p95,
    upstreams,
    ...(snap.slowestUpstream
      ? {
          slowestUpstream: snap.slowestUpstream,
          overheadP95Ms: Math.max(0, aggregatorP95Ms - snap.slowestUpstream.p95Ms),
        }
      : {}),
  };
}
