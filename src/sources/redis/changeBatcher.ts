/**
 * Collects the worker ids push paths report and hands them over in bursts: the
 * first id starts a window, everything arriving within it shares one flush, i.e. one
 * pipeline. Flushes never overlap — ids arriving during one wait for the next — so a
 * later read can never be overtaken by an earlier one. The default window is one turn
 * of the event loop (the notifications of one write arrive in one socket read): a lone
 * change is read at once, and under a flood the flush in flight is what batches the rest.
 */
export interface ChangeBatch {
  ids: string[];
  /** The set of worker ids itself changed (a worker joined or left). */
  membership: boolean;
}

export class ChangeBatcher {
  private ids = new Set<string>();
  private membership = false;
  private cancel?: () => void;
  private running = false;
  private disposed = false;

  constructor(
    private readonly flush: (batch: ChangeBatch) => Promise<void>,
    private readonly windowMs = 0,
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
    if (this.disposed || this.running || this.cancel || this.pending === 0) return;
    if (this.windowMs > 0) {
      const t = setTimeout(() => void this.run(), this.windowMs);
      this.cancel = () => clearTimeout(t);
    } else {
      const t = setImmediate(() => void this.run());
      this.cancel = () => clearImmediate(t);
    }
  }

  private async run(): Promise<void> {
    this.cancel = undefined;
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
    this.cancel?.();
    this.ids.clear();
  }
}
