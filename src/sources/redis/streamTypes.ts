import type { RedisLike } from './redisClient';

/**
 * The named keys that hold something other than a stream, with their type, asked in one
 * round trip. A key that does not exist is fine: its stream may simply not be written yet.
 * Both followers of streams use it after a WRONGTYPE, to leave those keys out.
 */
export async function nonStreams(client: RedisLike, keys: readonly string[]): Promise<Map<string, string>> {
  const types = await Promise.all(keys.map((k) => client.type(k)));
  const out = new Map<string, string>();
  keys.forEach((k, i) => {
    if (types[i] !== 'stream' && types[i] !== 'none') out.set(k, types[i]!);
  });
  return out;
}
