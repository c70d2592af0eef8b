import type { RedisKeys } from '../../core/connectionConfig';
import type { FieldMap } from '../../core/record';
import type { PushMode } from './pushPaths';
import type { QueueSpec } from './queueDepth';

/** What a RedisSource reads, where, and at what pace. */
export interface RedisSourceOptions {
  url: string;
  /** From the secret store or `secretEnv`; never from settings. */
  password?: string;
  keys?: Partial<RedisKeys>;
  fields?: Partial<FieldMap>;
  /** Full read every this many ms while no push path is active. */
  pollMs: number;
  /** Full (reconciliation) read every this many ms while a push path is active. Default 15000. */
  reconcileMs?: number;
  /** 'auto' (default): keyspace notifications if the server has them on, else the events streams, else poll. */
  push?: PushMode;
  /** Allow CONFIG SET notify-keyspace-events when they are off. Default false: never touch the server's config. */
  enableKeyspaceNotifications?: boolean;
  /** Push notifications arriving within this many ms share one read. Default 3. */
  batchMs?: number;
  /** How long one XREAD BLOCK waits. Default 5000. */
  eventsBlockMs?: number;
  /** Streams tailed as log lines while activity is followed. Default: the orchestrator preset's four. */
  logStreams?: string[];
  /** Queues whose depth is sampled while activity is followed. */
  queues?: QueueSpec[];
  /** `url` is a seed node of a Redis Cluster: read through ioredis's Cluster client over all slots. */
  cluster?: boolean;
  /** More seed nodes of the cluster (redis://host:port). */
  nodes?: string[];
}
