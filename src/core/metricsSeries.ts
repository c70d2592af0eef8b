import { HIST_BINS, quantile } from './histogram';
import { ALL_HEALTH } from './model';
import type { BucketRing } from './ringBuffer';
import type { MetricsView, Series } from '../shared/protocol';

/*
 * The gauge and histogram series of one chart window, read from a fleet ring
 * (metrics.ts owns the column layout and passes the columns in).
 */

/** p50/p95 per bucket from the duration histogram columns starting at `histCol`, and the window's whole histogram. */
export function durationSeries(
  ring: BucketRing,
  buckets: number[],
  histCol: number,
): { p50: Series; p95: Series; hist: Float64Array } {
  const hist = new Float64Array(HIST_BINS);
  const p50: Series = [];
  const p95: Series = [];
  for (const b of buckets) {
    const bh = Array.from({ length: HIST_BINS }, (_, i) => ring.get(b, histCol + i));
    bh.forEach((c, i) => (hist[i]! += c));
    p50.push(seconds(quantile(bh, 0.5)));
    p95.push(seconds(quantile(bh, 0.95)));
  }
  return { p50, p95, hist };
}

/** Workers per health state per bucket (a gap where no sample was taken); only states seen in the window. */
export function healthSeries(
  ring: BucketRing,
  buckets: number[],
  sampledCol: number,
  firstCol: number,
): MetricsView['health'] {
  return ALL_HEALTH.map((state, i) => ({
    state,
    values: buckets.map((b) => (ring.get(b, sampledCol) ? ring.get(b, firstCol + i) : null)),
  })).filter((s) => s.values.some((v) => v));
}

/** Depth per queue per bucket; `valueCol + i` holds queue i's depth, `sampledCol + i` whether it was sampled. */
export function queueSeries(
  ring: BucketRing,
  buckets: number[],
  now: number,
  names: string[],
  valueCol: number,
  sampledCol: number,
): MetricsView['queues'] {
  const current = ring.bucketOf(now);
  return names.map((name, i) => {
    const values = buckets.map((b) => (ring.get(b, sampledCol + i) ? ring.get(b, valueCol + i) : null));
    // The gauge's newest sample, from the bucket in progress if it has one: the KPI should not lag a bucket.
    const latest = ring.get(current, sampledCol + i)
      ? ring.get(current, valueCol + i)
      : ([...values].reverse().find((v) => v !== null) ?? null);
    return { name, values, latest };
  });
}

export function seconds(ms: number | undefined): number | null {
  return ms === undefined ? null : Math.round(ms) / 1000;
}
