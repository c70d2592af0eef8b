import { Redis, type RedisOptions } from 'ioredis';

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
