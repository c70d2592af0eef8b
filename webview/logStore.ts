import type { LevelName, LogLine } from '../src/shared/protocol';

const RANK: Record<LevelName, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface LogFilter {
  level: LevelName;
  worker: string;
  text: string;
}

/**
 * An array used as a queue: appends at the end, drops from the front by moving an
 * offset (no O(n) shift per dropped line), compacted now and then.
 */
class Queue<T> {
  private items: T[] = [];
  private start = 0;

  get length(): number {
    return this.items.length - this.start;
  }

  at(i: number): T | undefined {
    return this.items[this.start + i];
  }

  push(x: T): void {
    this.items.push(x);
  }

  dropFront(n: number): void {
    this.start += Math.min(n, this.length);
    if (this.start > 4096 && this.start * 2 > this.items.length) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
  }

  first(): T | undefined {
    return this.items[this.start];
  }

  toArray(): T[] {
    return this.items.slice(this.start);
  }

  clear(): void {
    this.items = [];
    this.start = 0;
  }
}

/**
 * The webview's bounded copy of the log: at most `capacity` lines whatever arrives
 * (50,000 lines streamed leave exactly `capacity`), plus the lines passing the current
 * filter, kept up to date as lines arrive and age out.
 */
export class LogStore {
  private readonly lines = new Queue<LogLine>();
  private readonly shown = new Queue<LogLine>();
  private filter: LogFilter = { level: 'debug', worker: '', text: '' };
  private lastSeq = 0;
  /** Worker names seen (bounded), for the worker filter's suggestions. */
  readonly workers = new Set<string>();
  received = 0;

  constructor(public capacity: number) {}

  get size(): number {
    return this.lines.length;
  }

  /** Lines passing the filter, oldest first. */
  get visibleCount(): number {
    return this.shown.length;
  }

  visibleAt(i: number): LogLine | undefined {
    return this.shown.at(i);
  }

  /** Adds lines (ignoring any already seen: seq only grows) and returns how many were new. */
  append(batch: readonly LogLine[]): number {
    let added = 0;
    // Only the last `capacity` of a batch can survive.
    for (let i = Math.max(0, batch.length - this.capacity); i < batch.length; i++) {
      const l = batch[i]!;
      if (l.seq <= this.lastSeq) continue;
      this.lastSeq = l.seq;
      this.lines.push(l);
      if (this.matches(l)) this.shown.push(l);
      if (l.worker !== undefined && this.workers.size < 500) this.workers.add(l.worker);
      added++;
    }
    this.received += batch.length;
    this.trim();
    return added;
  }

  /** Replaces everything (snapshot after a reload, setting change, new connection). */
  reset(lines: readonly LogLine[], capacity = this.capacity): void {
    this.capacity = capacity;
    this.lines.clear();
    this.shown.clear();
    this.lastSeq = 0;
    this.append(lines);
    if (lines.length) this.lastSeq = lines[lines.length - 1]!.seq;
  }

  clear(): void {
    this.lines.clear();
    this.shown.clear();
  }

  setFilter(f: LogFilter): void {
    this.filter = { level: f.level, worker: f.worker.trim(), text: f.text.trim().toLowerCase() };
    this.shown.clear();
    for (let i = 0; i < this.lines.length; i++) {
      const l = this.lines.at(i)!;
      if (this.matches(l)) this.shown.push(l);
    }
  }

  /** Copy of the filtered lines (a frozen view while paused). */
  visible(): LogLine[] {
    return this.shown.toArray();
  }

  private trim(): void {
    const over = this.lines.length - this.capacity;
    if (over <= 0) return;
    this.lines.dropFront(over);
    const oldest = this.lines.first()?.seq ?? Infinity;
    let n = 0;
    while (n < this.shown.length && this.shown.at(n)!.seq < oldest) n++;
    this.shown.dropFront(n);
  }

  private matches(l: LogLine): boolean {
    const f = this.filter;
    if (RANK[l.level] < RANK[f.level]) return false;
    // A known worker name matches exactly (worker-1 is not worker-12); anything else is a substring.
    if (
      f.worker &&
      l.worker !== f.worker &&
      (this.workers.has(f.worker) || !(l.worker ?? '').toLowerCase().includes(f.worker.toLowerCase()))
    )
      return false;
    if (f.text && !l.text.toLowerCase().includes(f.text)) return false;
    return true;
  }
}
