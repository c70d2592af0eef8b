import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

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
  const body = { method, arguments: args, destination, pattern: null, matcher: null };
  const envelope = {
    body: Buffer.from(JSON.stringify(body)).toString('base64'),
    'content-encoding': 'utf-8',
    'content-type': 'application/json',
    headers: { clock: 1, expires: Date.now() / 1000 + 60 },
    properties: {
      delivery_mode: 2,
      delivery_info: { exchange: 'celery.pidbox', routing_key: '' },
      priority: 0,
      body_encoding: 'base64',
      delivery_tag: randomUUID(),
    },
  };
  return client.publish(`/${db}.celery.pidbox`, JSON.stringify(envelope));
}

/** The channel name, for messages. */
export function pidboxChannel(client: Redis): string {
  return `/${client.options.db ?? 0}.celery.pidbox`;
}
