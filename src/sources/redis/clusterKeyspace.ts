import type { Cluster, Redis } from 'ioredis';
import type { RedisKeys } from '../../core/connectionConfig';
import { KeyspaceFollower, probeKeyspace, uncovered, type StoredAs } from './keyspaceFollower';
import { nodeUrl } from './redisClient';
import { isRefusedCommand } from './redisErrors';

export interface ClusterKeyspaceOptions {
  cluster: Cluster;
  /** The connection's first seed URL: its scheme and user are used for every node. */
  seedUrl: string;
  password?: string;
  keys: RedisKeys;
  /** Allow CONFIG SET notify-keyspace-events on each primary where they are off. */
  enable: boolean;
  log(level: 'info' | 'warn' | 'debug', message: string): void;
  onIds(ids: string[]): void;
  onMembership(): void;
  /** Changes may have been missed (a primary was added or its subscription came back): read everything. */
  onMissed(): void;
  /** A node's subscription came up or went away, or the set of primaries changed. */
  onChange(): void;
}

interface NodeFollow {
  follower?: KeyspaceFollower;
  flags?: string;
  up: boolean;
}

/**
 * Keyspace notifications on a Redis Cluster. Each node publishes only the events of its own
 * keys, so there is one subscriber connection per primary, each probed for its own
 * notify-keyspace-events. The set of primaries is followed from the Cluster client's slot map
 * (refreshed every 2 s and after a failover): a promoted replica is subscribed to, a primary gone
 * is dropped, and a full read covers what a new primary's keys did meanwhile. A node that refuses
 * CONFIG or the subscription is left to the reconciliation read, said once in the log.
 */
export class ClusterKeyspace {
  private readonly nodes = new Map<string, NodeFollow>();
  private readonly noted = new Set<string>();
  private storage?: ReadonlySet<StoredAs>;
  private syncing?: Promise<void>;
  private again = false;
  private started = false;
  private disposed = false;
  private readonly onTopology = () => void this.sync();

  constructor(private readonly opts: ClusterKeyspaceOptions) {
    for (const event of ['refresh', '+node', '-node']) opts.cluster.on(event, this.onTopology);
  }

  /** At least one primary's changes arrive live. */
  get live(): boolean {
    for (const n of this.nodes.values()) if (n.up) return true;
    return false;
  }

  describe(): string | undefined {
    let up = 0;
    for (const n of this.nodes.values()) if (n.up) up++;
    if (!up) return undefined;
    return up === this.nodes.size
      ? `keyspace notifications (${up} primaries)`
      : `keyspace notifications on ${up} of ${this.nodes.size} primaries`;
  }

