import type { Redis } from 'ioredis';
import { redactUrl } from '../../../core/connectionConfig';
import type { ConnectionState } from '../../../core/fleet';
import type { WorkerSnapshot } from '../../../core/model';
import type { SourceSink, WorkerSource } from '../../source';
import { createClient } from '../redisClient';
import { describeRedisError, isRefusedCommand } from '../redisErrors';
import { parseClientList, type FrameworkId, type FrameworkLayout, type NamedClient } from './framework';
import { ActivityPoller } from './activityPoller';
import { layoutsFor } from './layouts';

export interface FrameworkSourceOptions {
  url: string;
  /** From the secret store or `secretEnv`; never from settings. */
  password?: string;
  /** The frameworks to read, or 'detect': look for each (again every `detectMs`) and read those found. */
  frameworks: FrameworkId[] | 'detect';
  /** Read interval; at most 1 s so a closed BullMQ/RQ connection is seen within the framework targets. */
  pollMs: number;
  /** How often 'detect' looks again for frameworks not yet found. Default 30 s. */
  detectMs?: number;
}

/** A worker no longer in its framework's listing is kept (dead or stopped) this long, then dropped. */
const KEEP_VANISHED_MS = 60 * 60_000;

/** A worker its framework still lists but whose record is gone: why, and whose it is. */
interface Gone {
  why: string;
  framework: FrameworkId;
}

interface Known {
  snapshot: WorkerSnapshot;
  label: string;
  leftListingMeans: 'stopped' | 'dead';
  vanishedAt?: number;
}

/**
 * Reads framework fleets (RQ, Sidekiq, Celery, BullMQ) from one Redis: one CLIENT LIST and
 * each layout's pipelined read per poll, delivered as one full read. Remembers every worker
 * it saw, so one that disappears is kept as dead (or stopped, if it said it was stopping)
 * rather than silently dropped.
 */
export class FrameworkSource implements WorkerSource {
  readonly kind = 'redis';
  private client?: Redis;
  private sink?: SourceSink;
  private timer?: NodeJS.Timeout;
  private disposed = false;
  private inFlight?: Promise<void>;
  private readonly where: string;
  private readonly all: FrameworkLayout[];
  private active: FrameworkLayout[];
  private lastDetect = -Infinity;
  private readonly known = new Map<string, Known>();
  /** Why CLIENT LIST cannot be used, in words (shown with the live mode). */
  private clientListRefused?: string;
  private lastReported?: string;
  private lastFoundText?: string;
  /** Throughput, queue depths and failed jobs from the frameworks' own keys, while the dashboard is open. */
  private activity?: ActivityPoller;
  private followingActivity = false;

  constructor(private readonly opts: FrameworkSourceOptions) {
    this.where = redactUrl(opts.url);
    this.all = layoutsFor(opts.frameworks === 'detect' ? undefined : opts.frameworks);
    this.active = opts.frameworks === 'detect' ? [] : this.all;
  }

  /** What was looked for, in words: "RQ (set rq:workers), Sidekiq (set processes), …". */
  get lookedFor(): string {
    return this.all.map((l) => l.lookedFor).join(', ');
  }

  /** The frameworks read now (detected, or the preset's). */
  get frameworks(): FrameworkId[] {
    return this.active.map((l) => l.id);
  }

  get liveMode(): string {
    const poll = `poll every ${Number((this.intervalMs / 1000).toFixed(2))}s`;
    // Nothing found: nothing is polled (only looked for again every 30 s), so no poll is claimed.
    if (!this.active.length) return `no framework found (looked for ${this.lookedFor})`;
    const limits = [this.clientListRefused, ...this.active.map((l) => l.limitation?.())].filter(Boolean);
    const acl = limits.length ? `; ${limits.join('; ')}` : '';
    return `${this.active.map((l) => l.label).join(', ')}: ${poll}${acl}`;
  }

  private get intervalMs(): number {
    return Math.min(this.opts.pollMs, 1000);
  }

  start(sink: SourceSink): void {
    this.sink = sink;
    const client = createClient(this.opts.url, this.opts.password, { connectionName: 'worker-lens-frameworks' });
    this.client = client;
    client.on('error', () => undefined); // failures are reported by the read that meets them
    client.on('ready', () => {
      for (const l of this.active)
        l.start?.(this.opts.url, this.opts.password, client.options.db ?? 0, (lv, m) => sink.log(lv, m));
      void this.refresh();
      void this.activity?.poll();
    });
    sink.setConnection({ state: 'connecting', message: `Connecting to ${this.where}…` });
    client.connect().catch(() => undefined);
    this.schedule(0);
    if (this.followingActivity) this.followActivity(true);
  }

