import { Cadence } from './cadence';
import { classify, steadyUntil } from './health';
import {
  ALIVE,
  ALL_HEALTH,
  DEFAULT_THRESHOLDS,
  type Health,
  type HealthThresholds,
  type WorkerSnapshot,
  type WorkerView,
} from './model';

export interface FleetCounts {
  total: number;
  alive: number;
  byHealth: Record<Health, number>;
}

/** What the views need to know about the connection to the store. */
export interface ConnectionState {
  state: 'connecting' | 'connected' | 'error';
  /** In words, for the view's message: "Connection refused at 127.0.0.1:6379". */
  message?: string;
  /** How updates arrive: "poll every 2s", "events stream", "keyspace notifications". */
  liveMode?: string;
}

/** Which workers changed in one update. Views refresh only these. */
export interface FleetChange {
  changed: string[];
  added: string[];
  removed: string[];
  /** The connection state changed (stale flag flips for everyone). */
  connection: boolean;
}

type Listener = (change: FleetChange) => void;

interface Entry {
  snapshot: WorkerSnapshot;
  cadence: Cadence;
  health: Health;
  reason: string;
  pending?: string;
  /** Health and reason stay as they are until this (judging clock) unless something is written: see steadyUntil. */
  steadyUntil: number;
}

/**
 * The single in-memory truth: last-known state per worker, its health, and what
 * changed. Sources write into it; views read from it and subscribe to changes.
 * Data is never dropped when the store goes away: it is marked stale.
 */
export class Fleet {
  private readonly entries = new Map<string, Entry>();
  /** Workers sorted by name; undefined until asked for, and again after an add, remove or rename. */
  private byName?: Entry[];
  private countsCache?: FleetCounts;
  private readonly listeners = new Set<Listener>();
  private conn: ConnectionState = { state: 'connecting' };
  /** Time of the last successful read from the store. */
  lastUpdate?: number;

  constructor(
    private thresholds: HealthThresholds = DEFAULT_THRESHOLDS,
    private readonly clock: () => number = Date.now,
  ) {}

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The last successful read before the store went away (while it is away). */
  private blindFrom?: number;
  /** How long the last outage lasted, and when it ended (see endBlindness). */
  private pauseMs = 0;
  /** The next reclassify judges every worker, steady or not (thresholds or blindness changed). */
  private judgeEveryone = false;
  private resumedAt = -Infinity;

  get connection(): ConnectionState {
    return this.conn;
  }

  get stale(): boolean {
    return this.conn.state !== 'connected';
  }

  /**
   * Since when the store has not been seen: the last successful read while reading
   * fails (state "error"), undefined while it works (or before the first read).
   * "connecting" is only the very first connect: nothing was judged yet.
   */
  get blindSince(): number | undefined {
    return this.conn.state === 'error' ? this.lastUpdate : undefined;
  }

  /**
   * The time health is judged at. While the store cannot be read, the clock stops at
   * the last successful read: a worker that beat every second until an outage is not
   * called dead because the observer went blind (Flower #1007). Judged afresh from
   * the first new read. Ages shown to the user still use the real clock.
   */
  private judgeAt(): number {
    const now = this.clock();
    const since = this.blindSince;
    return since !== undefined && since < now ? since : now;
  }

  setThresholds(t: HealthThresholds): void {
    this.thresholds = t;
    this.judgeEveryone = true;
    this.reclassify();
  }

  setConnection(state: ConnectionState): void {
    const flipped =
      state.state !== this.conn.state || state.message !== this.conn.message || state.liveMode !== this.conn.liveMode;
    const blindFlipped = (state.state === 'error') !== (this.conn.state === 'error');
    if (blindFlipped && state.state === 'error') this.blindFrom = this.lastUpdate;
    else if (blindFlipped) this.endBlindness(this.clock());
    this.conn = state;
    // Blind → seeing (or back): health is judged at another time from now on; the connection event tells every view to
    // redraw.
    if (blindFlipped) {
      this.judgeEveryone = true;
      this.reclassify(false);
    }
    if (flipped) this.emit({ changed: [], added: [], removed: [], connection: true });
  }

