import { adjustPlaceholders, missingWorker, unmatched, withPlaceholders } from './expectedWorkers';
import { Fleet } from './fleet';
import type { HealthThresholds } from './model';
import { LogPipeline, type LogPipelineOptions } from './logLines';
import { MetricsStore } from './metrics';
import type { SourceSink } from './sourceSink';
import { TransitionWatcher, type TransitionOptions } from './transitions';

export interface LiveSessionOptions {
  thresholds?: HealthThresholds;
  logs?: LogPipelineOptions;
  /** Where a source's own messages go (the output channel). Never given secrets. */
  log?: (level: 'info' | 'warn' | 'error' | 'debug', message: string) => void;
  /** Health is re-derived this often (a worker goes dead without any write). Default 1 s. */
  tickMs?: number;
  /** When a worker's change of state counts (minimum duration, grouping). */
  transitions?: TransitionOptions;
}

type Listener<T> = (value: T) => void;

/**
 * The one owner of live state for the active connection: the Fleet (workers and their
 * health), the MetricsStore (charts), the log pipeline (logs panel), the activity status
 * and the clock that re-derives health — one timer, whether or not any view is visible.
 * A source delivers into `sink()`; tree, status bar, dashboard and CLI only read this and
 * subscribe. The objects stay the same across a connection switch (views subscribe once);
 * `reset()` empties them for another store.
 */
export class LiveSession {
  readonly fleet: Fleet;
  readonly logs: LogPipeline;
  /** Workers going dead, crashing, stuck, missing or recovering: judged on the same clock as health. */
  readonly transitions: TransitionWatcher;
  /** Names of the workers the active connection expects (`expectedWorkers`). */
  private expected: readonly string[] = [];
  private _metrics = new MetricsStore();
  private stopMetrics: () => void;
  private _activityStatus = '';
  private readonly timer: NodeJS.Timeout;
  private readonly tickListeners = new Set<Listener<number>>();
  private readonly resetListeners = new Set<Listener<void>>();
  private readonly activityListeners = new Set<Listener<string>>();
  private readonly logListeners = new Set<Listener<void>>();

  constructor(private readonly opts: LiveSessionOptions = {}) {
    this.fleet = new Fleet(opts.thresholds);
    this.logs = new LogPipeline(opts.logs);
    this.transitions = new TransitionWatcher(this.fleet, opts.transitions);
    this.stopMetrics = this._metrics.attach(this.fleet);
    this.timer = setInterval(() => this.tick(), opts.tickMs ?? 1000);
    this.timer.unref?.();
  }

  /** The charts' numbers for the active connection (replaced by `reset()`). */
  get metrics(): MetricsStore {
    return this._metrics;
  }

  /** What the activity feed reads from, or why it cannot. */
  get activityStatus(): string {
    return this._activityStatus;
  }

  /** Where a source delivers everything it reads. */
  sink(): SourceSink {
    const log = this.opts.log ?? (() => undefined);
    return {
      replaceAll: (w) => this.fleet.replaceAll(withPlaceholders(this.expected, w)),
      update: (w, removed = []) => {
        const { add, drop } = adjustPlaceholders(this.expected, this.expectedHeld(), w, removed);
        this.fleet.update(add.length ? [...w, ...add] : w, drop.length ? [...removed, ...drop] : removed);
      },
      setConnection: (s) => this.fleet.setConnection(s),
      logs: (entries) => {
        if (!entries.length) return;
        this.logs.add(entries);
        this.logListeners.forEach((l) => l());
      },
      event: (e) => this._metrics.recordEvent(e),
      queueDepth: (name, depth) => this._metrics.recordQueueDepth(name, depth),
      activityStatus: (text) => this.setActivityStatus(text),
      log,
    };
  }

  /**
   * The workers that should exist. Each with no record shows as `missing` from the next read
   * on (at once, if the store has been read): before any read, nobody is known to be missing.
   */
  setExpected(names: readonly string[]): void {
    this.expected = names;
    if (this.fleet.lastUpdate === undefined || this.fleet.connection.state !== 'connected') return;
    const held = this.fleet.workers().map((w) => w.snapshot);
    const wanted = new Set(unmatched(names, held));
    const add = [...wanted].filter((n) => !this.fleet.get(n)?.snapshot.missing).map(missingWorker);
    const drop = held.filter((s) => s.missing && !wanted.has(s.id)).map((s) => s.id);
    if (add.length || drop.length) this.fleet.update(add, drop);
  }

  /** What the fleet holds now, for matching placeholders on a partial read (only with expected workers). */
  private expectedHeld() {
    return this.expected.length ? this.fleet.workers().map((w) => w.snapshot) : [];
  }

  /**
   * Another store: its numbers must not join the previous one's on the same chart, nor its
   * log lines the previous one's. The Fleet's workers are the caller's to keep or drop (the
   * same store with a new password keeps its last-known workers).
   */
  reset(): void {
    this.stopMetrics();
    this._metrics = new MetricsStore();
    this.stopMetrics = this._metrics.attach(this.fleet);
    this.logs.clear();
    this.transitions.reset();
    this.setActivityStatus('');
    this.resetListeners.forEach((l) => l());
  }

  /** Every tick, after health was re-derived: for ages and anything else that moves with the clock. */
  onTick(listener: Listener<number>): () => void {
    this.tickListeners.add(listener);
    return () => this.tickListeners.delete(listener);
  }

  /** After `reset()`: metrics and logs were replaced. */
  onReset(listener: Listener<void>): () => void {
    this.resetListeners.add(listener);
    return () => this.resetListeners.delete(listener);
  }

  /** Log lines were added to `logs` (their rows wait in its pending batch). */
  onLogs(listener: Listener<void>): () => void {
    this.logListeners.add(listener);
    return () => this.logListeners.delete(listener);
  }

  onActivityStatus(listener: Listener<string>): () => void {
    this.activityListeners.add(listener);
    return () => this.activityListeners.delete(listener);
  }

  private setActivityStatus(text: string): void {
    if (text === this._activityStatus) return;
    this._activityStatus = text;
    this.activityListeners.forEach((l) => l(text));
  }

  private tick(): void {
    this.fleet.reclassify();
    const now = Date.now();
    this.transitions.evaluate(now);
    this.tickListeners.forEach((l) => l(now));
  }

  dispose(): void {
    clearInterval(this.timer);
    this.stopMetrics();
    this.transitions.dispose();
    this.tickListeners.clear();
    this.resetListeners.clear();
    this.activityListeners.clear();
    this.logListeners.clear();
  }
}
