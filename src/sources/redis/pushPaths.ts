import type { Cluster } from 'ioredis';
import type { RedisKeys } from '../../core/connectionConfig';
import { ClusterKeyspace } from './clusterKeyspace';
import { isClusterClient, type RedisLike } from './redisClient';
import { EventsFollower, type FollowerStatus } from './eventsFollower';
import { KeyspaceFollower, probeKeyspace, uncovered, type StoredAs } from './keyspaceFollower';

export { uncovered, type StoredAs } from './keyspaceFollower';

/** 'auto': keyspace notifications if on, else the events streams, else none (poll). The others force one path. */
export type PushMode = 'auto' | 'keyspace' | 'events' | 'off';

export interface PushPathsOptions {
  url: string;
  password?: string;
  db: number;
  keys: RedisKeys;
  mode: PushMode;
  enableKeyspaceNotifications: boolean;
  eventsBlockMs?: number;
  log(level: 'info' | 'warn' | 'debug', message: string): void;
  /** These workers changed: re-read them. */
  onIds(ids: string[]): void;
  /** The active set changed: diff it. */
  onMembership(): void;
  /** Changes may have been missed (a subscription came back): read everything. */
  onMissed(): void;
  /** A push path came up or went away: the poll changes pace, the live mode is renamed. */
  onLiveChange(live: boolean): void;
}

/**
 * Chooses and runs one push path. Keyspace notifications come first when the
 * server already has them on: they announce every write, whoever made it. The
 * events streams come next: they announce only what the workers' code chose to
 * log, but need no server configuration. Refusals (ACL, managed Redis) are
 * expected and quiet — a line in the log, never a warning.
 */
export class PushPaths {
  private keyspace?: KeyspaceFollower;
  /** On a Redis Cluster: keyspace notifications from every primary (the only push path there). */
  private cluster?: ClusterKeyspace;
  private keyspaceUp = false;
  private keyspaceRefused = false;
  private events?: EventsFollower;
  private eventsUnavailable = false;
  private choosing = false;
  private disposed = false;
  private lastDescribed?: string;
  private lastNote?: string;
  /** The keyspace flags the running keyspace follower relies on. */
  private flags?: string;
  /** How the workers are stored, as the last full read found them. */
  private storage?: ReadonlySet<StoredAs>;

  constructor(private readonly opts: PushPathsOptions) {}

  /** A push path is delivering changes right now. */
  get live(): boolean {
    return (!!this.keyspace && this.keyspaceUp) || this.events?.state === 'active' || !!this.cluster?.live;
  }

  /** The live path in words, or undefined while polling. */
  describe(): string | undefined {
    if (this.cluster) return this.cluster.describe();
    if (this.keyspace && this.keyspaceUp) return 'keyspace notifications';
    if (this.events?.state === 'active') return `events stream (${this.opts.keys.eventStreams.join(', ')})`;
    return undefined;
  }

  get eventPositions(): ReadonlyMap<string, string> | undefined {
    return this.events?.lastIds;
  }

  /** Called on every (re)connect of the main client. Connection errors: tried again on the next one. */
  async choose(client: RedisLike): Promise<void> {
    if (isClusterClient(client)) return this.chooseOnCluster(client);
    const { mode, keys } = this.opts;
    if (mode === 'off' || this.choosing || this.disposed) return;
    this.choosing = true;
    try {
      if (mode !== 'events' && !this.keyspaceRefused) {
        const probe = await probeKeyspace(client, this.opts.enableKeyspaceNotifications);
        if (this.disposed) return;
        const gap = probe.available && this.storage ? uncovered(probe.flags, this.storage) : undefined;
        if (probe.available && !gap) {
          if (this.keyspace || (await this.startKeyspace(probe.flags))) {
            this.stopEvents();
            this.note(`Push path: keyspace notifications (${probe.reason})`);
            return;
          }
        } else if (gap) {
          this.stopKeyspace();
          this.note(`Keyspace notifications not used: notify-keyspace-events is "${probe.flags}", ${gap}`);
        } else {
          this.stopKeyspace();
          this.note(`Keyspace notifications not used: ${probe.reason}`);
          if (/not allowed/.test(probe.reason)) this.keyspaceRefused = true;
        }
      }
      if (mode !== 'keyspace' && keys.eventStreams.length && !this.eventsUnavailable) {
        if (!this.events) this.startEvents();
        this.note(`Push path: following ${keys.eventStreams.join(', ')} (live once an entry names a worker)`);
      } else if (!this.keyspace) {
        this.note('No push path: polling');
      }
    } catch (err) {
      if (!this.disposed)
        this.opts.log('debug', `Choosing a push path failed, will retry on reconnect: ${(err as Error).message}`);
    } finally {
      this.choosing = false;
      this.notify();
    }
  }

