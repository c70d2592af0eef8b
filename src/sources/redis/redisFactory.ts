import type { ConnectionConfig } from '../../core/connectionConfig';
import type { SourceFactory, SourceSettings } from '../sourceFactory';
import { ORCHESTRATOR_LOG_STREAMS } from './logStreams';
import { readQueueSpecs } from './queueDepth';
import { RedisSource } from './redisSource';
import { CombinedSource } from './frameworks/combinedSource';
import { FrameworkSource } from './frameworks/frameworkSource';
import { isFrameworkPreset } from './frameworks/layouts';

/**
 * A Redis fleet: a framework's (preset rq, sidekiq, celery, bullmq), the orchestrator's (preset
 * orchestrator, or a layout of the user's own in `keys`/`fields`), or — with neither — the
 * orchestrator layout and every framework fleet found beside it. A Redis Cluster (`"cluster": true`)
 * is read with the orchestrator layout only: framework detection scans one server's keys.
 */
export const redisSourceFor: SourceFactory = (conn, secret, settings) => {
  if (conn.cluster) return orchestratorSource(conn, secret, settings);
  if (isFrameworkPreset(conn.preset)) {
    return new FrameworkSource({
      url: conn.url!,
      password: secret,
      frameworks: [conn.preset],
      pollMs: settings.pollMs,
    });
  }
  const orchestrator = orchestratorSource(conn, secret, settings);
  if (conn.preset !== undefined || conn.keys || conn.fields) return orchestrator;
  return new CombinedSource([
    orchestrator,
    new FrameworkSource({ url: conn.url!, password: secret, frameworks: 'detect', pollMs: settings.pollMs }),
  ]);
};

const orchestratorSource = (conn: ConnectionConfig, secret: string | undefined, settings: SourceSettings) =>
  new RedisSource({
    url: conn.url!,
    password: secret,
    keys: conn.keys,
    fields: conn.fields,
    cluster: conn.cluster,
    nodes: conn.nodes,
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
