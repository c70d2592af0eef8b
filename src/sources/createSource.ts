import type { ConnectionConfig } from '../core/connectionConfig';
import type { WorkerSource } from './source';
import { RedisSource } from './redis/redisSource';

export interface SourceSettings {
  pollMs: number;
}

/**
 * Builds the source for one connection. `secret` is the password or key from the
 * secret store or the environment, never from settings.
 * Returns an error in words for a connection type this build cannot read.
 */
export function createSource(conn: ConnectionConfig, secret: string | undefined, settings: SourceSettings): WorkerSource | string {
  switch (conn.type) {
    case 'redis':
      return new RedisSource({ url: conn.url!, password: secret, keys: conn.keys, fields: conn.fields, pollMs: settings.pollMs });
    default:
      return `Connection "${conn.name}": type "${conn.type}" is not supported yet.`;
  }
}