  /**
   * On a Redis Cluster only keyspace notifications push. The events streams stay single-Redis:
   * one XREAD BLOCK over streams in different slots is refused (CROSSSLOT), and a stream per
   * node would need a blocked connection per slot owner. Without keyspace notifications: the poll.
   */
  private async chooseOnCluster(cluster: Cluster): Promise<void> {
    const { mode } = this.opts;
    if (mode === 'off' || this.disposed) return;
    try {
      if (mode === 'events') {
        this.note('No push path: the events streams are followed on a single Redis only; polling this cluster');
        return;
      }
      if (!this.cluster) {
        this.cluster = new ClusterKeyspace({
          cluster,
          seedUrl: this.opts.url,
          password: this.opts.password,
          keys: this.opts.keys,
          enable: this.opts.enableKeyspaceNotifications,
          log: this.opts.log,
          onIds: (ids) => this.opts.onIds(ids),
          onMembership: () => this.opts.onMembership(),
          onMissed: () => this.opts.onMissed(),
          onChange: () => this.notify(),
        });
        if (this.storage) this.cluster.storageSeen(this.storage);
      }
      await this.cluster.sync();
      if (this.disposed) return;
      this.note(
        this.cluster.live
          ? 'Push path: keyspace notifications from every primary of the cluster'
          : 'No push path on this cluster (keyspace notifications off or refused on its primaries): polling',
      );
    } finally {
      this.notify();
    }
  }

  /**
   * After each full read: how the workers are stored. Keyspace events that do not cover it
   * (only "h" on, workers stored as JSON strings) would leave the view saying "live" while
   * changes arrive only with the reconciliation read: that path is dropped for the events
   * streams (or the poll), and the reason logged.
   */
  storageSeen(kinds: ReadonlySet<StoredAs>): void {
    this.storage = kinds;
    if (this.cluster) return this.cluster.storageSeen(kinds);
    const gap = this.keyspace && this.flags !== undefined ? uncovered(this.flags, kinds) : undefined;
    if (!gap || this.disposed) return;
    this.note(`Keyspace notifications not used: notify-keyspace-events is "${this.flags}", ${gap}`);
    this.stopKeyspace();
    const { mode, keys } = this.opts;
    if (mode !== 'keyspace' && keys.eventStreams.length && !this.eventsUnavailable && !this.events) {
      this.startEvents();
      this.note(`Push path: following ${keys.eventStreams.join(', ')} (live once an entry names a worker)`);
    }
    this.notify();
  }

  private async startKeyspace(flags: string): Promise<boolean> {
    this.flags = flags;
    const f = new KeyspaceFollower({
      url: this.opts.url,
      password: this.opts.password,
      db: this.opts.db,
      keys: this.opts.keys,
      flags,
      onIds: (ids) => this.opts.onIds(ids),
      onMembership: () => this.opts.onMembership(),
      onStatus: (up, resumed) => {
        if (this.keyspace !== f) return;
        this.keyspaceUp = up;
        if (resumed) this.opts.onMissed();
        this.notify();
      },
    });
    this.keyspace = f;
    try {
      await f.start();
      if (this.disposed) f.dispose();
      return !this.disposed;
    } catch (err) {
      f.dispose();
      // Stopped while subscribing (storageSeen found the flags do not cover the fleet): not a failure.
      if (this.keyspace !== f) return false;
      this.keyspace = undefined;
      this.keyspaceUp = false;
      const msg = (err as Error).message;
      if (/NOPERM|not allowed|unknown command/i.test(msg)) {
        this.keyspaceRefused = true;
        this.opts.log('debug', `Keyspace subscription refused: ${msg}`);
      } else throw err;
      return false;
    }
  }

  private startEvents(): void {
    const f = new EventsFollower({
      url: this.opts.url,
      password: this.opts.password,
      streams: this.opts.keys.eventStreams,
      stateTemplate: this.opts.keys.state,
      blockMs: this.opts.eventsBlockMs,
      log: this.opts.log,
      onIds: (ids) => this.opts.onIds(ids),
      onStatus: (s: FollowerStatus) => {
        if (this.events !== f) return;
        if (s === 'unavailable') {
          this.eventsUnavailable = true;
          this.stopEvents();
        }
        this.notify();
      },
    });
    this.events = f;
    f.start();
  }

  private stopKeyspace(): void {
    this.keyspace?.dispose();
    this.keyspace = undefined;
    this.keyspaceUp = false;
  }

  private stopEvents(): void {
    this.events?.dispose();
    this.events = undefined;
  }

  /** Logs a choice once, not on every reconnect. */
  private note(message: string): void {
    if (message === this.lastNote) return;
    this.lastNote = message;
    this.opts.log('info', message);
  }

  /** Tells the source when the live path changes (up, down, or one path replacing the other). */
  private notify(): void {
    const described = this.describe();
    if (described === this.lastDescribed || this.disposed) return;
    this.lastDescribed = described;
    this.opts.onLiveChange(this.live);
  }

  dispose(): void {
    this.disposed = true;
    this.cluster?.dispose();
    this.stopKeyspace();
    this.stopEvents();
  }
}
