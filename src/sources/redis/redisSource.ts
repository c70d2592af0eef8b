import { definedOnly } from '../../core/definedOnly';
import { redactUrl, type RedisKeys } from '../../core/connectionConfig';
import type { ConnectionState } from '../../core/fleet';
import type { FieldMap } from '../../core/record';
import type { WorkerSnapshot } from '../../core/model';
import type { SourceSink, WorkerSource } from '../source';
import { ChangeBatcher, type ChangeBatch } from './changeBatcher';
import { ORCHESTRATOR_FIELDS, ORCHESTRATOR_KEYS } from './orchestratorPreset';
import { isClusterClient, type RedisLike } from './redisClient';
import { openSourceClient } from './sourceClient';
import { clusterDownMessage, describeClusterReadError, describeRedisError } from './redisErrors';
import { clusterSaysFail } from './clusterState';
import { readChanged, type TypeHints } from './readWorkers';
import { readAllBounded, scanIds, type BoundedState } from './boundedRead';
import { pacedIntervalMs } from './readPacing';
import { PushPaths } from './pushPaths';
import { RedisActivity } from './activityFeed';
import { ORCHESTRATOR_LOG_STREAMS } from './logStreams';
import type { RedisSourceOptions } from './redisSourceOptions';

export { createClient } from './redisClient';
export type { RedisSourceOptions } from './redisSourceOptions';

/**
 * Reads a Redis fleet (orchestrator preset by default) and keeps the sink current.
 * A full pipelined read at start, on every reconnect and on a timer; between them,
 * a push path (keyspace notifications or the workers' event streams, see
 * pushPaths.ts) names the workers that changed and only those are re-read. While a
 * push path is live the timer only reconciles (default every 15 s); without one it
 * is the poll (pollMs).
 */
export class RedisSource implements WorkerSource {
  readonly kind = 'redis';
  readonly keys: RedisKeys;
  readonly fields: FieldMap;
  private client?: RedisLike;
  private sink?: SourceSink;
  private timer?: NodeJS.Timeout;
  /** When the timer's read is due (undefined while a timed read runs). */
  private dueAt?: number;
  private disposed = false;
  private inFlight?: Promise<void>;
  private readonly where: string;
  private readonly typeHints: TypeHints = new Map();
  private readonly readState: BoundedState = {};
  private scriptFallbackLogged = false;
  /** Whether the last full read failed: then the next one comes at the poll's pace, not the reconcile's. */
  private lastReadFailed = false;
  /** Worker ids as of the last read: what a membership change is compared with. */
  private known = new Set<string>();
  /** Full reads one at a time, so an older one never lands after a newer one. */
  private chain: Promise<unknown> = Promise.resolve();
  /**
   * While a full read runs (about a second at 100,000 workers), changes are still re-read as they come,
   * not queued behind it. What those re-reads found (null: the worker left) is laid over the full read's
   * result, whose copy of those workers may be older.
   */
  private overlay?: Map<string, WorkerSnapshot | null>;
  private batcher?: ChangeBatcher;
  private push?: PushPaths;
  /** Why we are offline, in words, from the client's own events (a failed command only says "not writeable"). */
  private offlineReason?: string;
  private lastReported?: string;
  private conn?: ConnectionState;
  private activity?: RedisActivity;
  private followingActivity = false;

  constructor(private readonly opts: RedisSourceOptions) {
    this.keys = { ...ORCHESTRATOR_KEYS, ...definedOnly(opts.keys) };
    this.fields = { ...ORCHESTRATOR_FIELDS, ...definedOnly(opts.fields) };
    this.where = redactUrl(opts.url);
  }

  /** How updates arrive right now, in words (also in the connection state). */
  get liveMode(): string {
    const path = this.push?.describe();
    return path ? `${path}, reconcile every ${seconds(this.reconcileMs)}` : `poll every ${seconds(this.opts.pollMs)}`;
  }

  /** The events follower's position per stream (for tests and the benchmark). */
  get eventPositions(): ReadonlyMap<string, string> | undefined {
    return this.push?.eventPositions;
  }

  private get reconcileMs(): number {
    return this.opts.reconcileMs ?? 15_000;
  }

