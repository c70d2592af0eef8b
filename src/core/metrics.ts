import { counterIncrease, increaseSpan, slices } from './counterDeltas';
import type { Fleet } from './fleet';
import { binOf, HIST_BINS, quantile } from './histogram';
import { ALL_HEALTH, type Health, type WorkerView } from './model';
import { BucketRing } from './ringBuffer';
import { chartNotes, fittingWindow } from './metricsNotes';
import { durationSeries, healthSeries, queueSeries, seconds } from './metricsSeries';
import { WINDOWS, type MetricsView, type Series, type WindowKey } from '../shared/protocol';

/** A task finished, as read from an event stream or a log. */
export interface WorkEvent {
  kind: 'completed' | 'failed';
  worker?: string;
  ts: number;
  durationMs?: number;
  /** How many finished, when a store counts only in totals (Sidekiq's fleet counters); 1 when absent. */
  count?: number;
}

export interface MetricsOptions {
  clock?: () => number;
  /** Workers with their own throughput series (least recently active evicted first). */
  maxWorkerSeries?: number;
  /** Queues with a depth series; more are ignored. */
  maxQueues?: number;
  /** Busiest workers drawn in the throughput chart. */
  topWorkers?: number;
}

const KEYS = Object.keys(WINDOWS) as WindowKey[];
// Column layout of a fleet bucket.
const C_DONE = 0;
const C_ERR = 1;
const C_HEALTH_SAMPLED = 2;
const C_HEALTH = 3; // ALL_HEALTH.length columns
const C_QUEUE = C_HEALTH + ALL_HEALTH.length; // maxQueues value columns, then maxQueues "sampled" columns

interface Track {
  completed?: number;
  errors?: number;
  /** When the counters above were read, and the worker's heartbeat then (see counterDeltas.ts). */
  at: number;
  beat?: number;
  /** Counter totals are counted from this time; stream events before it fill in history. */
  countersFrom?: number;
  taskKey?: string;
  taskStartedAt?: number;
}

/**
 * Fleet metrics in fixed memory: one ring of time buckets per chart window
 * (5 min of 10 s, 1 h of 1 min, 6 h of 5 min), written from Fleet changes and
 * event streams, read as chart series. Memory depends on the options, never on
 * the event rate or uptime.
 *
 * Counting rule, so nothing is counted twice: a worker that reports counters
 * (`completed`/`errors`) is counted from counter increases once first seen; its
 * stream events count only for times before that (backfilled history). Durations
 * come from stream events when any carry them, else from task changes in snapshots.
 */
export class MetricsStore {
  private readonly clock: () => number;
  private readonly maxWorkerSeries: number;
  private readonly maxQueues: number;
  private readonly topWorkers: number;
  private readonly cols: number;
  private readonly fleetRings: Record<WindowKey, BucketRing>;
  /** Per-worker [completed, errors] rings, in least-recently-active-first order. */
  private readonly workerRings = new Map<string, Record<WindowKey, BucketRing>>();
  /** Keyed by worker id, like everything here; names are for display only. */
  private readonly tracks = new Map<string, Track>();
  private readonly names = new Map<string, string>();
  private readonly queueNames: string[] = [];
  private streamDurations = false;
  private durationsSeen = false;
  /** Anything counted yet (an event or a counter increase). */
  private counted = false;
  /** The store is unreachable since then (a counter jump after it is spread over the outage). */
  private blindSince?: number;
  /** When the last outage began, once it is over. */
  private lastOutageFrom?: number;
  /** Metrics are known from here on: activation, or earlier with history read back from the store. */
  private knownFrom: number;
  readonly startedAt: number;

  constructor(opts: MetricsOptions = {}) {
    this.clock = opts.clock ?? Date.now;
    this.maxWorkerSeries = opts.maxWorkerSeries ?? 200;
    this.maxQueues = opts.maxQueues ?? 4;
    this.topWorkers = opts.topWorkers ?? 5;
    this.cols = C_QUEUE + 2 * this.maxQueues + HIST_BINS;
    this.fleetRings = this.rings(this.cols);
    this.startedAt = this.clock();
    this.knownFrom = this.startedAt;
  }

