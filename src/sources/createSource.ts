import type { ConnectionConfig } from '../core/connectionConfig';
import { FilesSource } from './files/filesSource';
import { ORCHESTRATOR_LOG_STREAMS } from './redis/logStreams';
import { readQueueSpecs } from './redis/queueDepth';
import { RedisSource } from './redis/redisSource';
import { SupabaseSource } from './supabase/supabaseSource';
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
 * Builds the source for one connection. `secret` is the password or key from the
 * secret store or the environment, never from settings.
 * Returns an error in words for a connection this build cannot read.
 */
export function createSource(conn: ConnectionConfig, secret: string | undefined, settings: SourceSettings): WorkerSource | string {
  switch (conn.type) {
    case 'redis':
      return new RedisSource({
        url: conn.url!,
        password: secret,
        keys: conn.keys,
        fields: conn.fields,
        pollMs: settings.pollMs,
        reconcileMs: settings.reconcileMs,
        push: conn.push ?? 'auto',
        enableKeyspaceNotifications: settings.enableKeyspaceNotifications,
        logStreams: logStreamsOf(conn),
        queues: readQueueSpecs((conn as { queues?: unknown }).queues),
      });
    case 'files':
      return new FilesSource({ path: conn.path!, pattern: conn.pattern, fields: conn.fields, logs: conn.logs, pollMs: settings.pollMs });
    case 'supabase':
      if (!secret) return `Connection "${conn.name}": no Supabase key. Add it with "Workers: Set Password or Key…"${conn.secretEnv ? ` or set ${conn.secretEnv}` : ' or name an environment variable in "secretEnv"'}.`;
      return new SupabaseSource({
        url: conn.url!,
        key: secret,
        table: conn.table,
        columns: conn.columns ?? conn.fields,
        pollMs: settings.pollMs,
        reconcileMs: settings.reconcileMs,
        realtime: conn.push !== 'off',
        logTable: conn.logTable,
      });
    default:
      return `Connection "${conn.name}": type "${conn.type}" is not supported.`;
  }
}

/** `keys.logStreams` (default: the orchestrator preset's four streams); anything but non-empty strings is ignored. */
function logStreamsOf(conn: ConnectionConfig): string[] {
  const configured = (conn.keys as { logStreams?: unknown } | undefined)?.logStreams;
  if (Array.isArray(configured)) return configured.filter((s): s is string => typeof s === 'string' && s.length > 0);
  return ORCHESTRATOR_LOG_STREAMS;
}
