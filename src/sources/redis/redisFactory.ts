import type { ConnectionConfig } from '../../core/connectionConfig';
import type { SourceFactory } from '../sourceFactory';
import { ORCHESTRATOR_LOG_STREAMS } from './logStreams';
import { readQueueSpecs } from './queueDepth';
import { RedisSource } from './redisSource';

/** A Redis fleet (orchestrator preset unless `keys`/`fields` say otherwise), its log streams and queues. */
export const redisSourceFor: SourceFactory = (conn, secret, settings) =>
  new RedisSource({
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

/** `keys.logStreams` (default: the orchestrator preset's four streams); anything but non-empty strings is ignored. */
function logStreamsOf(conn: ConnectionConfig): string[] {
  const configured = (conn.keys as { logStreams?: unknown } | undefined)?.logStreams;
  if (Array.isArray(configured)) return configured.filter((s): s is string => typeof s === 'string' && s.length > 0);
  return ORCHESTRATOR_LOG_STREAMS;
}