  private rings(cols: number): Record<WindowKey, BucketRing> {
    const r = {} as Record<WindowKey, BucketRing>;
    for (const k of KEYS) r[k] = new BucketRing(WINDOWS[k].bucketMs, WINDOWS[k].spanMs / WINDOWS[k].bucketMs, cols);
    return r;
  }

  /**
   * Follows a Fleet: counters and tasks on every change, health every `sampleMs`.
   * Health itself is re-derived by whoever owns the clock (the session); this only samples it.
   * Returns a stop function.
   */
  attach(fleet: Fleet, sampleMs = 5000): () => void {
    this.observe(fleet.workers());
    this.sampleHealth(fleet.counts().byHealth);
    this.connection(fleet.connection.state === 'connected');
    const off = fleet.onChange((c) => {
      if (c.connection) this.connection(fleet.connection.state === 'connected');
      for (const id of c.removed) {
        this.tracks.delete(id);
        this.names.delete(id);
      }
      const views = [...c.added, ...c.changed].map((id) => fleet.get(id)).filter((v): v is WorkerView => !!v);
      this.observe(views);
    });
    const timer = setInterval(() => this.sampleHealth(fleet.counts().byHealth), sampleMs);
    timer.unref?.();
    return () => {
      off();
      clearInterval(timer);
    };
  }

  /** The store became reachable (`true`) or not: a counter jump after an outage is spread over it. */
  connection(up: boolean, now = this.clock()): void {
    if (!up) this.blindSince ??= now;
    else if (this.blindSince !== undefined) {
      this.lastOutageFrom = this.blindSince;
      this.blindSince = undefined;
    }
  }

  /** Counter increases and finished tasks of these workers since they were last seen. */
  observe(views: readonly WorkerView[]): void {
    const now = this.clock();
    for (const v of views) {
      const s = v.snapshot;
      if (s.name !== s.id) this.names.set(s.id, s.name);
      let t = this.tracks.get(s.id);
      if (!t) {
        // First sight: a baseline, not a burst of lifetime totals.
        t = {
          completed: s.completed,
          errors: s.errors,
          at: now,
          beat: s.lastHeartbeat,
          taskKey: taskKey(v),
          taskStartedAt: s.task?.startedAt,
        };
        if (s.completed !== undefined || s.errors !== undefined) t.countersFrom = now;
        this.tracks.set(s.id, t);
        continue;
      }
      const done = counterIncrease(t.completed, s.completed);
      const errs = counterIncrease(t.errors, s.errors);
      if (s.completed !== undefined || s.errors !== undefined) t.countersFrom ??= now;
      if (done || errs) {
        const { from, to } = increaseSpan(
          { at: t.at, beat: t.beat },
          { at: now, beat: s.lastHeartbeat },
          this.blindSince ?? this.lastOutageFrom,
        );
        if (done) this.spread(s.id, from, to, C_DONE, done);
        if (errs) this.spread(s.id, from, to, C_ERR, errs);
      }
      t.completed = s.completed ?? t.completed;
      t.errors = s.errors ?? t.errors;
      t.at = now;
      t.beat = s.lastHeartbeat ?? t.beat;
      const key = taskKey(v);
      if (key !== t.taskKey) {
        if (t.taskKey !== undefined && t.taskStartedAt !== undefined && !this.streamDurations) {
          // The task in the snapshot changed or went away: it finished around the last heartbeat.
          const end =
            s.lastHeartbeat !== undefined && s.lastHeartbeat > t.taskStartedAt ? Math.min(s.lastHeartbeat, now) : now;
          this.duration(end, end - t.taskStartedAt);
        }
        t.taskKey = key;
        t.taskStartedAt = s.task?.startedAt;
      }
    }
  }