  private schedule(ms: number): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh().finally(() => this.schedule(this.intervalMs)), ms);
  }

  refresh(): Promise<void> {
    if (this.disposed || !this.client || !this.sink) return Promise.resolve();
    this.inFlight ??= this.readAll().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async readAll(): Promise<void> {
    const client = this.client!;
    const sink = this.sink!;
    if (client.status !== 'ready') {
      if (client.status !== 'connecting' && client.status !== 'wait')
        this.reportError(`Not connected to Redis at ${this.where}; retrying.`);
      return;
    }
    try {
      const now = Date.now();
      if (this.opts.frameworks === 'detect' && now - this.lastDetect >= (this.opts.detectMs ?? 30_000))
        await this.detect(client, now);
      const clients = this.active.length ? await this.clientList(client) : undefined;
      const fresh = new Map<string, Known>();
      const gone = new Map<string, Gone>();
      for (const layout of this.active) {
        const read = await layout.read(client, { now, clients });
        for (const w of read.workers)
          fresh.set(w.id, {
            snapshot: { ...w, framework: layout.id },
            label: layout.label,
            leftListingMeans: layout.leftListingMeans,
          });
        for (const [id, why] of read.gone) gone.set(id, { why, framework: layout.id });
      }
      if (this.disposed) return;
      sink.replaceAll(this.remember(fresh, gone, now));
      this.lastReported = undefined;
      const conn: ConnectionState = { state: 'connected', liveMode: this.liveMode };
      sink.setConnection(conn);
    } catch (err) {
      if (!this.disposed) this.reportError(describeRedisError(err, this.where));
    }
  }

  private async detect(client: Redis, now: number): Promise<void> {
    this.lastDetect = now;
    const found: FrameworkLayout[] = [];
    for (const l of this.all) if (this.active.includes(l) || (await l.detect(client).catch(() => false))) found.push(l);
    for (const l of found)
      if (!this.active.includes(l))
        l.start?.(this.opts.url, this.opts.password, client.options.db ?? 0, (lv, m) => this.sink?.log(lv, m));
    this.active = found;
    const text = found.length ? found.map((l) => l.label).join(', ') : 'none';
    if (text !== this.lastFoundText) {
      this.lastFoundText = text;
      this.sink?.log('info', `Frameworks at ${this.where}: looked for ${this.lookedFor}; found ${text}`);
    }
  }

  /** Named clients, or undefined when the ACL refuses CLIENT LIST (said once, and in the live mode). */
  private async clientList(client: Redis): Promise<NamedClient[] | undefined> {
    try {
      const list = parseClientList(String(await client.client('LIST')));
      this.clientListRefused = undefined;
      return list;
    } catch (err) {
      if (!isRefusedCommand(err)) throw err;
      const why = `CLIENT LIST refused (${(err as Error).message.split('\n')[0].slice(0, 120)}): RQ liveness from heartbeats only, BullMQ workers cannot be listed`;
      if (why !== this.clientListRefused) this.sink?.log('warn', `${this.where}: ${why}`);
      this.clientListRefused = why;
      return undefined;
    }
  }

  /**
   * This read's workers, plus every worker seen before that is no longer listed: kept with
   * its last data, dead (stopped if it had said it was stopping), dropped after an hour.
   */
  private remember(fresh: Map<string, Known>, gone: Map<string, Gone>, now: number): WorkerSnapshot[] {
    for (const [id, { why, framework }] of gone) {
      const prev = this.known.get(id);
      const name = id.slice(id.indexOf(':') + 1);
      fresh.set(id, {
        snapshot: { ...(prev?.snapshot ?? { id, name, framework, problems: [] }), gone: why },
        label: prev?.label ?? '',
        leftListingMeans: 'dead',
      });
    }
    for (const [id, k] of this.known) {
      if (fresh.has(id)) continue;
      const vanishedAt = k.vanishedAt ?? now;
      if (now - vanishedAt > KEEP_VANISHED_MS) continue;
      const s = k.snapshot;
      // Left while its record was fresh: a clean stop where the framework only unlists on one.
      const stopped = !s.gone && (s.status === 'stopped' || s.status === 'quiet' || k.leftListingMeans === 'stopped');
      const snapshot: WorkerSnapshot = stopped
        ? { ...s, status: 'stopped', task: undefined }
        : {
            ...s,
            gone:
              s.gone ??
              `No longer listed by ${k.label}: it stopped without saying so (killed, or its record was cleaned up)`,
          };
      fresh.set(id, { ...k, snapshot, vanishedAt });
    }
    this.known.clear();
    for (const [id, k] of fresh) this.known.set(id, k);
    return [...fresh.values()].map((k) => k.snapshot);
  }

  private reportError(message: string): void {
    if (this.disposed || !this.sink) return;
    this.sink.setConnection({ state: 'error', message, liveMode: this.liveMode });
    if (message !== this.lastReported) {
      this.lastReported = message;
      this.sink.log('warn', message);
    }
  }

  followActivity(on: boolean): void {
    this.followingActivity = on;
    if (!this.sink || this.disposed) return; // start() begins it when asked before
    this.activity ??= new ActivityPoller(
      () => this.active,
      () => this.client,
      this.sink,
      this.where,
    );
    if (on) this.activity.start();
    else this.activity.stop();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.timer);
    this.activity?.stop();
    for (const l of this.all) l.dispose?.();
    this.client?.disconnect();
  }
}
