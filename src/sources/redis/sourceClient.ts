import { createClient, createClusterClient, isClusterClient, type RedisLike } from './redisClient';
import { describeRedisError } from './redisErrors';

export interface SourceClientOptions {
  url: string;
  password?: string;
  /** `url` (and `nodes`) are seeds of a Redis Cluster. */
  cluster?: boolean;
  nodes?: string[];
}

export interface SourceClientEvents {
  /** The connection is down (or never came up), in words. */
  offline(reason: string): void;
  /** Connected (again): read everything, choose the push path. */
  ready(): void;
  log(level: 'info' | 'debug', message: string): void;
}

/**
 * The Redis source's main connection, a single Redis or a Cluster, with its events turned into
 * what the source tells the user. A Cluster stays 'ready' while one of its primaries is down
 * (the failed reads say so); its node comings and goings are logged for whoever diagnoses.
 */
export function openSourceClient(opts: SourceClientOptions, where: string, on: SourceClientEvents): RedisLike {
  const client: RedisLike = opts.cluster
    ? createClusterClient([opts.url, ...(opts.nodes ?? [])], opts.password, { connectionName: 'worker-lens' })
    : createClient(opts.url, opts.password, { connectionName: 'worker-lens' });
  let wasReady = false;
  // ioredis emits 'error' on every failed reconnect; without a listener Node would throw.
  client.on('error', (err) => {
    if (client.status === 'ready') return; // a blip; the 'close' that follows says the rest
    on.offline(describeRedisError(err, where));
  });
  client.on('close', () => {
    // Also fires after every failed reconnect attempt: only a drop from 'ready' is news.
    if (!wasReady) return;
    wasReady = false;
    on.offline(`Lost the connection to ${where}; reconnecting…`);
  });
  client.on('ready', () => {
    wasReady = true;
    on.ready();
  });
  if (isClusterClient(client)) {
    const name = (node: { options: { host?: string; port?: number } }) => `${node.options.host}:${node.options.port}`;
    client.on('+node', (node) => on.log('debug', `Redis Cluster ${where}: node ${name(node)} joined`));
    client.on('-node', (node) => on.log('info', `Redis Cluster ${where}: lost node ${name(node)}`));
    // Every slot-map refresh (every 2 s): only a change of primaries is worth a line.
    let primaries = '';
    client.on('refresh', () => {
      const now = client
        .nodes('master')
        .map((n) => name(n))
        .sort()
        .join(', ');
      if (now !== primaries) on.log('info', `Redis Cluster ${where}: primaries ${now}`);
      primaries = now;
    });
  }
  return client;
}
