import { CommandRequester } from './commandRequester';
import { storeModeProblem, type ControlConfig } from './controlConfig';
import { FrameworkRequester } from './frameworkRequester';
import { RedisStoreRequester } from './redisRequester';
import { SupabaseStoreRequester } from './supabaseRequester';
import type { ControlRequester } from './request';

export interface RequesterTarget {
  /** The connection's store type: `redis`, `supabase`, `files`. */
  type: string;
  url?: string;
  /** From the secret store or `secretEnv`. */
  secret?: string;
}

/**
 * The one place that picks how a request is carried out: an argv run here (command
 * mode), or a record in the connection's store for a supervisor — a stream entry on
 * Redis, a `worker_commands` row on Supabase.
 */
export function createRequester(
  config: ControlConfig,
  target: RequesterTarget,
  hooks: { onOutput?: (line: string, stream: 'stdout' | 'stderr') => void; cwd?: string } = {},
): ControlRequester | string {
  if (config.mode === 'command') {
    const command = new CommandRequester({
      restart: config.restart,
      scale: config.scale,
      timeoutMs: config.timeoutMs,
      onOutput: hooks.onOutput,
      cwd: hooks.cwd,
    });
    // Quiet and Stop Job are the frameworks' own messages through Redis, whatever runs Restart.
    return target.type === 'redis' && target.url
      ? new FrameworkRequester({ url: target.url, password: target.secret, gentleOnly: true }, command)
      : command;
  }
  const problem = storeModeProblem(target.type);
  if (problem) return problem;
  if (!target.url) return 'the connection has no url';
  if (target.type === 'supabase') {
    if (!target.secret) return 'the connection has no Supabase key';
    return new SupabaseStoreRequester({
      url: target.url,
      key: target.secret,
      table: config.commandsTable,
      timeoutMs: config.timeoutMs,
    });
  }
  const store = new RedisStoreRequester({
    url: target.url,
    password: target.secret,
    commandsStream: config.commandsStream,
    resultsStream: config.resultsStream,
    timeoutMs: config.timeoutMs,
  });
  // Framework workers (RQ, Sidekiq, Celery, BullMQ) are restarted in their framework's own way.
  return new FrameworkRequester({ url: target.url, password: target.secret }, store);
}