  /** A completion or failure from an event stream (live or backfilled). */
  recordEvent(e: WorkEvent): void {
    // Never ahead of this clock: one event stamped in the future (µs read as ms, a skewed
    // worker) would move the rings' "newest" bucket there and blank every chart until then.
    const ts = Math.min(e.ts, this.clock());
    // History read back from the store: the charts know this time on (a quiet stretch is a zero, not a gap).
    // (Only within the longest window: an older line says nothing about the time the charts show.)
    if (ts < this.knownFrom && ts >= this.clock() - WINDOWS['6h'].spanMs) this.knownFrom = ts;
    if (e.durationMs !== undefined && e.durationMs >= 0) {
      this.streamDurations = true;
      this.duration(ts, e.durationMs);
    }
    const t = e.worker !== undefined ? this.tracks.get(e.worker) : undefined;
    if (t?.countersFrom !== undefined && ts >= t.countersFrom) return; // counters already count it
    const n = e.count !== undefined && Number.isFinite(e.count) && e.count > 0 ? e.count : 1;
    this.count(e.worker, ts, e.kind === 'completed' ? C_DONE : C_ERR, n);
  }

  sampleHealth(byHealth: Record<Health, number>, now = this.clock()): void {
    for (const k of KEYS) {
      const r = this.fleetRings[k];
      r.set(now, C_HEALTH_SAMPLED, 1);
      ALL_HEALTH.forEach((h, i) => r.set(now, C_HEALTH + i, byHealth[h] ?? 0));
    }
  }

  recordQueueDepth(name: string, depth: number, now = this.clock()): void {
    let i = this.queueNames.indexOf(name);
    if (i < 0) {
      if (this.queueNames.length >= this.maxQueues) return;
      i = this.queueNames.push(name) - 1;
    }
    for (const k of KEYS) {
      this.fleetRings[k].set(now, C_QUEUE + i, depth);
      this.fleetRings[k].set(now, C_QUEUE + this.maxQueues + i, 1);
    }
  }

  private count(worker: string | undefined, ts: number, col: number, n: number): void {
    this.counted = true;
    for (const k of KEYS) this.fleetRings[k].add(ts, col, n);
    if (worker === undefined) return;
    let w = this.workerRings.get(worker);
    if (w) {
      this.workerRings.delete(worker); // re-insert: Map order is our LRU order
    } else {
      if (this.workerRings.size >= this.maxWorkerSeries) this.workerRings.delete(this.workerRings.keys().next().value!);
      w = this.rings(2);
    }
    this.workerRings.set(worker, w);
    for (const k of KEYS) w[k].add(ts, col, n);
  }

  /** An increase spread over the time it happened in (counterDeltas.ts), bucket by bucket. */
  private spread(worker: string, from: number, to: number, col: number, n: number): void {
    for (const p of slices(from, to, n, WINDOWS['5m'].bucketMs)) this.count(worker, p.ts, col, p.n);
  }

  private duration(ts: number, ms: number): void {
    this.durationsSeen = true;
    const bin = binOf(ms);
    for (const k of KEYS) this.fleetRings[k].add(ts, C_QUEUE + 2 * this.maxQueues + bin, 1);
  }

