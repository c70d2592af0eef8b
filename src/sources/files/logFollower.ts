import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogEntry } from '../../core/logEntry';
import type { WorkEvent } from '../../core/metrics';
import { workEventOf } from '../../core/logEvents';
import { LogLineParser, parseLogLine, workerFromFileName } from './logParse';
import { FolderWatcher } from './folderWatcher';
import { globToRegExp, splitGlob, stemOf } from './glob';

export interface LogFollowerOptions {
  /** `~/.claude/workers/errors/worker-*.log`; wildcards in the file name only. */
  glob: string;
  /** Relative globs resolve against this folder. */
  baseDir?: string;
  pollMs: number;
  /** History read from each file already there at start (default 16 KiB), at least. */
  backlogBytes?: number;
  /**
   * Epoch ms: each file already there at start is read back to this time (the charts'
   * longest window), at most `maxCatchUpBytes` of it; the tail then goes on from where that read ended.
   */
  since?: number;
  /** A file that grew by more than this between two reads has its middle skipped (said in an entry). */
  maxCatchUpBytes?: number;
  onEntries(entries: LogEntry[]): void;
  /** Finished tasks told in lines that carry their own time (logEvents.ts), for the charts. */
  onEvents?(events: WorkEvent[]): void;
  onProblem?(message: string): void;
}

interface Followed {
  /** Kept open: after a rotation (rename + new file) the old inode is drained through it. */
  handle: FileHandle;
  ino: number;
  /** Bytes read so far, including `pending`. */
  pos: number;
  /** Bytes after the last newline: a line still being written. */
  pending: Buffer;
  /** Started mid-file: the first (partial) line is dropped. */
  skipFirstLine: boolean;
  /** Per file: a line without a time (a traceback) continues this file's previous entry. */
  parser: LogLineParser;
}

const CHUNK = 256 * 1024;
/** Each followed file holds a descriptor; beyond this, further files are reported, not followed. */
const MAX_FILES = 500;

/**
 * Tails every file matching a glob: appends as they come (folder events, a poll as
 * back-up), through rotation by rename (the old file is drained to its end first)
 * and through truncation (copytruncate: reading restarts at 0).
 */
export class LogFollower {
  private readonly dir: string;
  private readonly match: RegExp;
  private readonly followed = new Map<string, Followed>();
  private readonly watcher: FolderWatcher;
  private chain: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private disposed = false;
  private problem?: string;
  private readonly globError?: string;
  private readonly fileProblems = new Set<string>();

  constructor(private readonly opts: LogFollowerOptions) {
    const { dir, pattern, error } = splitGlob(opts.glob, opts.baseDir);
    this.dir = dir;
    let match = /(?!)/;
    let problem = error;
    try {
      match = globToRegExp(pattern);
    } catch (err) {
      problem ??= `Log glob "${opts.glob}": ${(err as Error).message}`;
    }
    this.match = match;
    this.globError = problem;
    this.watcher = new FolderWatcher(
      dir,
      (names) => void this.enqueue(() => (names === 'all' ? this.scan(false) : this.checkNames(names))),
    );
  }

  start(): void {
    if (this.globError) return this.report(this.globError);
    void this.enqueue(() => this.scan(true));
  }