  /** A full read of the store: workers missing from it are gone. */
  replaceAll(snapshots: WorkerSnapshot[]): void {
    const seen = new Set(snapshots.map((s) => s.id));
    const removed = [...this.entries.keys()].filter((id) => !seen.has(id));
    for (const id of removed) this.entries.delete(id);
    if (removed.length) this.byName = this.countsCache = undefined;
    this.applyUpdates(snapshots, removed);
  }

  /** A partial read (push path): only these workers were re-read. */
  update(snapshots: WorkerSnapshot[], removedIds: string[] = []): void {
    const removed = removedIds.filter((id) => this.entries.delete(id));
    if (removed.length) this.byName = this.countsCache = undefined;
    this.applyUpdates(snapshots, removed);
  }

  private applyUpdates(snapshots: WorkerSnapshot[], removed: string[]): void {
    // A read that succeeds is the store back, whether or not the source said so first.
    if (this.conn.state === 'error') this.endBlindness(this.clock());
    this.lastUpdate = this.clock();
    const now = this.judgeAt();
    const changed: string[] = [];
    const added: string[] = [];
    for (const s of snapshots) {
      let e = this.entries.get(s.id);
      if (!e) {
        e = { snapshot: s, cadence: new Cadence(), health: 'unknown', reason: '', steadyUntil: -Infinity };
        this.entries.set(s.id, e);
        added.push(s.id);
        this.byName = this.countsCache = undefined;
      } else if (sameSnapshot(e.snapshot, s)) {
        continue;
      } else {
        changed.push(s.id);
        if (e.snapshot.name !== s.name) this.byName = this.countsCache = undefined;
      }
      e.snapshot = s;
      if (s.lastHeartbeat !== undefined) e.cadence.observe(s.lastHeartbeat);
      this.classifyEntry(e, now);
    }
    if (changed.length || added.length || removed.length) this.emit({ changed, added, removed, connection: false });
  }

  /**
   * Re-derives health against the clock (a worker goes dead without any write).
   * Returns, and announces, only the workers whose health changed.
   */
  reclassify(announce = true): string[] {
    const now = this.judgeAt();
    const changed: string[] = [];
    // Only workers whose health or reason can have moved with the clock (at 100,000 workers
    // judging everyone every second was most of the extension host's work); everyone after
    // the thresholds or the clock's meaning changed.
    const everyone = this.judgeEveryone;
    this.judgeEveryone = false;
    for (const [id, e] of this.entries) {
      if (!everyone && this.judgedNow(e, now) < e.steadyUntil) continue;
      const before = e.health;
      this.classifyEntry(e, now);
      if (e.health !== before) changed.push(id);
    }
    if (changed.length && announce) this.emit({ changed, added: [], removed: [], connection: false });
    return changed;
  }

  /** Marks a request in flight (or done, with undefined) on a worker. */
  setPending(id: string, pending: string | undefined): void {
    const e = this.entries.get(id);
    if (!e || e.pending === pending) return;
    e.pending = pending;
    this.emit({ changed: [id], added: [], removed: [], connection: false });
  }

  /**
   * The store is readable again after `pauseMs` of blindness. Workers that write to the
   * store could not beat while it was down: until a worker's first heartbeat after the
   * return, the outage does not count against its age (it is judged as if the clock had
   * stopped while the store was away), so a store outage never shows as a fleet of deaths
   * in the seconds after it ends. A worker that really stopped is dead once dead-after
   * has passed, outage excluded.
   */
  private endBlindness(now: number): void {
    if (this.blindFrom === undefined) return;
    this.pauseMs = Math.max(0, now - this.blindFrom);
    this.resumedAt = now;
    this.blindFrom = undefined;
    this.judgeEveryone = true;
  }

  private classifyEntry(e: Entry, now: number): void {
    const at = this.judgedNow(e, now);
    const cadence = this.cadenceFor(e);
    const c = classify(e.snapshot, this.thresholds, at, cadence);
    if (c.health !== e.health) this.countsCache = undefined;
    e.health = c.health;
    e.reason = c.reason;
    e.steadyUntil = steadyUntil(e.snapshot, c.health, this.thresholds, cadence);
  }