  start(sink: SourceSink): void {
    this.sink = sink;
    if (this.followingActivity) this.followActivity(true);
    const client = openSourceClient(this.opts, this.where, {
      offline: (reason) => {
        if (this.disposed) return;
        this.offlineReason = reason;
        this.reportError(reason);
      },
      ready: () => {
        this.offlineReason = undefined;
        sink.log('info', `Connected to ${this.where}`);
        void this.refresh();
        // Asked again on every reconnect: the server may have restarted with another configuration.
        void this.push?.choose(client);
      },
      log: (level, message) => !this.disposed && sink.log(level, message),
    });
    this.client = client;
    this.batcher = new ChangeBatcher((b) => this.readBatch(b), this.opts.batchMs ?? 0);
    const batcher = this.batcher;
    this.push = new PushPaths({
      url: this.opts.url,
      password: this.opts.password,
      db: isClusterClient(client) ? 0 : (client.options.db ?? 0),
      keys: this.keys,
      mode: this.opts.push ?? 'auto',
      enableKeyspaceNotifications: this.opts.enableKeyspaceNotifications ?? false,
      eventsBlockMs: this.opts.eventsBlockMs,
      log: (level, message) => sink.log(level, message),
      onIds: (ids) => batcher.add(ids),
      onMembership: () => batcher.membershipChanged(),
      onMissed: () => void this.refresh(),
      onLiveChange: (live) => this.onPushChange(live),
    });
    sink.setConnection((this.conn = { state: 'connecting', message: `Connecting to ${this.where}…` }));
    client.connect().catch(() => undefined); // failures arrive as 'error' events and through refresh()
    this.schedule(0);
  }

  private onPushChange(live: boolean): void {
    if (this.disposed) return;
    this.sink?.log('info', `Live updates for ${this.where}: ${this.liveMode}`);
    // Up: the poll becomes the slow reconciliation. Gone: back to the fast poll from now,
    // not after the rest of a long reconciliation wait. Either way the next read only ever
    // comes sooner: a push path that flaps (a hung server times out every XREAD, the
    // follower is up again a second later) must never push it further away, or the read
    // that would notice the hang never runs. The pace after that read follows the path.
    this.scheduleWithin(live ? this.reconcileMs : this.opts.pollMs);
    if (this.conn?.state === 'connected') this.setConnected();
  }

  /** Brings the next read forward to within `ms`; never postpones one already due sooner. */
  private scheduleWithin(ms: number): void {
    if (this.dueAt !== undefined && this.dueAt <= Date.now() + ms) return;
    this.schedule(ms);
  }