  /** Reads everything new now; resolves when done (tests and the Refresh command). */
  poll(): Promise<void> {
    return this.enqueue(() => this.scan(false));
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.timer);
    this.watcher.close();
    await this.chain;
    await Promise.all([...this.followed.values()].map((f) => f.handle.close().catch(() => undefined)));
    this.followed.clear();
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(async () => {
      if (this.disposed) return;
      try {
        await job();
      } catch (err) {
        this.report(`Following logs in ${this.dir}: ${(err as Error).message}`);
      }
    });
    return this.chain;
  }

  private schedule(): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    const ms = this.watcher.active ? Math.max(this.opts.pollMs * 5, 10_000) : this.opts.pollMs;
    this.timer = setTimeout(() => void this.enqueue(() => this.scan(false)), ms);
  }

  private async scan(initial: boolean): Promise<void> {
    let names: string[];
    try {
      const st = await stat(this.dir);
      this.watcher.ensure(st.ino);
      names = (await readdir(this.dir, { withFileTypes: true }))
        .filter((d) => d.isFile() && this.match.test(d.name))
        .map((d) => d.name);
      this.problem = undefined;
    } catch (err) {
      this.watcher.stop();
      const code = (err as NodeJS.ErrnoException).code;
      this.report(
        code === 'ENOENT'
          ? `Log folder ${this.dir} does not exist yet; waiting for it.`
          : `Cannot read log folder ${this.dir}: ${code ?? err}`,
      );
      names = [];
    }
    const entries: LogEntry[] = [];
    const present = new Set(names);
    for (const name of [...this.followed.keys()]) if (!present.has(name)) await this.checkOne(name, false, entries);
    for (const name of names) await this.checkOne(name, initial, entries);
    this.emit(entries);
    this.schedule();
  }

  private async checkNames(names: string[]): Promise<void> {
    const entries: LogEntry[] = [];
    for (const name of names) if (this.match.test(name)) await this.checkOne(name, false, entries);
    this.emit(entries);
  }

  /**
   * One file that cannot be opened or read (no permission, removed between stat and open
   * during a rotation) is said and retried on the next pass; the lines already read from
   * the other files are still delivered, and the backup poll keeps running.
   */
  private async checkOne(name: string, initial: boolean, out: LogEntry[]): Promise<void> {
    try {
      await this.check(name, initial, out);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const message = `Cannot read log file ${join(this.dir, name)}: ${code ?? (err as Error).message}`;
      // Said once per file and cause, not on every pass of the poll.
      if (code !== 'ENOENT' && !this.fileProblems.has(message)) {
        this.fileProblems.add(message);
        this.report(message);
      }
    }
  }

  /** Brings one file up to date, noticing removal, rotation and truncation. */
  private async check(name: string, initial: boolean, out: LogEntry[]): Promise<void> {
    const full = join(this.dir, name);
    let f = this.followed.get(name);
    let st;
    try {
      st = await stat(full);
    } catch {
      st = undefined;
    }
    if (f && (!st || st.ino !== f.ino)) {
      // Removed, or rotated (renamed away and replaced): finish the old file through our descriptor.
      await this.drain(name, f, out);
      this.followed.delete(name);
      f = undefined;
    }
    if (!st || !st.isFile()) return;
    if (!f) {
      if (this.followed.size >= MAX_FILES)
        return this.report(
          `More than ${MAX_FILES} log files match ${this.opts.glob}; following the first ${MAX_FILES}.`,
        );
      const backlog = this.opts.backlogBytes ?? 16 * 1024;
      const handle = await open(full, 'r');
      let start = initial ? Math.max(0, st.size - backlog) : 0;
      let lineStart = start === 0;
      if (initial && this.opts.since !== undefined && start > 0) {
        ({ start, lineStart } = await historyStart(
          handle,
          start,
          this.opts.since,
          st.size - (this.opts.maxCatchUpBytes ?? 4 * 1024 * 1024),
        ));
      }
      const parser = new LogLineParser(full, workerOf(name));
      f = { handle, ino: st.ino, pos: start, pending: Buffer.alloc(0), skipFirstLine: !lineStart, parser };
      this.followed.set(name, f);
    }
    if (st.size < f.pos) {
      // Truncated in place (copytruncate, or `> file`): the new content starts at 0.
      f.pos = 0;
      f.pending = Buffer.alloc(0);
      f.skipFirstLine = false;
    }
    await this.readTo(name, f, st.size, out);
  }

  private async drain(name: string, f: Followed, out: LogEntry[]): Promise<void> {
    try {
      await this.readTo(name, f, (await f.handle.stat()).size, out);
      // The last line of a finished file is complete even without a newline.
      if (f.pending.length) this.line(name, f, f.pending, f.pos - f.pending.length, out);
    } finally {
      await f.handle.close().catch(() => undefined);
    }
  }

  private async readTo(name: string, f: Followed, size: number, out: LogEntry[]): Promise<void> {
    const limit = this.opts.maxCatchUpBytes ?? 4 * 1024 * 1024;
    if (size - f.pos > limit) {
      const keep = this.opts.backlogBytes ?? 16 * 1024;
      const skipped = size - keep - f.pos;
      out.push({
        ts: Date.now(),
        worker: workerOf(name),
        level: 'warn',
        source: join(this.dir, name),
        message: `… ${Math.round(skipped / 1024)} KiB of log skipped (written faster than it could be followed)`,
      });
      f.pos = size - keep;
      f.pending = Buffer.alloc(0);
      f.skipFirstLine = true;
    }
    while (f.pos < size) {
      const buf = Buffer.alloc(Math.min(CHUNK, size - f.pos));
      const { bytesRead } = await f.handle.read(buf, 0, buf.length, f.pos);
      if (bytesRead === 0) break;
      const data = f.pending.length
        ? Buffer.concat([f.pending, buf.subarray(0, bytesRead)])
        : buf.subarray(0, bytesRead);
      const dataStart = f.pos - f.pending.length;
      f.pos += bytesRead;
      // Split on the newline byte: it never occurs inside a UTF-8 sequence, so offsets stay exact.
      let from = 0;
      for (let nl = data.indexOf(10, from); nl !== -1; nl = data.indexOf(10, from)) {
        if (f.skipFirstLine) f.skipFirstLine = false;
        else this.line(name, f, data.subarray(from, nl), dataStart + from, out);
        from = nl + 1;
      }
      f.pending = Buffer.from(data.subarray(from));
    }
  }

  private line(name: string, f: Followed, bytes: Buffer, offset: number, out: LogEntry[]): void {
    const text = bytes.toString('utf8').replace(/\r$/, '');
    if (!text.trim()) return;
    const entry = f.parser.parse(text, `${name}:${f.ino}:${offset}`);
    if (f.parser.lastTimed) timed.add(entry);
    out.push(entry);
  }

  private emit(entries: LogEntry[]): void {
    if (!entries.length || this.disposed) return;
    this.opts.onEntries(entries);
    if (!this.opts.onEvents) return;
    const events: WorkEvent[] = [];
    for (const e of entries) {
      // Only a line with its own time: one without (a traceback) would be counted at the reading time.
      const ev = timed.has(e) ? workEventOf(e) : undefined;
      if (ev) events.push(ev);
    }
    if (events.length) this.opts.onEvents(events);
  }

  private report(message: string): void {
    if (message === this.problem) return;
    this.problem = message;
    this.opts.onProblem?.(message);
  }
}

