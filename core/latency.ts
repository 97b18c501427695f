/**
 * Latency recording on HDR histograms, for the load runner and the mock aggregator's fan-out figures
 * alike (hdr-histogram-js, pure-JS build: no WebAssembly to load).
 * Values are recorded in microseconds so sub-millisecond loopback latencies keep their shape;
 * everything reported is in milliseconds.
 */
import { build, type Histogram } from 'hdr-histogram-js';

/** One hour in microseconds: anything slower is clamped (and would have timed out long before). */
const HIGHEST_US = 3_600_000_000;
const BINS_PER_OCTAVE = 8;

export class LatencyRecorder {
  private readonly h: Histogram;
  /** Eighth-octave bins (index = floor(8*log2(us))) for the distribution chart. */
  private readonly bins = new Map<number, number>();

  constructor(
    digits: 1 | 2 | 3 = 3,
    private readonly withBins = false,
  ) {
    // Starts small and grows to the largest value seen, so a per-second recorder costs a few KB.
    this.h = build({
      useWebAssembly: false,
      bitBucketSize: 32,
      autoResize: true,
      lowestDiscernibleValue: 1,
      highestTrackableValue: 2,
      numberOfSignificantValueDigits: digits,
    });
  }

  record(ms: number): void {
    const us = Math.min(Math.max(1, Math.round(ms * 1000)), HIGHEST_US);
    this.h.recordValue(us);
    if (this.withBins) {
      const b = Math.floor(BINS_PER_OCTAVE * Math.log2(us));
      this.bins.set(b, (this.bins.get(b) ?? 0) + 1);
    }
  }

  get count(): number {
    return this.h.totalCount;
  }

  percentile(p: number): number {
    return this.h.totalCount === 0 ? 0 : this.h.getValueAtPercentile(p) / 1000;
  }

  summary(): LatencySummary {
    const n = this.h.totalCount;
    if (n === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 };
    return {
      count: n,
      min: this.h.minNonZeroValue / 1000,
      mean: this.h.mean / 1000,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: this.h.maxValue / 1000,
    };
  }

  distribution(): DistributionBin[] {
    return [...this.bins.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([b, count]) => ({
        fromMs: 2 ** (b / BINS_PER_OCTAVE) / 1000,
        toMs: 2 ** ((b + 1) / BINS_PER_OCTAVE) / 1000,
        count,
      }));
  }
}

/** Latency percentiles, ms. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export interface DistributionBin {
  /** Lower and upper latency bounds, ms. */
  fromMs: number;
  toMs: number;
  count: number;
}
