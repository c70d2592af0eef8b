/**
 * Log-spaced duration bins. Percentiles over a window need either every sample
 * (memory grows with the rate) or a histogram (fixed memory, bounded error). We
 * take the histogram, like Prometheus and HdrHistogram: each bin is 25% wider than
 * the one before, so an estimated p50/p95 is within about ±12% of the true value,
 * from 10 ms up to two days.
 */
export const HIST_MIN_MS = 10;
export const HIST_GROWTH = 1.25;
/** Bin 0 holds everything below HIST_MIN_MS; the last holds everything above the top. */
export const HIST_BINS = 2 + Math.ceil(Math.log((2 * 86_400_000) / HIST_MIN_MS) / Math.log(HIST_GROWTH));

/** Lower edge of bin `i` (i ≥ 1) in ms. */
export function binLow(i: number): number {
  return i <= 0 ? 0 : HIST_MIN_MS * HIST_GROWTH ** (i - 1);
}

export function binOf(ms: number): number {
  if (!(ms >= HIST_MIN_MS)) return 0;
  const i = 1 + Math.floor(Math.log(ms / HIST_MIN_MS) / Math.log(HIST_GROWTH));
  return Math.min(i, HIST_BINS - 1);
}

/**
 * The q-quantile (0..1) of the samples counted in `counts` (length HIST_BINS), or
 * undefined with no samples. Interpolates geometrically inside the bin by rank, so a
 * single value reads back within one bin width of itself.
 */
export function quantile(counts: ArrayLike<number>, q: number): number | undefined {
  let total = 0;
  for (let i = 0; i < HIST_BINS; i++) total += counts[i] ?? 0;
  if (total === 0) return undefined;
  // Nearest-rank on the (1-based) rank ceil(q·n), as most monitoring tools report.
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < HIST_BINS; i++) {
    const c = counts[i] ?? 0;
    if (c === 0) continue;
    if (seen + c >= rank) {
      if (i === 0) return HIST_MIN_MS / 2;
      const lo = binLow(i);
      const hi = binLow(i + 1);
      const frac = (rank - seen - 0.5) / c; // position of the rank inside the bin, 0..1
      return lo * (hi / lo) ** frac;
    }
    seen += c;
  }
  return binLow(HIST_BINS - 1);
}
