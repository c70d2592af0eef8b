import { CommandRequester } from './commandRunner';
import { storeModeProblem, type ControlConfig } from './controlConfig';
import { RedisStoreRequester } from './redisRequester';
import type { ControlRequester } from './request';

export interface RequesterTarget {
  /** The connection's store type: `redis`, `supabase`, `files`. */
  type: string;
  url?: string;
  /** From the secret store or `secretEnv`. */
  secret?: string;
}

/**
 * The one place that picks how a request is carried out. A Supabase requester
 * (rows in a `worker_commands` table, results read back the same way) slots in here
 * behind the same ControlRequester interface.
 */
export function createRequester(
  config: ControlConfig,
  target: RequesterTarget,
  hooks: { onOutput?: (line: string, stream: 'stdout' | 'stderr') => void; cwd?: string } = {},
): ControlRequester | string {
  if (config.mode === 'command') {
    return new CommandRequester({ restart: config.restart, scale: config.scale, timeoutMs: config.timeoutMs, onOutput: hooks.onOutput, cwd: hooks.cwd });
  }
  const problem = storeModeProblem(target.type);
  if (problem) return problem;
  if (!target.url) return 'the connection has no url';
  return new RedisStoreRequester({
    url: target.url,
    password: target.secret,
    commandsStream: config.commandsStream,
    resultsStream: config.resultsStream,
    timeoutMs: config.timeoutMs,
  });
}
