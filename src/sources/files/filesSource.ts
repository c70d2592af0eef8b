import type { Stats } from 'node:fs';
import { definedOnly } from '../../core/definedOnly';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkerSnapshot } from '../../core/model';
import { unreadable, type FieldMap } from '../../core/record';
import type { SourceSink, WorkerSource } from '../source';
import { FolderWatcher } from './folderWatcher';
import { expandPath, globToRegExp, stemOf } from './glob';
import { HEARTBEAT_FILE_FIELDS, MAX_FILE_BYTES, readHeartbeat } from './heartbeatPreset';
import { LogFollower } from './logFollower';
import { readCapped } from './readCapped';

export interface FilesSourceOptions {
  /** Folder holding one heartbeat file per worker (`~` and relative paths allowed). */
  path: string;
  preset?: 'heartbeat-files';
  /** File-name glob of heartbeat files; default `*.json`. */
  pattern?: string;
  fields?: Partial<FieldMap>;
  /** Glob of per-worker log files (relative to `path` unless absolute), followed through rotation. */
  logs?: string;
  /** Rescan interval while file events are unavailable, and while the folder is missing. */
  pollMs: number;
  /** Rescan interval while file events flow (they can be missed); default max(5 × pollMs, 10 s). */
  reconcileMs?: number;
  /** Delays before re-reading a file that looked half-written; reported corrupt after the last. */
  retryDelaysMs?: number[];
}

interface FileEntry {
  /** The worker this file speaks for (its `worker` field, else its name). */
  id: string;
  /** Stat at the last read: a rescan re-reads only files whose stat changed. */
  mtimeMs: number;
  size: number;
  ino: number;
  /** What is shown; undefined while a new file has not yet been read whole. */
  snapshot?: WorkerSnapshot;
  /** Timed re-reads done since the file was last readable. */
  retries: number;
  retry?: NodeJS.Timeout;
}

type ReadResult = 'changed' | 'same' | 'pending' | 'removed';

/** Parallel reads per pass: enough to hide latency, few enough not to exhaust file descriptors. */
const READ_CONCURRENCY = 32;

/** The charts' longest window: how far back log files are read when the source starts. */
const HISTORY_MS = 6 * 60 * 60_000;

/**
 * A folder of heartbeat files (seed 004's workers, the simulator, the embedded default).
 * File events re-read only the files they name; a slow rescan with an mtime cache
 * reconciles what events missed. Never throws into its caller.
 */
export class FilesSource implements WorkerSource {
  readonly kind = 'files';
  readonly dir: string;
  readonly fields: FieldMap;
  private readonly match: RegExp;
  private readonly files = new Map<string, FileEntry>();
  private readonly watcher: FolderWatcher;
  private readonly retryDelays: number[];
  private readonly reconcileMs: number;
  private follower?: LogFollower;
  private sink?: SourceSink;
  private timer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();
  private settleWaiters: (() => void)[] = [];
  private disposed = false;
  private lastProblem?: string;
  /** Why file events are unavailable, once logged (not on every poll). */
  private noEvents?: string;
  /** Files read since start (not stats): what shows a rescan is cheap. For the benchmark and tests. */
  filesRead = 0;

  constructor(private readonly opts: FilesSourceOptions) {
    this.dir = expandPath(opts.path);
    this.fields = { ...HEARTBEAT_FILE_FIELDS, ...definedOnly(opts.fields) };
    this.match = globToRegExp(opts.pattern || '*.json');
    this.retryDelays = opts.retryDelaysMs ?? [50, 150, 400];
    this.reconcileMs = opts.reconcileMs ?? Math.max(opts.pollMs * 5, 10_000);
    this.watcher = new FolderWatcher(
      this.dir,
      (names) => void this.enqueue(() => (names === 'all' ? this.scan() : this.readNames(names))),
    );
  }

  start(sink: SourceSink): void {
    this.sink = sink;
    sink.setConnection({ state: 'connecting', message: `Reading ${this.dir}…` });
    if (this.opts.logs) {
      this.follower = new LogFollower({
        glob: this.opts.logs,
        baseDir: this.dir,
        pollMs: this.opts.pollMs,
        // Read back over the charts' longest window, so the dashboard opens on the fleet's story.
        since: Date.now() - HISTORY_MS,
        onEntries: (entries) => sink.logs(entries),
        onEvents: (events) => events.forEach((e) => sink.event(e)),
        onProblem: (message) => sink.log('warn', message),
      });
      this.follower.start();
    }
    this.schedule(0);
  }

