import type { Redis } from 'ioredis';
import { pidboxEnvelope } from '../sources/redis/frameworks/celeryInspect';

/**
 * Celery's remote control: a kombu message on the pidbox fanout channel (`/<db>.celery.pidbox`),
 * a base64 JSON body naming the method, its arguments and the destination nodes (null: every
 * node, as `celery control` and `AsyncResult.revoke` do for a revoke). Returns how many
 * subscribers heard it (each Celery worker listens once).
 */
export async function pidboxBroadcast(
  client: Redis,
  method: string,
  args: Record<string, unknown>,
  destination: string[] | null,
): Promise<number> {
  const db = client.options.db ?? 0;
  const envelope = pidboxEnvelope({ method, arguments: args, destination, pattern: null, matcher: null });
  return client.publish(`/${db}.celery.pidbox`, envelope);
}

/** The channel name, for messages. */
export function pidboxChannel(client: Redis): string {
  return `/${client.options.db ?? 0}.celery.pidbox`;
}