  /** The time a worker is judged at: an outage does not count against it until its first new heartbeat. */
  private judgedNow(e: Entry, now: number): number {
    const hb = e.snapshot.lastHeartbeat;
    // While blind, `now` is already the last successful read (judgeAt).
    return this.blindFrom === undefined && hb !== undefined && hb < this.resumedAt ? now - this.pauseMs : now;
  }

  get(id: string): WorkerView | undefined {
    const e = this.entries.get(id);
    return e && this.view(e);
  }

  /** All workers, sorted by name. */
  workers(): WorkerView[] {
    return this.sorted().map((e) => this.view(e));
  }

  /** Every worker's snapshot in name order (no views built). */
  snapshots(): WorkerSnapshot[] {
    return this.sorted().map((e) => e.snapshot);
  }

  /** Each worker in name order, without building views (the tree's read of 100,000). */
  forEachByName(fn: (snapshot: WorkerSnapshot, health: Health) => void): void {
    for (const e of this.sorted()) fn(e.snapshot, e.health);
  }

  /**
   * Ids in name order, kept until a worker comes, goes or is renamed: views re-read the
   * fleet on every health change, and sorting 100,000 names each time would stall the host.
   */
  private sorted(): Entry[] {
    if (!this.byName) {
      // Case-insensitive by code unit on keys made once: a collator's compare made this 0.5 s at 100,000.
      const keyed = [...this.entries.values()].map((e) => [e.snapshot.name.toLowerCase(), e.snapshot.name, e] as const);
      keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
      this.byName = keyed.map((k) => k[2]);
    }
    return this.byName;
  }

  /** Each worker's id, name and health, unsorted and without building views: for scans every tick. */
  forEachHealth(fn: (id: string, name: string, health: Health) => void): void {
    for (const [id, e] of this.entries) fn(id, e.snapshot.name, e.health);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The learned heartbeat interval of one worker, if any: the one its health is judged by. */
  cadenceOf(id: string): number | undefined {
    const e = this.entries.get(id);
    return e && this.cadenceFor(e);
  }

  /** Early (1–2 beat) estimates are trusted up to twice the dead threshold; see Cadence.estimate. */
  private cadenceFor(e: Entry): number | undefined {
    return e.cadence.estimate(2 * this.thresholds.deadAfterSeconds * 1000);
  }

  counts(): FleetCounts {
    // Kept until a health changes or a worker comes or goes: every view asks on every repaint.
    return (this.countsCache ??= this.count());
  }

  private count(): FleetCounts {
    // Every health name, once: a state added to the protocol is counted here without an edit.
    const byHealth = Object.fromEntries(ALL_HEALTH.map((h) => [h, 0])) as Record<Health, number>;
    let alive = 0;
    for (const e of this.entries.values()) {
      byHealth[e.health]++;
      if (ALIVE.has(e.health)) alive++;
    }
    return { total: this.entries.size, alive, byHealth };
  }

  private view(e: Entry): WorkerView {
    return {
      snapshot: e.snapshot,
      health: e.health,
      reason: e.reason,
      stale: this.stale,
      blindSince: this.blindSince,
      pending: e.pending,
    };
  }

  private emit(change: FleetChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch {
        // A view's bug must not stop the others from hearing about the change.
      }
    }
  }
}

/**
 * Field by field (undefined fields count as absent, as JSON.stringify had it): two
 * JSON.stringify calls per worker cost 0.4 s a read at 100,000. Not util.isDeepStrictEqual:
 * it tells an undefined field from an absent one.
 */
function sameSnapshot(a: WorkerSnapshot, b: WorkerSnapshot): boolean {
  return sameValue(a, b);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let na = 0;
  for (const k in ra) {
    if (ra[k] === undefined) continue;
    na++;
    if (!sameValue(ra[k], rb[k])) return false;
  }
  let nb = 0;
  for (const k in rb) if (rb[k] !== undefined) nb++;
  return na === nb;
}