  /** Subscribes to new primaries and drops gone ones; calls made meanwhile run once more after. */
  sync(): Promise<void> {
    if (this.syncing) {
      this.again = true;
      return this.syncing;
    }
    const run = async () => {
      do {
        this.again = false;
        await this.syncOnce();
      } while (this.again && !this.disposed);
    };
    this.syncing = run()
      .catch((err) => this.opts.log('debug', `Following the cluster's primaries failed: ${(err as Error).message}`))
      .finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  /** After a full read: a primary whose flags miss how the workers are stored is not followed. */
  storageSeen(kinds: ReadonlySet<StoredAs>): void {
    this.storage = kinds;
    let dropped = false;
    for (const [key, n] of this.nodes) {
      const gap = n.flags !== undefined ? uncovered(n.flags, kinds) : undefined;
      if (!gap || !n.follower) continue;
      this.noteOnce(`Keyspace notifications not used on ${key}: notify-keyspace-events is "${n.flags}", ${gap}`);
      n.follower.dispose();
      this.nodes.set(key, { flags: n.flags, up: false });
      dropped = true;
    }
    if (dropped) this.opts.onChange();
  }

  private async syncOnce(): Promise<void> {
    if (this.disposed) return;
    const primaries = new Map(this.opts.cluster.nodes('master').map((n) => [nodeKey(n), n]));
    let changed = false;
    for (const [key, n] of this.nodes) {
      if (primaries.has(key)) continue;
      n.follower?.dispose();
      this.nodes.delete(key);
      this.opts.log('debug', `Keyspace notifications: ${key} is no longer a primary, unsubscribed`);
      changed = true;
      // A primary gone (killed, demoted): read now, so a failover shows as stale, not as calm.
      if (this.started) this.opts.onMissed();
    }
    const added = [...primaries].filter(([key]) => !this.nodes.has(key));
    const followed = await Promise.all(added.map(([key, node]) => this.follow(key, node)));
    if (this.disposed) return;
    if (followed.some(Boolean)) {
      changed = true;
      // A primary new to us (a promoted replica) holds slots whose changes nobody followed meanwhile.
      if (this.started) this.opts.onMissed();
    }
    this.started = true;
    if (changed) this.opts.onChange();
  }

  /** True once the node is known (followed, or refused for good); false to try again on the next sync. */
  private async follow(key: string, node: Redis): Promise<boolean> {
    const mine: NodeFollow = { up: false };
    this.nodes.set(key, mine);
    const current = () => !this.disposed && this.nodes.get(key) === mine;
    let probe;
    try {
      probe = await probeKeyspace(node, this.opts.enable);
    } catch (err) {
      // Unreachable for now (failing over, restarting): asked again on the next slot refresh.
      if (current()) this.nodes.delete(key);
      this.opts.log('debug', `Keyspace notifications: ${key} did not answer CONFIG GET: ${(err as Error).message}`);
      return false;
    }
    if (!current()) return false;
    mine.flags = probe.flags;
    const gap = probe.available && this.storage ? uncovered(probe.flags, this.storage) : undefined;
    if (!probe.available || gap) {
      const why = gap ? `notify-keyspace-events is "${probe.flags}", ${gap}` : probe.reason;
      this.noteOnce(
        `Keyspace notifications not used on ${key}: ${why}; its workers change with the reconciliation read`,
      );
      return true;
    }
    const f = new KeyspaceFollower({
      url: nodeUrl(this.opts.seedUrl, node.options.host ?? '127.0.0.1', node.options.port ?? 6379),
      password: this.opts.password,
      db: 0,
      keys: this.opts.keys,
      flags: probe.flags,
      onIds: (ids) => this.opts.onIds(ids),
      onMembership: () => this.opts.onMembership(),
      onStatus: (up, resumed) => {
        if (!current() || mine.follower !== f) return;
        mine.up = up;
        // Down: that primary's changes stop arriving, and a read now says whether the cluster still
        // answers (a failing-over primary marks the fleet stale). Back: what happened meanwhile.
        if (resumed || !up) this.opts.onMissed();
        // During the first sync one line for all primaries, said when it ends, not one per node.
        if (this.started) this.opts.onChange();
      },
    });
    mine.follower = f;
    try {
      await f.start();
      if (!current()) f.dispose();
      return current();
    } catch (err) {
      f.dispose();
      if (!current()) return false;
      mine.follower = undefined;
      mine.up = false;
      if (isRefusedCommand(err)) {
        this.noteOnce(
          `Keyspace subscription refused on ${key} (${(err as Error).message}); its workers change with the reconciliation read`,
        );
        return true;
      }
      this.nodes.delete(key);
      return false;
    }
  }

  private noteOnce(message: string): void {
    if (this.noted.has(message)) return;
    this.noted.add(message);
    this.opts.log('info', message);
  }

  dispose(): void {
    this.disposed = true;
    for (const event of ['refresh', '+node', '-node']) this.opts.cluster.off(event, this.onTopology);
    for (const n of this.nodes.values()) n.follower?.dispose();
    this.nodes.clear();
  }
}

function nodeKey(node: Redis): string {
  return `${node.options.host}:${node.options.port}`;
}
