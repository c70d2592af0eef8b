import type { Cluster } from 'ioredis';
import { isClusterClient, type RedisLike } from './redisClient';

/** One command's outcome, as `pipeline.exec()` gives it: an error, or the reply. */
export type Reply = [Error | null, unknown];

/**
 * The per-key commands of one read, sent together. On a single Redis this is one pipeline: one
 * round trip for the fleet. On a Redis Cluster a pipeline whose keys span slots is refused
 * ("All keys in the pipeline should belong to the same slots allocation group"), and MGET over
 * slots is CROSSSLOT: there each command is sent on its own, all in the same tick, and the
 * client's auto-pipelining groups them into one pipeline per node. Replies come back in order
 * either way, one per command, an error in its place rather than failing the batch.
 */
export interface CommandBatch {
  hgetall(key: string): void;
  get(key: string): void;
  sismember(set: string, member: string): void;
  /** One reply: the values in order (on a Cluster, from one GET per key). */
  mget(keys: string[]): void;
  exec(): Promise<Reply[]>;
}

export function batchFor(client: RedisLike): CommandBatch {
  if (isClusterClient(client)) return clusterBatch(client);
  const pipe = client.pipeline();
  return {
    hgetall: (key) => void pipe.hgetall(key),
    get: (key) => void pipe.get(key),
    sismember: (set, member) => void pipe.sismember(set, member),
    mget: (keys) => void pipe.mget(keys),
    exec: async () => ((await pipe.exec()) ?? []) as Reply[],
  };
}

function clusterBatch(cluster: Cluster): CommandBatch {
  const calls: (() => Promise<unknown>)[] = [];
  return {
    hgetall: (key) => void calls.push(() => cluster.hgetall(key)),
    get: (key) => void calls.push(() => cluster.get(key)),
    sismember: (set, member) => void calls.push(() => cluster.sismember(set, member)),
    mget: (keys) => void calls.push(() => Promise.all(keys.map((k) => cluster.get(k)))),
    exec: async () => {
      // Issued in one synchronous loop, so auto-pipelining sees them all in the same tick.
      const settled = await Promise.allSettled(calls.map((call) => call()));
      return settled.map((s): Reply => (s.status === 'fulfilled' ? [null, s.value] : [toError(s.reason), undefined]));
    },
  };
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

/**
 * Commands given as `[name, ...args]`, replies in order: one pipeline on a single Redis, one
 * command each on a Cluster (auto-pipelined per node, as above).
 */
export async function execAll(client: RedisLike, cmds: string[][]): Promise<Reply[]> {
  if (!isClusterClient(client)) return ((await client.pipeline(cmds).exec()) ?? []) as Reply[];
  const settled = await Promise.allSettled(cmds.map(([name, ...args]) => client.call(name!, ...args)));
  return settled.map((s): Reply => (s.status === 'fulfilled' ? [null, s.value] : [toError(s.reason), undefined]));
}
