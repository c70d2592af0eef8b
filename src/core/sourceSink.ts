import type { ConnectionState, Fleet } from './fleet';
import type { LogEntry } from './logEntry';
import type { WorkEvent } from './metrics';
import type { WorkerSnapshot } from './model';

/**
 * Where a source delivers everything its store says: workers (to the Fleet), activity
 * (log lines, task events, queue depths — to the metrics and the logs panel) and its
 * connection state. The session (`liveSession.ts`) implements it; no view
 * reads a store any other way. The log is the extension's output channel (never given secrets).
 */
export interface SourceSink {
  /** A full read: every worker the store knows. */
  replaceAll(workers: WorkerSnapshot[]): void;
  /** A partial read (push path): only these workers changed or disappeared. */
  update(workers: WorkerSnapshot[], removedIds?: string[]): void;
  setConnection(state: ConnectionState): void;
  /** Log lines the store keeps (Redis streams, a Supabase log table, heartbeat log files). */
  logs(entries: LogEntry[]): void;
  /** A task that finished, as the store recorded it (for throughput and durations). */
  event(e: WorkEvent): void;
  /** The depth of one queue, sampled now. */
  queueDepth(name: string, depth: number): void;
  /** What the activity feed reads from, or why it cannot ("Logs: work_completions, …"). */
  activityStatus(text: string): void;
  log(level: 'info' | 'warn' | 'error' | 'debug', message: string): void;
}

/** Activity dropped: for a reader that wants workers only (the CLI, benchmarks, tests of the worker path). */
export const IGNORE_ACTIVITY: Pick<SourceSink, 'logs' | 'event' | 'queueDepth' | 'activityStatus'> = {
  logs: () => undefined,
  event: () => undefined,
  queueDepth: () => undefined,
  activityStatus: () => undefined,
};

/**
 * A sink that feeds a Fleet and drops activity: what the CLI, the benchmarks and the worker-path tests
 * build. `log` defaults to silence.
 */
export function fleetSink(fleet: Fleet, log: SourceSink['log'] = () => undefined): SourceSink {
  return {
    ...IGNORE_ACTIVITY,
    replaceAll: (w) => fleet.replaceAll(w),
    update: (w, removed) => fleet.update(w, removed),
    setConnection: (s) => fleet.setConnection(s),
    log,
  };
}
