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

/**
 * Leading-edge coalescing of repaints. A change that arrives when nothing was painted
 * for `windowMs` is painted at once (a quiet view shows a write without waiting);
 * changes that follow within the window are merged into one paint at its end. Paints
 * are always at least `windowMs` apart, so a burst of any size costs at most one paint
 * per window plus the first, and the last change is always painted: `paint` reads the
 * current state when it runs, never a state captured at request time.
 */
export class Coalescer {
  private lastPaint = -Infinity;
  private timer: unknown;
  private timerSet = false;
  private disposed = false;

  /**
   * @param windowMs the window, or a function read at each request (a window that grows with the work a paint costs).
   */
  constructor(
    private readonly paint: () => void,
    private readonly windowMs: number | (() => number),
    private readonly clock: CoalescerClock = realClock,
  ) {}

  /** Something changed: paint now if the view is quiet, else once at the end of the window. */
  request(): void {
    if (this.disposed || this.timerSet) return;
    const wait = this.lastPaint + this.window() - this.clock.now();
    if (wait <= 0) this.run();
    else {
      this.timerSet = true;
      this.timer = this.clock.setTimeout(() => {
        this.timerSet = false;
        this.run();
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
    return typeof this.windowMs === 'number' ? this.windowMs : this.windowMs();
  }

  private run(): void {
    if (this.disposed) return;
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
