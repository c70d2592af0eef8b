import { watch, type FSWatcher } from 'node:fs';
import { basename } from 'node:path';

/**
 * fs.watch on one folder (never on the files: an atomic rename or a log rotation
 * replaces the inode a file watch would follow), with the events of a short window
 * coalesced into one batch of names, so 1,000 workers writing at once cost one pass.
 *
 * fs.watch is a hint, not the truth: it can be unavailable (network drives, inotify
 * limits) or miss events, so owners keep a reconciliation poll beside it.
 */
export class FolderWatcher {
  private watcher?: FSWatcher;
  private watchedIno?: number;
  private pending = new Set<string>();
  private everything = false;
  private timer?: NodeJS.Timeout;
  private closed = false;
  /** Why the last watch attempt failed, for the log; undefined while watching. */
  failure?: string;

  constructor(
    private readonly dir: string,
    /** Names that changed, or 'all' when the platform did not say which (or the folder itself went). */
    private readonly onBatch: (names: string[] | 'all') => void,
    private readonly windowMs = 20,
  ) {}

  get active(): boolean {
    return this.watcher !== undefined;
  }

  /**
   * Watches the folder whose inode is `ino`. A folder deleted and created again has a
   * new inode and a dead watch on the old one, so a changed inode re-watches.
   * Returns whether events are flowing.
   */
  ensure(ino: number): boolean {
    if (this.closed) return false;
    if (this.watcher && this.watchedIno === ino) return true;
    this.stop();
    try {
      const w = watch(this.dir, { persistent: false }, (_event, name) => this.note(name ? String(name) : undefined));
      w.on('error', (err) => {
        this.failure = (err as Error).message;
        this.stop();
        this.note(undefined);
      });
      this.watcher = w;
      this.watchedIno = ino;
      this.failure = undefined;
      return true;
    } catch (err) {
      this.failure =
        (err as NodeJS.ErrnoException).code === 'ENOSPC'
          ? 'the system limit on file watches is reached'
          : (err as Error).message;
      return false;
    }
  }

  /** Stops watching (the folder went away); ensure() starts again. */
  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.watchedIno = undefined;
  }

  close(): void {
    this.closed = true;
    this.stop();
    clearTimeout(this.timer);
    this.pending.clear();
  }

  private note(name: string | undefined): void {
    if (this.closed) return;
    // On Linux, deleting the watched folder reports its own name once, then silence.
    if (name === undefined || name === basename(this.dir)) this.everything = true;
    else this.pending.add(name);
    this.timer ??= setTimeout(() => this.flush(), this.windowMs);
  }

  private flush(): void {
    this.timer = undefined;
    const batch: string[] | 'all' = this.everything ? 'all' : [...this.pending];
    this.pending = new Set();
    this.everything = false;
    if (!this.closed) this.onBatch(batch);
  }
}