  /** The chart series of one window, ending with the last complete bucket. */
  view(window: WindowKey, worker?: string): MetricsView {
    const now = this.clock();
    const ring = this.fleetRings[window];
    const bucketMs = ring.bucketMs;
    // The bucket in progress is left out: a rate over 2 s of a 10 s bucket would dip or spike.
    const buckets = ring.bucketsEndingAt(now - bucketMs);
    const firstObserved = ring.bucketOf(this.knownFrom);
    const perMin = 60_000 / bucketMs;
    const observed = (b: number) => ring.has(b) || b >= firstObserved;
    const rate = (r: BucketRing, col: number) => buckets.map((b) => (observed(b) ? r.get(b, col) * perMin : null));
    const histCol = C_QUEUE + 2 * this.maxQueues;

    // Narrowed to one worker, errors and error rate are that worker's; durations and health stay fleet-wide.
    const wr = worker !== undefined ? this.workerRings.get(worker)?.[window] : undefined;
    const errSource = worker !== undefined ? wr : ring;
    const zeros = () => buckets.map((b) => (observed(b) ? 0 : null));
    const perMinute = errSource ? rate(errSource, C_ERR) : zeros();
    const doneForRate = errSource ? rate(errSource, C_DONE) : zeros();
    const ratePct = buckets.map((_, i) => {
      const d = doneForRate[i];
      const e = perMinute[i];
      return d === null || e === null || d + e === 0 ? null : (100 * e) / (d + e);
    });

    const { p50, p95, hist } = durationSeries(ring, buckets, histCol);
    const health = healthSeries(ring, buckets, C_HEALTH_SAMPLED, C_HEALTH);
    const queues = queueSeries(ring, buckets, now, this.queueNames, C_QUEUE, C_QUEUE + this.maxQueues);

    const first = buckets[0]!;
    const last = buckets[buckets.length - 1]!;
    const completed = errSource?.sum(C_DONE, first, last) ?? 0;
    const errors = errSource?.sum(C_ERR, first, last) ?? 0;
    const observedBuckets = buckets.filter(observed).length;
    const anySeries = (xs: Series) => xs.some((x) => x !== null && x > 0);
    const notes = chartNotes({
      finished: completed + errors > 0,
      reportsCompletions: this.reportsCompletions(),
      durationsInWindow: anySeries(p50),
      durationsEver: this.durationsSeen,
      healthSampled: health.length > 0,
    });
    return {
      window,
      bucketMs,
      times: buckets.map((b) => b * bucketMs),
      throughput: { fleet: rate(ring, C_DONE), workers: this.workerSeries(window, buckets, worker, perMin, observed) },
      errors: { perMinute, ratePct },
      duration: { p50, p95 },
      health,
      queues,
      notes,
      totals: {
        // Counter increases spread over a gap leave fractions at the window's edge; a count is whole.
        completed: Math.round(completed),
        errors: Math.round(errors),
        errorRatePct: completed + errors ? (100 * errors) / (completed + errors) : null,
        perMinute: observedBuckets ? (completed / observedBuckets) * perMin : 0,
        p50s: seconds(quantile(hist, 0.5)),
        p95s: seconds(quantile(hist, 0.95)),
      },
      ...(worker !== undefined ? { worker } : {}),
    };
  }

  private workerSeries(
    window: WindowKey,
    buckets: number[],
    worker: string | undefined,
    perMin: number,
    observed: (b: number) => boolean,
  ) {
    const first = buckets[0]!;
    const last = buckets[buckets.length - 1]!;
    const names =
      worker !== undefined
        ? [worker]
        : [...this.workerRings.entries()]
            .map(([name, r]) => ({ name, total: r[window].sum(C_DONE, first, last) }))
            .filter((x) => x.total > 0)
            .sort((a, b) => b.total - a.total || a.name.localeCompare(b.name))
            .slice(0, this.topWorkers)
            .map((x) => x.name);
    return names.map((name) => {
      const r = this.workerRings.get(name)?.[window];
      return {
        name: this.names.get(name) ?? name,
        id: name,
        values: buckets.map((b) => (observed(b) ? (r?.get(b, C_DONE) ?? 0) * perMin : null)),
      };
    });
  }

  /** Whether anything here counts finished tasks: workers with counters, or task events. */
  private reportsCompletions(): boolean {
    if (this.counted) return true;
    for (const t of this.tracks.values()) if (t.countersFrom !== undefined) return true;
    return false;
  }

  /** The shortest window that holds all the history known (from activation, or from what was read back). */
  fittingWindow(): WindowKey {
    return fittingWindow(this.clock() - this.knownFrom);
  }

  /** Bytes held by the rings (the bulk of the store), for the benchmark. */
  approxBytes(): number {
    let n = 0;
    for (const k of KEYS) n += this.fleetRings[k].byteLength;
    for (const w of this.workerRings.values()) for (const k of KEYS) n += w[k].byteLength;
    return n + this.tracks.size * 120;
  }

  get trackedWorkerSeries(): number {
    return this.workerRings.size;
  }
}

function taskKey(v: WorkerView): string | undefined {
  const t = v.snapshot.task;
  if (!t) return undefined;
  return `${t.id ?? ''}|${t.title ?? ''}|${t.startedAt ?? ''}`;
}
