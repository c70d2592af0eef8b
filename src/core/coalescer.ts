/** The clock a Coalescer runs on: the real one, or a fake in tests. */
export interface CoalescerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: CoalescerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** The window views use after a paint that merged a flood of changes: ≤ 2 repaints a second while it lasts. */
export const FLOOD_WINDOW_MS = 500;

/**
 * Leading-edge coalescing of repaints. A change that arrives when nothing was painted
 * for `windowMs` is painted at once (a quiet view shows a write without waiting);
 * changes that follow within the window are merged into one paint at its end. Paints
 * are always at least `windowMs` apart, so a burst of any size costs at most one paint
 * per window plus the first, and the last change is always painted: `paint` reads the
 * current state when it runs, never a state captured at request time.
 *
 * Under a sustained burst (more changes kept arriving while a paint waited) the window
 * after that paint is `burstWindowMs`: a view that is being flooded gains nothing from
 * four paints a second but costs the renderer (a VS Code tree refresh renders in several
 * passes), while a lone change on a quiet view is still painted at once.
 */
export class Coalescer {
  private lastPaint = -Infinity;
  private timer: unknown;
  private timerSet = false;
  private disposed = false;
  /** Requests merged into the waiting paint beyond the one that started the wait. */
  private merged = 0;
  /** The last paint ended a burst: the next window is the burst window. */
  private afterBurst = false;

  /**
   * @param windowMs the window, or a function read at each request (a window that grows with the work a paint costs).
   * @param burstWindowMs the window after a paint that merged a burst (defaults to the window itself).
   */
  constructor(
    private readonly paint: () => void,
    private readonly windowMs: number | (() => number),
    private readonly clock: CoalescerClock = realClock,
    private readonly burstWindowMs?: number,
  ) {}

  /** Something changed: paint now if the view is quiet, else once at the end of the window. */
  request(): void {
    if (this.disposed) return;
    if (this.timerSet) {
      this.merged++;
      return;
    }
    const wait = this.lastPaint + this.window() - this.clock.now();
    if (wait <= 0) this.run();
    else {
      this.timerSet = true;
      this.timer = this.clock.setTimeout(() => {
        this.timerSet = false;
        this.run(this.merged > 0);
      }, wait);
    }
  }

  /** A paint is waiting for the end of the window. */
  get pending(): boolean {
    return this.timerSet;
  }

  /** Nothing waiting and nothing painted within the window: the next request paints at once. */
  get quiet(): boolean {
    return !this.timerSet && this.clock.now() - this.lastPaint >= this.window();
  }

  private window(): number {
    const base = typeof this.windowMs === 'number' ? this.windowMs : this.windowMs();
    return this.afterBurst && this.burstWindowMs !== undefined ? Math.max(base, this.burstWindowMs) : base;
  }

  /** @param burst whether this paint merged more than one request (a trailing paint in a burst). */
  private run(burst = false): void {
    if (this.disposed) return;
    this.merged = 0;
    this.afterBurst = burst;
    // Stamped before painting: a request made from inside paint() waits for the next window,
    // and a paint that throws does not leave the coalescer stuck.
    this.lastPaint = this.clock.now();
    this.paint();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timerSet) this.clock.clearTimeout(this.timer);
    this.timerSet = false;
  }
}
