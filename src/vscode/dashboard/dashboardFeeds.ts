import type { Redis } from 'ioredis';
import type { ConnectionConfig } from '../../core/connectionConfig';
import type { LogEntry } from '../../core/logEntry';
import type { WorkEvent } from '../../core/metrics';
import { LogStreamFollower, ORCHESTRATOR_LOG_STREAMS } from '../../sources/redis/logStreams';
import { LogTableFollower } from '../../sources/supabase/logTable';
import { readQueueDepths, readQueueSpecs, type QueueSpec } from '../../sources/redis/queueDepth';
import { createClient } from '../../sources/redis/redisClient';

/** Where the dashboard's feeds deliver. */
export interface FeedSink {
  logs(entries: LogEntry[]): void;
  event(e: WorkEvent): void;
  queueDepth(name: string, depth: number): void;
  /** What the logs panel reads from, or why it cannot ("Following 4 stream(s)"). */
  status(text: string): void;
}

export interface Feeds {
  /** Resume points of the log streams, for the next time the dashboard opens. */
  lastIds(): Record<string, string>;
  dispose(): Promise<void>;
}

const QUEUE_POLL_MS = 5000;

/**
 * Starts what the dashboard reads beyond the Fleet, for one connection: the log
 * streams (Redis) and queue depths where configured. Runs while the panel is open
 * (hidden included, so nothing is missed), and stops with it: a closed dashboard
 * holds no blocking connection on a production Redis.
 *
 * Connection settings read here (beyond the lead's schema): `keys.logStreams`
 * (default: the orchestrator preset's four streams) and `queues`
 * (`[{ "name": "pending", "key": "queue:pending" }]` or key strings).
 */
export function startFeeds(conn: ConnectionConfig, secret: string | undefined, sink: FeedSink, lastIds: Record<string, string> = {}): Feeds {
  if (conn.type === 'supabase' && conn.url && secret && conn.logTable) return startLogTable(conn.url, secret, conn.logTable, sink, lastIds);
  if (conn.type !== 'redis' || !conn.url) {
    sink.status(`Logs: this ${conn.type} connection has no stream source here; other sources add their lines as they come.`);
    return { lastIds: () => ({}), dispose: async () => undefined };
  }
  const streams = logStreamsOf(conn);
  const follower = new LogStreamFollower({
    url: conn.url,
    password: secret,
    streams,
    lastIds,
    onEntries: (batch) => {
      sink.logs(batch.map((b) => b.entry));
      for (const b of batch) if (b.event) sink.event(b.event);
    },
    onState: (s) => sink.status(s.state === 'following' ? `Logs: ${streams.join(', ')}` : `Logs: ${s.message ?? s.state}`),
  });
  follower.start();
  if (!streams.length) sink.status('Logs: no log streams configured (keys.logStreams).');

  const queues = readQueueSpecs((conn as { queues?: unknown }).queues);
  let client: Redis | undefined;
  let timer: NodeJS.Timeout | undefined;
  if (queues.length) {
    client = createClient(conn.url, secret);
    client.on('error', () => undefined);
    client.connect().catch(() => undefined);
    const poll = (specs: QueueSpec[]) => {
      readQueueDepths(client!, specs)
        .then((depths) => depths.forEach((d, name) => sink.queueDepth(name, d)))
        .catch(() => undefined); // the source reports connection trouble; a missed sample is a gap
    };
    client.once('ready', () => poll(queues)); // a first point at once, not after one interval
    timer = setInterval(() => poll(queues), QUEUE_POLL_MS);
  }
  return {
    lastIds: () => follower.lastIds,
    async dispose() {
      clearInterval(timer);
      client?.disconnect();
      await follower.dispose();
    },
  };
}

/** Supabase: the connection's `logTable`, tailed by polling (see LogTableFollower). */
function startLogTable(url: string, key: string, table: string, sink: FeedSink, lastIds: Record<string, string>): Feeds {
  const follower = new LogTableFollower({
    url,
    key,
    table,
    lastId: lastIds[table],
    onEntries: (entries) => sink.logs(entries),
    onState: (s) => sink.status(s.state === 'following' ? `Logs: the ${table} table` : `Logs: ${s.message ?? s.state}`),
  });
  follower.start();
  return {
    lastIds: (): Record<string, string> => (follower.resumeId === undefined ? {} : { [table]: follower.resumeId }),
    dispose: () => follower.dispose(),
  };
}

function logStreamsOf(conn: ConnectionConfig): string[] {
  const configured = (conn.keys as { logStreams?: unknown } | undefined)?.logStreams;
  if (Array.isArray(configured)) return configured.filter((s): s is string => typeof s === 'string' && s.length > 0);
  return ORCHESTRATOR_LOG_STREAMS;
}
