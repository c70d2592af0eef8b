/**
 * Collects the worker ids push paths report and hands them over in bursts: the
 * first id starts a short window (a few ms), everything arriving within it shares
 * one flush, i.e. one pipeline. Flushes never overlap — ids arriving during one
 * wait for the next — so a later read can never be overtaken by an earlier one.
 */
export interface ChangeBatch {
  ids: string[];
  /** The set of worker ids itself changed (a worker joined or left). */
  membership: boolean;
}

export class ChangeBatcher {
  private ids = new Set<string>();
  private membership = false;
  private timer?: NodeJS.Timeout;
  private running = false;
  private disposed = false;

  constructor(
    private readonly flush: (batch: ChangeBatch) => Promise<void>,
    private readonly windowMs = 3,
  ) {}

  add(ids: Iterable<string>): void {
    for (const id of ids) this.ids.add(id);
    this.arm();
  }

  membershipChanged(): void {
    this.membership = true;
    this.arm();
  }

  get pending(): number {
    return this.ids.size + (this.membership ? 1 : 0);
  }

  private arm(): void {
    if (this.disposed || this.running || this.timer || this.pending === 0) return;
    this.timer = setTimeout(() => void this.run(), this.windowMs);
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    if (this.disposed || this.pending === 0) return;
    const batch: ChangeBatch = { ids: [...this.ids], membership: this.membership };
    this.ids = new Set();
    this.membership = false;
    this.running = true;
    try {
      await this.flush(batch);
    } catch {
      // The flush reports its own failures; a lost batch is repaired by the reconciliation poll.
    } finally {
      this.running = false;
      this.arm();
    }
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.ids.clear();
  }
}
