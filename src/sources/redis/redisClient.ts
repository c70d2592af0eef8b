import { Cluster, Redis, type RedisOptions } from 'ioredis';

/**
 * A client that fails fast while disconnected (the caller reports the error; the
 * poll retries) and keeps reconnecting with a capped backoff. Every connection the
 * Redis source opens — reads, keyspace subscription, events stream — is one of these.
 */
export function createClient(url: string, password?: string, extra: RedisOptions = {}): Redis {
  return new Redis(withPassword(url, password), {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 5000,
    commandTimeout: 5000,
    // Capped at 2 s: one cheap attempt every 2 s, and live again within ~2 s of the server's return.
    retryStrategy: (times) => Math.min(250 * 2 ** Math.min(times, 3), 2000),
    ...extra,
  });
}

/**
 * ioredis lets the URL's (empty) password win over the `password` option whenever
 * the URL names a user (`redis://viewer@host`), so an ACL user could never log in.
 * The password therefore goes into the URL we hand it — never into one we log.
 */
function withPassword(url: string, password?: string): string {
  if (!password) return url;
  try {
    const u = new URL(url);
    u.password = encodeURIComponent(password);
    return u.toString();
  } catch {
    return url;
  }
}

/** A single Redis or a Redis Cluster: the source's main connection is one or the other. */
export type RedisLike = Redis | Cluster;

/** True for an ioredis Cluster client (its `isCluster` is a plain boolean, not a type tag). */
export function isClusterClient(client: RedisLike): client is Cluster {
  return client.isCluster;
}

/**
 * A Redis Cluster client in the spirit of `createClient`: fails fast while the cluster is
 * unreachable (the caller reports it; the poll retries), reconnects with the same capped backoff,
 * reads only from primaries (a replica may lag behind a worker's last write), and groups the
 * per-key commands issued in one tick into one pipeline per node (auto-pipelining), since one
 * pipeline spanning slots is refused. Seeds are URLs; their user, password and TLS are the first
 * seed's, the password from the secret store wins, as for a single Redis.
 */
export function createClusterClient(seeds: string[], password?: string, extra: RedisOptions = {}): Cluster {
  const nodes = seeds.map(hostPort);
  const first = safeUrl(seeds[0]);
  return new Cluster(nodes, {
    lazyConnect: true,
    enableOfflineQueue: false,
    enableReadyCheck: true,
    scaleReads: 'master',
    enableAutoPipelining: true,
    // The cluster's own slot map is asked again every 2 s: a promoted replica is found without a failed command.
    slotsRefreshInterval: 2000,
    slotsRefreshTimeout: 2000,
    // A command caught by a failover is retried a few times (each after a slot refresh), then fails:
    // the read reports it and the poll comes back, rather than one command waiting for the election.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 200,
    maxRedirections: 8,
    clusterRetryStrategy: (times) => Math.min(250 * 2 ** Math.min(times, 3), 2000),
    redisOptions: {
      username: first?.username ? decodeURIComponent(first.username) : undefined,
      password: password ?? (first?.password ? decodeURIComponent(first.password) : undefined),
      tls: first?.protocol === 'rediss:' ? {} : undefined,
      maxRetriesPerRequest: 0,
      connectTimeout: 5000,
      commandTimeout: 5000,
      ...extra,
    },
  });
}

function safeUrl(url: string | undefined): URL | undefined {
  try {
    return url ? new URL(url) : undefined;
  } catch {
    return undefined;
  }
}

function hostPort(url: string): { host: string; port: number } {
  const u = safeUrl(url);
  return { host: u?.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(u?.port) || 6379 };
}

/**
 * The URL of one node of a cluster, for a connection of its own (a keyspace subscriber): the
 * seed's scheme, user and password (a secret-store password replaces it in `createClient`), that
 * node's host and port. Handed to the client only, never logged.
 */
export function nodeUrl(seed: string, host: string, port: number): string {
  const u = safeUrl(seed);
  const scheme = u?.protocol === 'rediss:' ? 'rediss:' : 'redis:';
  const user = u?.username || u?.password ? `${u.username}${u.password ? `:${u.password}` : ''}@` : '';
  const h = host.includes(':') ? `[${host}]` : host;
  return `${scheme}//${user}${h}:${port}`;
}
