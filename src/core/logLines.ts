import { displayLines, displayText } from './checked';
import type { LogEntry } from './logEntry';
import { RingBuffer } from './ringBuffer';
import { findStackLinks } from './stackLinks';
import { DEFAULT_MAX_LOG_LINES, type LinkSpan, type LogLine } from '../shared/protocol';

/** Longest row sent to the webview; a megabyte-long line is cut, not shipped 10,000 times. */
export const MAX_ROW_CHARS = 2000;
/** Rows one entry may become (a runaway stack trace is cut with a note). */
export const MAX_ROWS_PER_ENTRY = 200;

export interface LogPipelineOptions {
  maxLines?: number;
  /** Whether a stack-frame path resolves to a workspace file; unresolved frames are not links. */
  resolves?: (path: string) => boolean;
}

/**
 * The host side of the logs panel: turns LogEntries from any source into display
 * rows (one per text line, with stack-frame links), keeps the newest `maxLines` for
 * the snapshot a re-shown webview asks for, and queues rows for the next batch.
 * No `vscode` here, so the benchmark and the unit tests drive it directly.
 */
export class LogPipeline {
  private seq = 0;
  private readonly buffer: RingBuffer<LogLine>;
  private pending: LogLine[] = [];
  private readonly resolves?: (path: string) => boolean;
  /** Rows dropped from the pending batch because more than maxLines arrived between two flushes. */
  skipped = 0;

  constructor(opts: LogPipelineOptions = {}) {
    this.buffer = new RingBuffer(opts.maxLines ?? DEFAULT_MAX_LOG_LINES);
    this.resolves = opts.resolves;
  }

  get maxLines(): number {
    return this.buffer.capacity;
  }

  get size(): number {
    return this.buffer.size;
  }

  add(entries: readonly LogEntry[]): void {
    for (const e of entries) {
      const rows = this.toRows(e);
      this.buffer.pushAll(rows);
      for (const r of rows) this.pending.push(r);
    }
    // The webview keeps maxLines too: anything older than that in one batch would be dropped there.
    if (this.pending.length > 2 * this.maxLines) {
      const cut = this.pending.length - this.maxLines;
      this.skipped += cut;
      this.pending = this.pending.slice(cut);
    }
  }

  /** Rows added since the last call (at most maxLines), oldest first. */
  takePending(): LogLine[] {
    let p = this.pending;
    this.pending = [];
    if (p.length > this.maxLines) {
      this.skipped += p.length - this.maxLines;
      p = p.slice(-this.maxLines);
    }
    return p;
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Everything kept, oldest first (the snapshot for a webview that was hidden or reloaded). */
  all(): LogLine[] {
    return this.buffer.toArray();
  }

  setMaxLines(n: number): void {
    if (n !== this.maxLines) this.buffer.resize(Math.max(100, Math.floor(n)));
  }

  clear(): void {
    this.buffer.clear();
    this.pending = [];
  }

  private toRows(e: LogEntry): LogLine[] {
    const parts = e.message.split(/\r?\n/);
    if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
    if (parts.length > MAX_ROWS_PER_ENTRY) {
      const more = parts.length - MAX_ROWS_PER_ENTRY;
      parts.length = MAX_ROWS_PER_ENTRY;
      parts.push(`… ${more} more lines`);
    }
    return parts.map((text, i) => {
      // Escaped before links are found, so their offsets are into the text shown.
      const t = displayLines(text, MAX_ROW_CHARS + 1);
      const row: LogLine = { seq: ++this.seq, ts: e.ts, level: e.level, source: displayText(e.source, 200), text: t };
      if (e.worker !== undefined) row.worker = displayText(e.worker, 200);
      if (i > 0) row.cont = true;
      const links = this.links(t);
      if (links) row.links = links;
      return row;
    });
  }

  private links(text: string): LinkSpan[] | undefined {
    // Cheap pre-check: every link form has a ':' or a '(' followed by digits.
    if (!this.resolves || !/[:(]\d|line \d/.test(text)) return undefined;
    const found = findStackLinks(text).filter((l) => this.resolves!(l.path));
    return found.length ? found : undefined;
  }
}
