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

  /**
   * The interval to judge lateness by. Once MIN_SAMPLES intervals were seen, their
   * median. Before that, the shortest interval seen so far — a pause only ever makes
   * an interval longer, so the shortest is the safe guess — but only if it is at most
   * `earlyCapMs`: a single long first gap is more likely the worker having been away
   * (dead, restarting) than its cadence, and trusting it would hide the next death.
   * This is what keeps a worker beating every 30 s from flapping to unresponsive
   * during its first minute and a half on screen.
   */
  estimate(earlyCapMs: number): number | undefined {
    const learned = this.intervalMs;
    if (learned !== undefined || this.intervals.length === 0) return learned;
    const shortest = Math.min(...this.intervals);
    return shortest <= earlyCapMs ? shortest : undefined;
  }

  /** The usual interval in ms, or undefined until enough beats were seen. */
  get intervalMs(): number | undefined {
    if (this.intervals.length < MIN_SAMPLES) return undefined;
    const sorted = [...this.intervals].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }
}
