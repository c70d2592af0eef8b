import type { SourceSink } from '../source';
import { LogStreamFollower } from './logStreams';
import { readQueueDepths, type QueueSpec } from './queueDepth';
import { createClient, createClusterClient, type RedisLike } from './redisClient';

const QUEUE_POLL_MS = 5000;
/** The charts' longest window: the history read back so the charts start with it. */
const HISTORY_MS = 6 * 60 * 60_000;
/** Entries read back per stream at most (a busy stream's 6 h can be millions). */
const HISTORY_ENTRIES = 10_000;

export interface RedisActivityOptions {
  url: string;
  password?: string;
  /** Streams tailed as log lines (and task events where an entry is one). */
  logStreams: string[];
  /** Queues whose depth is sampled every 5 s. */
  queues: QueueSpec[];
  /** `url` (and `nodes`) are seeds of a Redis Cluster. */
  cluster?: boolean;
  nodes?: string[];
}

/**
 * What a Redis store says beyond its workers: the log streams and queue depths. Runs
 * only while asked (the dashboard is open): a blocking XREAD is a connection held on a
 * production Redis. Stream resume points survive a stop/start, so reopening the
 * dashboard continues where it left off.
 */
export class RedisActivity {
  private follower?: LogStreamFollower;
  private client?: RedisLike;
  private timer?: NodeJS.Timeout;
  private lastIds: Record<string, string> = {};

  constructor(
    private readonly opts: RedisActivityOptions,
    private readonly sink: SourceSink,
  ) {}

  get running(): boolean {
    return !!this.follower;
  }

  start(): void {
    if (this.follower) return;
    const { logStreams: streams, queues } = this.opts;
    const sink = this.sink;
    this.follower = new LogStreamFollower({
      url: this.opts.url,
      password: this.opts.password,
      cluster: this.opts.cluster ? [this.opts.url, ...(this.opts.nodes ?? [])] : undefined,
      streams,
      lastIds: this.lastIds,
      // Every entry read back counts in the charts, not only in the logs panel: the dashboard
      // opens on the stream's recent history (the newest entries of the last 6 h).
      backfill: HISTORY_ENTRIES,
      since: Date.now() - HISTORY_MS,
      onEntries: (batch) => {
        sink.logs(batch.map((b) => b.entry));
        for (const b of batch) if (b.event) sink.event(b.event);
      },
      onState: (s) =>
        sink.activityStatus(s.state === 'following' ? `Logs: ${streams.join(', ')}` : `Logs: ${s.message ?? s.state}`),
    });
    this.follower.start();
    if (!streams.length) sink.activityStatus('Logs: no log streams configured (keys.logStreams).');
    if (!queues.length) return;
    const client = this.opts.cluster
      ? createClusterClient([this.opts.url, ...(this.opts.nodes ?? [])], this.opts.password)
      : createClient(this.opts.url, this.opts.password);
    this.client = client;
    client.on('error', () => undefined);
    client.connect().catch(() => undefined);
    const poll = () => {
      readQueueDepths(client, queues)
        .then((depths) => depths.forEach((d, name) => sink.queueDepth(name, d)))
        .catch(() => undefined); // the source reports connection trouble; a missed sample is a gap
    };
    client.once('ready', poll); // a first point at once, not after one interval
    this.timer = setInterval(poll, QUEUE_POLL_MS);
  }

  async stop(): Promise<void> {
    const follower = this.follower;
    this.follower = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
    this.client?.disconnect();
    this.client = undefined;
    if (!follower) return;
    this.lastIds = { ...follower.lastIds };
    await follower.dispose();
  }
}
