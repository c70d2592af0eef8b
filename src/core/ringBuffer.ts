/**
 * Fixed-memory containers for the dashboard: whatever the event rate and however
 * long VS Code stays open, memory is set by the capacity, never by the history.
 */

/** The newest `capacity` items; pushing past it drops the oldest. */
export class RingBuffer<T> {
  private items: (T | undefined)[];
  private head = 0; // index of the oldest item
  private count = 0;
  /** Items dropped to stay within capacity since creation (or the last clear). */
  dropped = 0;

  constructor(private cap: number) {
    if (!(cap >= 1)) throw new RangeError(`RingBuffer capacity must be at least 1, got ${cap}`);
    this.items = new Array<T | undefined>(cap);
  }

  get capacity(): number {
    return this.cap;
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count < this.cap) {
      this.items[(this.head + this.count) % this.cap] = item;
      this.count++;
    } else {
      this.items[this.head] = item;
      this.head = (this.head + 1) % this.cap;
      this.dropped++;
    }
  }

  pushAll(items: readonly T[]): void {
    // Only the last `cap` of a huge batch can survive: skip the rest up front.
    const skip = Math.max(0, items.length - this.cap);
    this.dropped += skip;
    for (let i = skip; i < items.length; i++) this.push(items[i]!);
  }

  /** Oldest first. */
  toArray(): T[] {
    const out = new Array<T>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.items[(this.head + i) % this.cap] as T;
    return out;
  }

  /** The newest item, if any. */
  last(): T | undefined {
    return this.count ? this.items[(this.head + this.count - 1) % this.cap] : undefined;
  }

  clear(): void {
    this.items = new Array<T | undefined>(this.cap);
    this.head = 0;
    this.count = 0;
    this.dropped = 0;
  }

  /** Changes the capacity (a setting changed), keeping the newest items that fit. */
  resize(capacity: number): void {
    if (!(capacity >= 1)) throw new RangeError(`RingBuffer capacity must be at least 1, got ${capacity}`);
    const kept = this.toArray().slice(-capacity);
    this.dropped += this.count - kept.length;
    this.cap = capacity;
    this.items = new Array<T | undefined>(capacity);
    this.head = 0;
    this.count = 0;
    const dropped = this.dropped;
    for (const k of kept) this.push(k);
    this.dropped = dropped;
  }
}

/**
 * Fixed-width time buckets kept in a ring of `size` slots, each holding `cols` numbers.
 * A slot is recycled when its time comes round again, so old data ages out with no
 * sweep and no allocation. Writes older than the ring's span are ignored.
 */
export class BucketRing {
  /** The bucket number (floor(ts / bucketMs)) each slot currently holds; -1 = empty. */
  private readonly keys: Float64Array;
  private readonly data: Float64Array;
  /** Newest bucket number written or read so far: the ring's "now". */
  private newest = -1;

  constructor(
    readonly bucketMs: number,
    readonly size: number,
    readonly cols: number,
  ) {
    this.keys = new Float64Array(size).fill(-1);
    this.data = new Float64Array(size * cols);
  }

  get byteLength(): number {
    return this.keys.byteLength + this.data.byteLength;
  }

  bucketOf(ts: number): number {
    return Math.floor(ts / this.bucketMs);
  }

  /** Offset of the slot for `ts` in `data`, reset if it held an older bucket; -1 if `ts` is too old. */
  private slotFor(ts: number): number {
    const b = this.bucketOf(ts);
    if (b > this.newest) this.newest = b;
    if (b <= this.newest - this.size) return -1;
    const slot = ((b % this.size) + this.size) % this.size;
    if (this.keys[slot] !== b) {
      this.keys[slot] = b;
      this.data.fill(0, slot * this.cols, (slot + 1) * this.cols);
    }
    return slot * this.cols;
  }

  add(ts: number, col: number, v = 1): void {
    const o = this.slotFor(ts);
    if (o >= 0) this.data[o + col]! += v;
  }

  /** Last value wins (gauges: health counts, queue depth). */
  set(ts: number, col: number, v: number): void {
    const o = this.slotFor(ts);
    if (o >= 0) this.data[o + col] = v;
  }

  /** Whether bucket `b` holds data (a slot written since it started). */
  has(b: number): boolean {
    const slot = ((b % this.size) + this.size) % this.size;
    return this.keys[slot] === b;
  }

  /** Value of column `col` in bucket `b`, or `empty` if nothing was written there. */
  get(b: number, col: number, empty = 0): number {
    const slot = ((b % this.size) + this.size) % this.size;
    return this.keys[slot] === b ? this.data[slot * this.cols + col]! : empty;
  }

  /** The `size` bucket numbers ending with the one holding `now`, oldest first. */
  bucketsEndingAt(now: number): number[] {
    const last = this.bucketOf(now);
    const out: number[] = [];
    for (let b = last - this.size + 1; b <= last; b++) out.push(b);
    return out;
  }

  /** Sum of column `col` over buckets [fromB, toB]. */
  sum(col: number, fromB: number, toB: number): number {
    let s = 0;
    for (let b = fromB; b <= toB; b++) s += this.get(b, col);
    return s;
  }
}
