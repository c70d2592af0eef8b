/**
 * Learns how often one worker heartbeats, from the heartbeat timestamps seen.
 * Keeps the last few intervals and uses their median, so one long pause (a GC,
 * a long task) does not stretch the worker's allowance, and jitter averages out.
 */
const KEEP = 8;
/** Fewer intervals than this and we do not trust what we learned. */
const MIN_SAMPLES = 3;

export class Cadence {
  private readonly intervals: number[] = [];
  private last?: number;

  /** Records a heartbeat timestamp (epoch ms). Repeats and going backwards (a restart) are handled. */
  observe(heartbeat: number): void {
    if (this.last === undefined) {
      this.last = heartbeat;
      return;
    }
    const delta = heartbeat - this.last;
    if (delta <= 0) {
      // Same beat read twice, or the clock went back (a restart with a new clock): not an interval.
      if (delta < 0) this.last = heartbeat;
      return;
    }
    this.last = heartbeat;
    this.intervals.push(delta);
    if (this.intervals.length > KEEP) this.intervals.shift();
  }

  /** The usual interval in ms, or undefined until enough beats were seen. */
  get intervalMs(): number | undefined {
    if (this.intervals.length < MIN_SAMPLES) return undefined;
    const sorted = [...this.intervals].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }
}
