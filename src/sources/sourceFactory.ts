import type { ConnectionConfig } from '../core/connectionConfig';
import type { WorkerSource } from './source';

export interface SourceSettings {
  /** Full read interval while no push path is live. */
  pollMs: number;
  /** Full read interval while a push path is live (repairs whatever an event missed). */
  reconcileMs: number;
  /** The user allowed Worker Lens to turn on keyspace notifications on the server (CONFIG SET). */
  enableKeyspaceNotifications: boolean;
}

/**
 * Builds one store's source from a connection (already validated by `validateConnection`).
 * `secret` comes from the secret store or `secretEnv`, never from settings. Returns an
 * error in words when the connection cannot be read (a missing key).
 */
export type SourceFactory = (
  conn: ConnectionConfig,
  secret: string | undefined,
  settings: SourceSettings,
) => WorkerSource | string;
