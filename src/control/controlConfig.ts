import { parseArgvTemplate } from './argv';

/**
 * A connection's `control` block, as written in `workerLens.connections[i].control`:
 * `{ mode: 'store' | 'command', restart?: string[], scale?: string[], commandsStream?, resultsStream?, timeoutSeconds?
 * }`.
 */
export interface ControlConfig {
  /** `store` (default): a record in the store for a supervisor. `command`: run an argv here. */
  mode: 'store' | 'command';
  restart?: string[];
  scale?: string[];
  commandsStream?: string;
  resultsStream?: string;
  /** Supabase: the requests table (default worker_commands). */
  commandsTable?: string;
  /** Wait this long for a result (store) or for the program (command). */
  timeoutMs: number;
}

export const DEFAULT_TIMEOUT_SECONDS = 30;

/** Settings are user input: every mistake comes back in words, never as a crash. */
export function parseControlConfig(
  raw: unknown,
  globalTimeoutSeconds: unknown,
  where = 'control',
): { config?: ControlConfig; error?: string } {
  const timeout = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);
  const defaultSeconds = timeout(globalTimeoutSeconds) ?? DEFAULT_TIMEOUT_SECONDS;
  if (raw === undefined || raw === null) return { config: { mode: 'store', timeoutMs: defaultSeconds * 1000 } };
  if (typeof raw !== 'object' || Array.isArray(raw))
    return { error: `${where} should be an object like { "mode": "store" }` };
  const r = raw as Record<string, unknown>;
  const mode = r.mode ?? 'store';
  if (mode !== 'store' && mode !== 'command') return { error: `${where}.mode should be "store" or "command"` };
  if (r.timeoutSeconds !== undefined && timeout(r.timeoutSeconds) === undefined)
    return { error: `${where}.timeoutSeconds should be a positive number` };
  const config: ControlConfig = { mode, timeoutMs: Math.round((timeout(r.timeoutSeconds) ?? defaultSeconds) * 1000) };
  for (const key of ['commandsStream', 'resultsStream', 'commandsTable'] as const) {
    const v = r[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || !v.trim())
      return { error: `${where}.${key} should be a ${key === 'commandsTable' ? 'table' : 'stream'} name` };
    config[key] = v;
  }
  for (const [key, allowed] of [
    ['restart', ['worker']],
    ['scale', ['count']],
  ] as const) {
    if (r[key] === undefined) continue;
    // Only arrays in settings: a string would invite someone to write a shell line.
    if (!Array.isArray(r[key]))
      return {
        error: `${where}.${key} should be an argv list, e.g. ["pm2", "restart", "\${worker}"] — no shell is used`,
      };
    const t = parseArgvTemplate(r[key], allowed, `${where}.${key}`);
    if (t.error) return { error: t.error };
    config[key] = t.argv;
  }
  if (mode === 'command' && !config.restart && !config.scale) {
    return {
      error: `${where}: mode "command" needs a restart and/or scale argv, e.g. "restart": ["pm2", "restart", "\${worker}"]`,
    };
  }
  return { config };
}

/** Why this connection cannot carry out requests in store mode, or undefined. */
export function storeModeProblem(connectionType: string): string | undefined {
  if (connectionType === 'redis' || connectionType === 'supabase') return undefined;
  return `a ${connectionType} connection has no store to send requests through; set control.mode to "command" with restart/scale argv`;
}