/** Entries whose line carried its own time (a WeakSet: nothing to clean up). */
const timed = new WeakSet<LogEntry>();

const BACK_CHUNK = 64 * 1024;

/**
 * Where reading back to `since` starts: walks back from `from` a chunk at a time until a
 * line stamped before `since` (log files are written in time order), never before `floor`.
 * Returns the offset of a line start (or `from` as it was, mid-line, when nothing older was found).
 */
async function historyStart(
  handle: FileHandle,
  from: number,
  since: number,
  floor: number,
): Promise<{ start: number; lineStart: boolean }> {
  let start = from;
  let lineStart = false;
  const buf = Buffer.alloc(BACK_CHUNK);
  for (let end = from; end > 0 && end > floor;) {
    const at = Math.max(0, floor, end - BACK_CHUNK);
    const { bytesRead } = await handle.read(buf, 0, end - at, at);
    const chunk = buf.subarray(0, bytesRead);
    // The first whole line of the chunk (the whole file's first line at offset 0).
    const nl = at === 0 ? -1 : chunk.indexOf(10);
    if (nl === -1 && at !== 0) break; // a line longer than a chunk: stop here
    start = at + nl + 1;
    lineStart = true;
    const firstEnd = chunk.indexOf(10, nl + 1);
    const ts = parseLogLine(chunk.subarray(nl + 1, firstEnd === -1 ? undefined : firstEnd).toString('utf8')).ts;
    if ((ts !== undefined && ts < since) || at === 0 || at === floor) break;
    end = at;
  }
  return { start, lineStart };
}

/** The worker a log file belongs to when its lines do not name one: `worker-3.log` → `worker-3`. */
function workerOf(fileName: string): string {
  return workerFromFileName(fileName) ?? stemOf(fileName);
}
