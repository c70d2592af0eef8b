import type { Fleet } from './fleet';
import { ALIVE, type Health } from './model';

/** What a confirmed transition is about: the state entered, or a recovery from one of them. */
export type TransitionKind = 'dead' | 'crashed' | 'slow' | 'missing' | 'recovered';

/** One worker that changed state and stayed there long enough to count. */
export interface Transition {
  id: string;
  name: string;
  from: Health;
  to: Health;
  kind: TransitionKind;
  /** Epoch ms: when the new state was first seen. */
  at: number;
}

/** Transitions confirmed close together: said as one notification, never a storm. */
export interface TransitionBatch {
  transitions: Transition[];
}

export interface TransitionOptions {
  /** A state must last this long before it counts (a blip is not news). Default 10 s. */
  minimumMs?: number;
  /** Transitions confirmed within this long of the first are one batch. Default 3 s. */
  groupMs?: number;
  /** Transitions kept for the timeline. Default 200. */
  keep?: number;
}

/** States worth telling someone about; leaving one for an alive state is a recovery. */
const ENTERED: ReadonlySet<Health> = new Set<Health>(['dead', 'crashed', 'slow', 'missing']);

function kindOf(from: Health, to: Health): TransitionKind | undefined {
  if (ENTERED.has(to)) return to as TransitionKind;
  if (ENTERED.has(from) && ALIVE.has(to) && to !== 'slow') return 'recovered';
  return undefined;
}

/**
 * Healthy and working are one standing here: a worker between short jobs flips between them
 * every few seconds, and counting each flip as a new state would mean its recovery (which must
 * last the minimum) is never confirmed, so its next crash would not be news either.
 */
function sameStanding(a: Health, b: Health): boolean {
  return a === b || (BUSY_OR_IDLE.has(a) && BUSY_OR_IDLE.has(b));
}
const BUSY_OR_IDLE: ReadonlySet<Health> = new Set<Health>(['healthy', 'working']);

type Listener<T> = (value: T) => void;

/**
 * Watches the Fleet's health for transitions a person should hear about: a worker that
 * goes dead, crashes, gets stuck (slow) or goes missing, and one that recovers from any of
 * these. Pure (no timers, no vscode): `evaluate(now)` is called on the session's clock.
 *
 * Only live data is judged. The states found at connect time are the baseline, not news;
 * while the store is unreachable nothing is judged, and after it answers again the baseline
 * is taken afresh (whatever happened during the outage was not seen happen).
 */
export class TransitionWatcher {
  /** Last confirmed health per worker id. */
  private baseline = new Map<string, Health>();
  /** A different health seen, not yet lasted long enough. */
  private readonly candidates = new Map<string, { health: Health; since: number }>();
  private rebaseline = true;
  /**
   * Workers whose health may have moved since the last evaluation (the fleet said so): only
   * these and the candidates are looked at, so a tick costs the changes, not the fleet size.
   */
  private readonly dirty = new Set<string>();
  private pending: Transition[] = [];
  private pendingSince = 0;
  private readonly history: Transition[] = [];
  private readonly batchListeners = new Set<Listener<TransitionBatch>>();
  private readonly transitionListeners = new Set<Listener<Transition[]>>();
  private readonly unsubscribe: () => void;
  private minimumMs: number;
  private readonly groupMs: number;
  private readonly keep: number;

  constructor(
    private readonly fleet: Fleet,
    opts: TransitionOptions = {},
  ) {
    this.minimumMs = opts.minimumMs ?? 10_000;
    this.groupMs = opts.groupMs ?? 3_000;
    this.keep = opts.keep ?? 200;
    this.unsubscribe = fleet.onChange((c) => {
      if (c.connection && fleet.connection.state !== 'connected') this.forget();
      if (this.rebaseline) return;
      for (const id of c.changed) this.dirty.add(id);
      for (const id of c.added) this.dirty.add(id);
      for (const id of c.removed) this.dirty.add(id);
    });
  }

  setMinimumMs(ms: number): void {
    this.minimumMs = Math.max(0, ms);
  }

  /** Forget what was seen: the next live evaluation is a new baseline (connect, reconnect, another store). */
  forget(): void {
    this.rebaseline = true;
    this.candidates.clear();
    // Confirmed while live, still in their grouping window: said now rather than lost.
    if (this.pending.length) this.flush();
  }

  private flush(): void {
    const batch = { transitions: this.pending };
    this.pending = [];
    this.batchListeners.forEach((l) => safely(l, batch));
  }

  /** Another store: its timeline starts empty. */
  reset(): void {
    this.pending = [];
    this.forget();
    this.history.length = 0;
  }

  /** A batch of transitions to notify about, when its grouping window closes. */
  onBatch(listener: Listener<TransitionBatch>): () => void {
    this.batchListeners.add(listener);
    return () => this.batchListeners.delete(listener);
  }

  /** Each transition as soon as it is confirmed (the timeline, `status --watch`). */
  onTransitions(listener: Listener<Transition[]>): () => void {
    this.transitionListeners.add(listener);
    return () => this.transitionListeners.delete(listener);
  }

  /** The transitions seen so far, oldest first (at most `keep`). */
  timeline(): Transition[] {
    return [...this.history];
  }

  /** Judges the fleet's health as it is now (call after `fleet.reclassify()`). */
  evaluate(now: number): void {
    if (this.fleet.connection.state !== 'connected') {
      this.forget();
      return;
    }
    if (this.rebaseline) {
      this.baseline = new Map();
      this.dirty.clear();
      this.fleet.forEachHealth((id, _name, health) => this.baseline.set(id, health));
      this.rebaseline = false;
      return;
    }
    const confirmed: Transition[] = [];
    const look = [...this.dirty, ...this.candidates.keys()];
    this.dirty.clear();
    for (const id of new Set(look)) {
      const w = this.fleet.get(id);
      const was = this.baseline.get(id);
      if (!w) {
        // Gone from the fleet: forgotten.
        this.baseline.delete(id);
        this.candidates.delete(id);
        continue;
      }
      const health = w.health;
      // A worker that appears starts where it is found: its arrival is not a transition.
      if (was === undefined) {
        this.baseline.set(id, health);
        continue;
      }
      if (sameStanding(health, was)) {
        this.candidates.delete(id);
        continue;
      }
      let c = this.candidates.get(id);
      if (!c || !sameStanding(c.health, health)) this.candidates.set(id, (c = { health, since: now }));
      if (now - c.since < this.minimumMs) continue;
      this.baseline.set(id, health);
      this.candidates.delete(id);
      const kind = kindOf(was, health);
      if (kind) confirmed.push({ id, name: w.snapshot.name, from: was, to: health, kind, at: c.since });
    }
    if (confirmed.length) {
      this.history.push(...confirmed);
      if (this.history.length > this.keep) this.history.splice(0, this.history.length - this.keep);
      if (!this.pending.length) this.pendingSince = now;
      this.pending.push(...confirmed);
      this.transitionListeners.forEach((l) => safely(l, confirmed));
    }
    if (this.pending.length && now - this.pendingSince >= this.groupMs) this.flush();
  }

  dispose(): void {
    this.unsubscribe();
    this.batchListeners.clear();
    this.transitionListeners.clear();
  }
}

function safely<T>(l: Listener<T>, v: T): void {
  try {
    l(v);
  } catch {
    // One listener's bug must not stop the others (or the session's clock).
  }
}
