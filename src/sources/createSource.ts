import type { ConnectionConfig } from '../core/connectionConfig';
import { filesSourceFor } from './files/filesFactory';
import { redisSourceFor } from './redis/redisFactory';
import type { SourceFactory, SourceSettings } from './sourceFactory';
import { supabaseSourceFor } from './supabase/supabaseFactory';
import type { WorkerSource } from './source';

export type { SourceSettings } from './sourceFactory';

/** Every store Worker Lens reads, by connection type: a new store is one line here (and its folder). */
const FACTORIES: Record<ConnectionConfig['type'], SourceFactory> = {
  redis: redisSourceFor,
  files: filesSourceFor,
  supabase: supabaseSourceFor,
};

/**
 * Builds the source for one connection. `secret` is the password or key from the
 * secret store or the environment, never from settings.
 * Returns an error in words for a connection this build cannot read.
 */
export function createSource(
  conn: ConnectionConfig,
  secret: string | undefined,
  settings: SourceSettings,
): WorkerSource | string {
  const factory = Object.hasOwn(FACTORIES, conn.type) ? FACTORIES[conn.type] : undefined;
  return factory ? factory(conn, secret, settings) : `Connection "${conn.name}": type "${conn.type}" is not supported.`;
}