  private schedule(ms: number): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    this.dueAt = Date.now() + ms;
    this.timer = setTimeout(() => {
      this.dueAt = undefined;
      void this.refresh().finally(() => this.schedule(this.nextReadMs()));
    }, ms);
  }

  /**
   * The wait before the next timed read: the reconcile while a push path is live, else the poll; the poll's
   * pace after a failed read (the store is back sooner than a reconcile would notice); never faster than the
   * store's budget for a large fleet (readPacing.ts).
   */
  private nextReadMs(): number {
    const base = this.push?.live && !this.lastReadFailed ? this.reconcileMs : this.opts.pollMs;
    return pacedIntervalMs(base, this.readState.lastCommands, this.known.size);
  }

  /** One full pipelined read. Concurrent callers share the read in flight. */
  refresh(): Promise<void> {
    if (this.disposed || !this.client || !this.sink) return Promise.resolve();
    this.inFlight ??= this.exclusive(() => this.readAll()).finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async readAll(): Promise<void> {
    const client = this.client!;
    const sink = this.sink!;
    if (client.status !== 'ready') {
      // Offline: say why (once known); on the very first connect, stay "connecting" rather than flash an error.
      this.lastReadFailed = true;
      if (this.offlineReason) this.reportError(this.offlineReason);
      return;
    }
    const started = performance.now();
    try {
      this.overlay = new Map();
      const workers = withOverlay(
        await readAllBounded(client, this.keys, this.fields, this.readState, this.typeHints),
        this.overlay,
      );
      this.overlay = undefined;
      this.logScriptFallback();
      if (this.disposed) return;
      const ids = workers.map((w) => w.id);
      this.known = new Set(ids);
      for (const id of this.typeHints.keys()) if (!this.known.has(id)) this.typeHints.delete(id);
      if (this.typeHints.size) this.push?.storageSeen(new Set(this.typeHints.values()));
      sink.replaceAll(workers);
      this.lastReadFailed = false;
      this.setConnected();
      sink.log('debug', `Read ${workers.length} workers in ${(performance.now() - started).toFixed(1)} ms`);
    } catch (err) {
      this.overlay = undefined;
      if (this.disposed) return;
      this.lastReadFailed = true;
      this.scheduleWithin(this.opts.pollMs);
      // Dropped mid-read: "Connection is closed" says less than the client's own events.
      const offline = client.status !== 'ready' && this.offlineReason;
      if (offline || !isClusterClient(client)) return this.reportError(offline || describeRedisError(err, this.where));
      // A node that does not answer may be one primary failing over or a shard gone: the survivors know.
      const down = await clusterSaysFail(client);
      if (this.disposed) return;
      this.reportError(
        down ? clusterDownMessage(this.where, 'cluster_state:fail') : describeClusterReadError(err, this.where),
      );
    }
  }

  private logScriptFallback(): void {
    if (!this.readState.scriptUnavailable || this.scriptFallbackLogged) return;
    this.scriptFallbackLogged = true;
    this.sink?.log(
      'info',
      `Full reads use pipelines of HGETALL/GET (the one-script batch read is unavailable: ${this.readState.scriptUnavailable})`,
    );
  }

  /** Re-reads the workers a push path named; on a membership change, diffs the active set first. */
  private async readBatch(batch: ChangeBatch): Promise<void> {
    // Not behind a running full read (see `overlay`); the batcher never runs two of these at once.
    const client = this.client;
    const sink = this.sink;
    if (this.disposed || !client || !sink || client.status !== 'ready') return; // the reconnect's full read covers it
    const started = performance.now();
    const ids = new Set(batch.ids);
    const left: string[] = [];
    try {
      if (batch.membership) {
        const members = new Set(await scanIds(client, this.keys.activeSet));
        for (const id of members) if (!this.known.has(id)) ids.add(id);
        for (const id of this.known) if (!members.has(id)) left.push(id);
      }
      const { workers, gone } = await readChanged(client, [...ids], this.keys, this.fields, {
        typeHints: this.typeHints,
      });
      if (this.disposed) return;
      for (const w of workers) this.known.add(w.id);
      for (const id of [...left, ...gone]) {
        this.known.delete(id);
        this.typeHints.delete(id);
        this.overlay?.set(id, null);
      }
      for (const w of workers) this.overlay?.set(w.id, w);
      sink.update(workers, [...left, ...gone]);
      sink.log('debug', `Re-read ${ids.size} changed workers in ${(performance.now() - started).toFixed(1)} ms`);
    } catch (err) {
      if (!this.disposed)
        sink.log('debug', `Re-reading changed workers failed: ${describeRedisError(err, this.where)}`);
    }
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private setConnected(): void {
    this.lastReported = undefined;
    this.conn = { state: 'connected', liveMode: this.liveMode };
    this.sink?.setConnection(this.conn);
  }

  /** Marks the fleet stale with the message; logs each distinct message once, not every poll. */
  private reportError(message: string): void {
    if (this.disposed || !this.sink) return;
    this.conn = { state: 'error', message, liveMode: this.liveMode };
    this.sink.setConnection(this.conn);
    if (message !== this.lastReported) {
      this.lastReported = message;
      this.sink.log('warn', message);
    }
  }

  followActivity(on: boolean): void {
    this.followingActivity = on;
    if (this.disposed || !this.sink) return; // start() begins it when asked before
    if (on) {
      this.activity ??= new RedisActivity(
        {
          url: this.opts.url,
          password: this.opts.password,
          logStreams: this.opts.logStreams ?? ORCHESTRATOR_LOG_STREAMS,
          queues: this.opts.queues ?? [],
          cluster: this.opts.cluster,
          nodes: this.opts.nodes,
        },
        this.sink,
      );
      this.activity.start();
    } else void this.activity?.stop();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const activity = this.activity?.stop();
    clearTimeout(this.timer);
    this.batcher?.dispose();
    this.push?.dispose();
    this.client?.disconnect();
    await activity;
  }
}

function withOverlay(workers: WorkerSnapshot[], overlay: Map<string, WorkerSnapshot | null>): WorkerSnapshot[] {
  if (overlay.size === 0) return workers;
  const byId = new Map(workers.map((w) => [w.id, w]));
  for (const [id, snap] of overlay) {
    if (snap) byId.set(id, snap);
    else byId.delete(id);
  }
  return [...byId.values()];
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))}s`;
}
