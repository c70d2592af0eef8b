/**
 * What a worker's lifetime counters (`completed`, `errors`) say about when work happened.
 * A counter is read whenever the store is read; between two readings it rose by some
 * amount, and that work happened somewhere in between — not at the instant we looked.
 * Putting all of it at the second reading draws a spike after every gap (an outage, a
 * slow poll, a worker that heartbeats every 30 s) and a hole before it.
 */

/** One reading of a worker's counters: when we read it, and the worker's own heartbeat time if it has one. */
export interface CounterReading {
  at: number;
  beat?: number;
}

/** The longest span an increase is spread over: the longest chart window. */
export const MAX_SPREAD_MS = 6 * 60 * 60_000;

/**
 * How much a counter rose. A counter that went down was reset (the worker restarted):
 * it is a new base and counts from zero, so what it shows now was done since the restart.
 * Never negative.
 */
export function counterIncrease(before: number | undefined, after: number | undefined): number {
  if (before === undefined || after === undefined || !Number.isFinite(before) || !Number.isFinite(after)) return 0;
  return after >= before ? after - before : Math.max(0, after);
}

/**
 * The time an increase between two readings is spread over, `[from, to]` (`from === to`: at one instant).
 * - The worker heartbeats: its counters are written with its heartbeat, so the work happened
 *   between the two heartbeat times (a worker silent through an outage: over the outage).
 * - No heartbeat times: between the two readings, but only when the store was unreachable in
 *   between (`blindFrom`, when the outage began); otherwise a change is seen as it is written,
 *   and it happened now.
 */
export function increaseSpan(
  prev: CounterReading,
  cur: CounterReading,
  blindFrom?: number,
): { from: number; to: number } {
  const now = cur.at;
  let from: number;
  let to = now;
  if (prev.beat !== undefined && cur.beat !== undefined && cur.beat > prev.beat && cur.beat <= now) {
    from = prev.beat;
    to = cur.beat;
  } else if (blindFrom !== undefined && blindFrom >= prev.at && blindFrom < now) {
    from = blindFrom;
  } else {
    return { from: now, to: now };
  }
  return { from: Math.max(from, to - MAX_SPREAD_MS), to };
}

/**
 * Cuts `[from, to]` into slices no wider than `stepMs`, each with its share of `n`
 * (by length): where to add a spread increase, bucket by bucket.
 */
export function slices(from: number, to: number, n: number, stepMs: number): { ts: number; n: number }[] {
  if (!(to > from)) return [{ ts: to, n }];
  const out: { ts: number; n: number }[] = [];
  const total = to - from;
  // Slice edges on the step grid, so each slice falls in exactly one bucket of every window.
  let a = from;
  while (a < to) {
    const b = Math.min(to, (Math.floor(a / stepMs) + 1) * stepMs);
    out.push({ ts: a, n: (n * (b - a)) / total });
    a = b;
  }
  return out;
}
