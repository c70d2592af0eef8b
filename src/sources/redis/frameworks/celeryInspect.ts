import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** kombu's Redis transport joins a binding's routing key, pattern and queue with this. */
const SEP = '\x06\x16';
const REPLY_EXCHANGE = 'reply.celery.pidbox';

/** One task a Celery worker runs now, as `celery inspect active` replies it (only what Worker Lens reads). */
export interface ActiveTask {
  id: string;
  name?: string;
  /** Epoch ms. */
  startedAt?: number;
}

/**
 * A kombu message for the pidbox fanout channel (`/<db>.celery.pidbox`): `body` (method, arguments, destination, and
 * for a question the ticket and where to reply) as base64 JSON, the envelope kombu's Redis transport writes.
 */
export function pidboxEnvelope(body: Record<string, unknown>): string {
  return JSON.stringify({
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
  });
}

/**
 * Asks Celery nodes what they run now, as `celery inspect active` (and Flower, at its start) does: a reply queue bound
 * to `reply.celery.pidbox` (one set member), the question broadcast on the pidbox channel, the replies read back
 * (LRANGE, never a blocking pop) until every node answered or `timeoutMs` passed; the binding and queue are removed
 * after. Needed for the tasks a node started before its events were followed: they are told only once. Node name →
 * its tasks; a node that did not answer is absent. Throws what Redis refused (an ACL without SADD or PUBLISH).
 */
export async function inspectActive(
  client: Redis,
  db: number,
  nodes: string[],
  timeoutMs = 1500,
): Promise<Map<string, ActiveTask[]>> {
  const oid = randomUUID();
  const queue = `${oid}.${REPLY_EXCHANGE}`;
  const binding = `_kombu.binding.${REPLY_EXCHANGE}`;
  const member = [oid, '', queue].join(SEP);
  const ticket = randomUUID();
  const out = new Map<string, ActiveTask[]>();
  await client.sadd(binding, member);
  try {
    const body = {
      method: 'active',
      arguments: {},
      destination: nodes,
      pattern: null,
      matcher: null,
      ticket,
      reply_to: { exchange: REPLY_EXCHANGE, routing_key: oid },
    };
    const heard = await client.publish(`/${db}.celery.pidbox`, pidboxEnvelope(body));
    const until = Date.now() + timeoutMs;
    let read = 0;
    while (heard > 0 && out.size < nodes.length && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      // Replies are LPUSHed: the newest first; read only those not read yet.
      const len = await client.llen(queue);
      if (len > read) for (const reply of await client.lrange(queue, 0, len - read - 1)) addReply(reply, ticket, out);
      read = len;
    }
  } finally {
    await client
      .multi()
      .srem(binding, member)
      .del(queue)
      .exec()
      .catch(() => undefined);
  }
  return out;
}

/** One reply envelope → its node's tasks (another question's reply, or one that does not decode, is skipped). */
export function addReply(message: string, ticket: string, out: Map<string, ActiveTask[]>): void {
  try {
    const envelope = JSON.parse(message) as { body?: unknown; headers?: { ticket?: unknown } };
    if (envelope.headers?.ticket !== ticket || typeof envelope.body !== 'string') return;
    const body = JSON.parse(Buffer.from(envelope.body, 'base64').toString('utf8')) as Record<string, unknown>;
    for (const [node, tasks] of Object.entries(body ?? {})) {
      if (!Array.isArray(tasks)) continue;
      out.set(
        node,
        tasks.flatMap((t: { id?: unknown; name?: unknown; time_start?: unknown }) =>
          t && typeof t.id === 'string'
            ? [
                {
                  id: t.id,
                  name: typeof t.name === 'string' ? t.name : undefined,
                  startedAt:
                    typeof t.time_start === 'number' && Number.isFinite(t.time_start) ? t.time_start * 1000 : undefined,
                },
              ]
            : [],
        ),
      );
    }
  } catch {
    // Not JSON, or not base64 JSON: not a reply we can read.
  }
}