  /**
   * The per-worker log files (`logs` option) are local and cheap to tail: they are
   * followed from start, so the dashboard opens on the lines written since.
   */
  followActivity(on: boolean): void {
    if (!on || !this.sink) return;
    this.sink.activityStatus(
      this.opts.logs
        ? `Logs: ${this.opts.logs}`
        : 'Logs: no log files configured ("logs" in the connection\'s settings).',
    );
  }

  /** A full rescan; resolves once files caught mid-write have been re-read (or reported). */
  async refresh(): Promise<void> {
    if (this.disposed || !this.sink) return;
    await this.enqueue(() => this.scan());
    if (this.pendingRetries > 0) await new Promise<void>((r) => this.settleWaiters.push(r));
  }

  /** Files waiting to be re-read because they looked half-written. */
  get pendingRetries(): number {
    let n = 0;
    for (const e of this.files.values()) if (e.retry) n++;
    return n;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.timer);
    this.watcher.close();
    for (const e of this.files.values()) clearTimeout(e.retry);
    this.settleWaiters.forEach((r) => r());
    await this.follower?.dispose();
  }

  private schedule(ms: number): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.enqueue(() => this.scan()), ms);
  }

  /** One job at a time: a rescan and an event batch must not interleave their reads. */
  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.chain.then(async () => {
      if (this.disposed) return;
      try {
        await job();
      } catch (err) {
        this.sink?.log('error', `Files source: ${(err as Error).message}`);
      }
      if (this.pendingRetries === 0) this.settleWaiters.splice(0).forEach((r) => r());
    });
    this.chain = run;
    return run;
  }

  private async scan(): Promise<void> {
    const sink = this.sink!;
    const started = performance.now();
    let names: string[];
    try {
      const st = await stat(this.dir);
      if (!st.isDirectory()) return this.folderProblem(`${this.dir} is a file, not a folder of heartbeat files.`);
      this.watcher.ensure(st.ino);
      const entries = await readdir(this.dir, { withFileTypes: true });
      names = entries.filter((d) => !d.isDirectory() && this.match.test(d.name)).map((d) => d.name);
    } catch (err) {
      return this.folderProblem(describeFolderError(err, this.dir));
    }
    const present = new Set(names);
    for (const name of [...this.files.keys()]) if (!present.has(name)) this.forget(name);
    let read = 0;
    await eachLimited(names, READ_CONCURRENCY, async (name) => {
      if ((await this.readOne(name, true)) === 'removed') this.forget(name);
      else read++;
    });
    if (this.disposed) return;
    sink.replaceAll([...this.shown().values()]);
    const watching = this.watcher.active;
    if (!watching && this.watcher.failure && this.watcher.failure !== this.noEvents) {
      sink.log('warn', `No file events for ${this.dir} (${this.watcher.failure}); polling instead.`);
    }
    this.noEvents = watching ? undefined : this.watcher.failure;
    const liveMode = watching
      ? `file events, reconcile every ${seconds(this.reconcileMs)}`
      : `poll every ${seconds(this.opts.pollMs)}`;
    sink.setConnection({ state: 'connected', liveMode });
    if (this.lastProblem) sink.log('info', `Reading ${this.dir} again.`);
    this.lastProblem = undefined;
    sink.log('debug', `Scanned ${read} heartbeat files in ${(performance.now() - started).toFixed(1)} ms`);
    this.schedule(watching ? this.reconcileMs : this.opts.pollMs);
  }

  /** The folder is missing or unreadable: keep the last-known workers (shown stale) and keep looking. */
  private folderProblem(message: string): void {
    this.watcher.stop();
    this.sink!.setConnection({ state: 'error', message });
    if (message !== this.lastProblem) this.sink!.log('warn', message);
    this.lastProblem = message;
    this.schedule(this.opts.pollMs);
  }

  /** An event batch: re-read just these files and send only the workers they changed. */
  private async readNames(names: string[], isRetry = false): Promise<void> {
    const affected = new Set<string>();
    await eachLimited(
      names.filter((n) => this.match.test(n)),
      READ_CONCURRENCY,
      async (name) => {
        const before = this.files.get(name)?.id;
        const r = await this.readOne(name, false, isRetry);
        if (before !== undefined && (r === 'removed' || r === 'changed')) affected.add(before);
        if (r === 'removed') this.forget(name);
        else if (r === 'changed') affected.add(this.files.get(name)!.id);
      },
    );
    if (!affected.size || this.disposed || this.lastProblem) return;
    const shown = this.shown();
    const changed: WorkerSnapshot[] = [];
    const removed: string[] = [];
    for (const id of affected) {
      const s = shown.get(id);
      if (s) changed.push(s);
      else removed.push(id);
    }
    this.sink!.update(changed, removed);
  }

  /**
   * Reads one file. With `useCache`, an unchanged stat (mtime, size, inode) skips the
   * read: that is what keeps a rescan of 1,000 files to 1,000 stats.
   */
  private async readOne(name: string, useCache: boolean, isRetry = false): Promise<ReadResult> {
    const full = join(this.dir, name);
    let st: Stats;
    let text: string;
    const entry = this.files.get(name);
    let tooLarge: string | undefined;
    try {
      st = await stat(full);
      if (!st.isFile()) return 'removed';
      if (useCache && entry && entry.mtimeMs === st.mtimeMs && entry.size === st.size && entry.ino === st.ino) {
        return entry.retry ? 'pending' : 'same';
      }
      const r = await readCapped(full, MAX_FILE_BYTES);
      this.filesRead++;
      if (!r.ok && r.why === 'not-regular') return 'removed';
      text = r.ok ? r.text : '';
      // "more than": a file that never ends (procfs behind a symlink) is read only up to the cap.
      if (!r.ok) tooLarge = r.size !== undefined ? `${r.size} bytes` : `more than ${MAX_FILE_BYTES} bytes`;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return 'removed'; // deleted, or renamed away by an atomic writer
      return this.settle(
        name,
        entry,
        undefined,
        { problem: `${name} cannot be read: ${code ?? (err as Error).message}`, transient: true },
        isRetry,
      );
    }
    const e = entry ?? { id: stemOf(name), mtimeMs: 0, size: 0, ino: 0, retries: 0 };
    Object.assign(e, { mtimeMs: st.mtimeMs, size: st.size, ino: st.ino });
    this.files.set(name, e);
    if (tooLarge !== undefined) {
      return this.settle(name, e, undefined, {
        problem: `${name} is ${tooLarge}, too large for a heartbeat file`,
        transient: false,
      });
    }
    const r = readHeartbeat(name, stemOf(name), text, this.fields);
    return r.ok ? this.settle(name, e, r.snapshot) : this.settle(name, e, undefined, r, isRetry);
  }

  /**
   * Records a read. A bad read that may be a write in progress (empty, cut-off JSON)
   * is re-read on a fixed schedule, keeping what was shown meanwhile; it becomes
   * "unreadable" only when still bad after the last retry. Events during the
   * schedule do not hurry it: a writer flushing in several chunks sends several.
   */
  private settle(
    name: string,
    entry: FileEntry | undefined,
    snapshot?: WorkerSnapshot,
    bad?: { problem: string; transient: boolean },
    isRetry = false,
  ): ReadResult {
    const e = entry ?? { id: stemOf(name), mtimeMs: 0, size: 0, ino: 0, retries: 0 };
    this.files.set(name, e);
    if (snapshot) {
      clearTimeout(e.retry);
      e.retry = undefined;
      e.retries = 0;
      e.id = snapshot.id;
      e.snapshot = snapshot;
      return 'changed';
    }
    if (bad!.transient) {
      if (isRetry) e.retries++;
      else if (e.retry) return 'pending';
      if (e.retries < this.retryDelays.length) {
        clearTimeout(e.retry);
        // `retry` stays set until the re-read has run, so refresh() waits for it.
        e.retry = setTimeout(() => void this.enqueue(() => this.readNames([name], true)), this.retryDelays[e.retries]);
        return 'pending';
      }
    }
    clearTimeout(e.retry);
    e.retry = undefined;
    const still = e.retries ? ` (still, after ${e.retries} retries)` : '';
    e.snapshot = unreadable(e.id, `${bad!.problem}${still}`);
    return 'changed';
  }

  private forget(name: string): void {
    clearTimeout(this.files.get(name)?.retry);
    this.files.delete(name);
  }

  /** One snapshot per worker; when two files name the same worker, the newest file wins. */
  private shown(): Map<string, WorkerSnapshot> {
    const best = new Map<string, FileEntry>();
    for (const e of this.files.values()) {
      if (!e.snapshot) continue;
      const cur = best.get(e.id);
      if (!cur || e.mtimeMs > cur.mtimeMs) best.set(e.id, e);
    }
    return new Map([...best].map(([id, e]) => [id, e.snapshot!]));
  }
}

function describeFolderError(err: unknown, dir: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `Folder ${dir} does not exist yet; waiting for it to appear.`;
  if (code === 'ENOTDIR') return `${dir} is not a folder (part of the path is a file).`;
  if (code === 'EACCES' || code === 'EPERM') return `Cannot read folder ${dir}: permission denied.`;
  return `Cannot read folder ${dir}: ${(err as Error).message}`;
}

async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}
