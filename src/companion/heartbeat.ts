import { Redis } from 'ioredis';
import { STREAM_CAP, STREAMS, stateHash, type OrchestratorState, type OrchestratorTask } from './orchestratorFormat';

/**
 * Heartbeat helper for Node workers: the counterpart of seed 003's
 * `worker-heartbeat.mjs`, writing the orchestrator preset's format (seeds 000/001).
 *
 *   const hb = startHeartbeat('mailer', { redis: process.env.REDIS_URL });
 *   hb.startTask({ id: 'T-1', title: 'Send digest' }); …; hb.finishTask({ ok: true });
 *
 * Every change is one MULTI: the state hash, the active set, the counters and an event
 * on `events:stream`, so a monitor following the stream sees each change at once.
 */
export interface HeartbeatOptions {
  /** A URL or an ioredis client (not closed by stop()). */
  redis: string | Redis;
  intervalMs?: number;
  specialization?: string;
  /**
   * The code this worker runs (a release or a Git commit); default $WORKER_VERSION, else $GIT_SHA, else not written.
   */
  version?: string;
  /** Stop (and write status "stopped") on SIGTERM/SIGINT. Default true. */
  handleSignals?: boolean;
}

export interface Heartbeat {
  readonly id: string;
  incrementJobCount(): Promise<void>;
  incrementErrorCount(): Promise<void>;
  startTask(task: Partial<OrchestratorTask> & { title: string }): Promise<void>;
  finishTask(result: { ok: boolean; error?: string }): Promise<void>;
  setStatus(status: string): Promise<void>;
  /** Writes status "stopped" (the worker stays listed, so a monitor shows it stopped rather than gone). */
  stop(): Promise<void>;
}

export function startHeartbeat(id: string, opts: HeartbeatOptions): Heartbeat {
  const client = typeof opts.redis === 'string' ? new Redis(opts.redis, { maxRetriesPerRequest: 1 }) : opts.redis;
  const owned = typeof opts.redis === 'string';
  client.on('error', () => undefined); // a heartbeat must never crash its worker
  const state: OrchestratorState = {
    status: 'starting',
    specialization: opts.specialization,
    lastActivity: Date.now(),
    completed: 0,
    errors: 0,
    version: opts.version ?? (process.env.WORKER_VERSION || process.env.GIT_SHA || undefined),
  };
  let stopped = false;

  const write = async (event: string, extra: (m: ReturnType<Redis['multi']>) => void = () => undefined) => {
    state.lastActivity = Date.now();
    const m = client.multi();
    m.hset(`worker:state:${id}`, stateHash(state));
    m.sadd('active_workers', id);
    extra(m);
    m.xadd(STREAMS.events, 'MAXLEN', '~', STREAM_CAP, '*', 'worker_id', id, 'event', event, 'status', state.status);
    await m.exec().catch(() => undefined);
  };

  const timer = setInterval(() => void write('heartbeat'), opts.intervalMs ?? 30_000);
  timer.unref();
  void write('started').then(() => {
    if (state.status === 'starting') {
      state.status = 'idle';
      return write('status');
    }
  });

  const hb: Heartbeat = {
    id,
    incrementJobCount: () => {
      state.completed++;
      return write('job_completed', (m) => m.incr(`worker:${id}:completed`));
    },
    incrementErrorCount: () => {
      state.errors++;
      return write('job_failed', (m) => m.incr(`worker:${id}:errors`));
    },
    startTask: (t) => {
      state.task = {
        id: t.id ?? `task-${Date.now()}`,
        title: t.title,
        task_type: t.task_type ?? 'task',
        repository: t.repository ?? '',
        started_at: t.started_at ?? Date.now(),
      };
      state.status = 'working';
      return write('task_started');
    },
    finishTask: async ({ ok, error }) => {
      const task = state.task;
      state.task = undefined;
      state.status = 'idle';
      if (ok) state.completed++;
      else state.errors++;
      const durationMs = task ? Date.now() - task.started_at : 0;
      await write(ok ? 'task_completed' : 'task_failed', (m) => {
        m.incr(`worker:${id}:${ok ? 'completed' : 'errors'}`);
        const fields = [
          'worker_id',
          id,
          'task_id',
          task?.id ?? '',
          'title',
          task?.title ?? '',
          'duration_ms',
          String(durationMs),
        ];
        if (ok) m.xadd(STREAMS.completions, 'MAXLEN', '~', STREAM_CAP, '*', ...fields);
        else m.xadd(STREAMS.errors, 'MAXLEN', '~', STREAM_CAP, '*', ...fields, 'error', error ?? 'failed');
      });
    },
    setStatus: (status) => {
      state.status = status;
      return write('status');
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      state.status = 'stopped';
      await write('stopped');
      if (owned) client.disconnect();
    },
  };

  if (opts.handleSignals ?? true) {
    const onSignal = (sig: NodeJS.Signals) => void hb.stop().finally(() => process.kill(process.pid, sig));
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return hb;
}
