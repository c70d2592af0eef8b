/**
 * The orchestrator preset's wire format (seeds 000/001), written by the heartbeat
 * helper and the simulator alike, so what Worker Lens reads in tests is what a
 * real orchestrator writes.
 */

export interface OrchestratorTask {
  id: string;
  title: string;
  task_type: string;
  repository: string;
  /** Epoch ms. */
  started_at: number;
}

export interface OrchestratorState {
  status: string;
  specialization?: string;
  /** Epoch ms of the last heartbeat. */
  lastActivity: number;
  completed: number;
  errors: number;
  task?: OrchestratorTask;
  /** The code the worker runs (a release or a commit): written only when known. */
  version?: string;
}

/** Python's `datetime.now(timezone.utc).isoformat()`: `2026-11-22T14:00:00.123000+00:00`. */
export function pythonIso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');
}

/** The `worker:state:{id}` hash: every value a string, `current_task` a JSON string or "null". */
export function stateHash(s: OrchestratorState): Record<string, string> {
  return {
    status: s.status,
    specialization: s.specialization ?? 'general',
    last_activity: pythonIso(s.lastActivity),
    total_completed: String(s.completed),
    total_errors: String(s.errors),
    current_task: s.task ? JSON.stringify({ ...s.task, started_at: pythonIso(s.task.started_at) }) : 'null',
    ...(s.version ? { version: s.version } : {}),
  };
}

export const STREAMS = {
  events: 'events:stream',
  workerEvents: 'stream:worker_events',
  completions: 'work_completions',
  errors: 'work_errors',
} as const;

/** Streams are capped (MAXLEN ~) so a long simulation does not grow Redis without bound. */
export const STREAM_CAP = '10000';
