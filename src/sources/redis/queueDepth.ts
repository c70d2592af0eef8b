import { execAll } from './commandBatch';
import type { RedisLike } from './redisClient';

/** A queue whose depth the dashboard charts: `key` is a list, stream, set, sorted set, hash or a number. */
export interface QueueSpec {
  name: string;
  key: string;
}

/** Reads a connection's `queues` setting, ignoring malformed entries (settings are user input). */
export function readQueueSpecs(raw: unknown): QueueSpec[] {
  if (!Array.isArray(raw)) return [];
  return raw
    .map((q): QueueSpec | undefined => {
      if (typeof q === 'string' && q) return { name: q, key: q };
      if (q && typeof q === 'object' && typeof (q as QueueSpec).key === 'string') {
        const { key, name } = q as QueueSpec;
        return { key, name: typeof name === 'string' && name ? name : key };
      }
      return undefined;
    })
    .filter((q): q is QueueSpec => !!q);
}

const LENGTH: Record<string, string> = { list: 'LLEN', stream: 'XLEN', set: 'SCARD', zset: 'ZCARD', hash: 'HLEN' };

/**
 * Depth of each queue in two pipelines (per node on a Redis Cluster) (TYPE, then the matching length command), so
 * the user need not say what kind of key it is. Missing keys read 0; a key of
 * another kind (or a non-numeric string) is left out rather than guessed.
 */
export async function readQueueDepths(client: RedisLike, queues: readonly QueueSpec[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!queues.length) return out;
  // A failed TYPE (disconnected, no permission) is no answer, not an empty queue.
  const types = (
    await execAll(
      client,
      queues.map((q) => ['type', q.key]),
    )
  ).map((r) => (r[0] ? undefined : String(r[1])));
  const cmds = queues.map((q, i) => {
    const t = types[i];
    return t === 'string' ? ['get', q.key] : t && LENGTH[t] ? [LENGTH[t]!.toLowerCase(), q.key] : undefined;
  });
  const wanted = cmds.map((c, i) => (c ? i : -1)).filter((i) => i >= 0);
  const res = wanted.length
    ? await execAll(
        client,
        wanted.map((i) => cmds[i]!),
      )
    : [];
  queues.forEach((q, i) => {
    if (types[i] === 'none') out.set(q.name, 0);
  });
  wanted.forEach((qi, j) => {
    const [err, v] = res[j] ?? [new Error('no reply')];
    const n = Number(v);
    if (!err && v !== null && Number.isFinite(n)) out.set(queues[qi]!.name, n);
  });
  return out;
}
