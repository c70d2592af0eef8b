import { appendFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { STREAM_CAP, STREAMS, stateHash } from './orchestratorFormat';
import type { SimEvent, SimWorker } from './simFleet';

/** Where the simulator writes a fleet. One call per tick with every worker that changed or beat. */
export interface FleetWriter {
  write(workers: SimWorker[], events: SimEvent[], now: number): Promise<void>;
  close(): Promise<void>;
}

export const toState = (w: SimWorker) => ({
  status: w.status,
  specialization: w.specialization,
  lastActivity: w.lastBeat,
  completed: w.completed,
  errors: w.errors,
  version: w.version,
  task: w.task && {
    id: w.task.id,
    title: w.task.title,
    task_type: w.task.task_type,
    repository: w.task.repository,
    started_at: w.task.started_at,
  },
});

/**
 * The orchestrator preset in Redis. Every 7th worker is stored as one JSON string
 * rather than a hash, because real fleets have both. One pipeline per tick.
 */
export class RedisFleetWriter implements FleetWriter {
  private registered = false;
  constructor(private readonly client: Redis) {}

  async write(workers: SimWorker[], events: SimEvent[]): Promise<void> {
    const p = this.client.pipeline();
    if (!this.registered) {
      this.registered = true;
      // Registration in batches: SADD with 10,000 arguments is fine, but keep it bounded.
      const ids = workers.map((w) => w.id);
      for (let i = 0; i < ids.length; i += 1000) p.sadd('active_workers', ids.slice(i, i + 1000));
    }
    for (const w of workers) {
      const key = `worker:state:${w.id}`;
      const hash = stateHash(toState(w));
      if (isJsonStringWorker(w.id))
        p.set(
          key,
          JSON.stringify({
            ...hash,
            total_completed: w.completed,
            total_errors: w.errors,
            current_task: hash.current_task === 'null' ? null : JSON.parse(hash.current_task),
          }),
        );
      else p.hset(key, hash);
      p.xadd(
        STREAMS.events,
        'MAXLEN',
        '~',
        STREAM_CAP,
        '*',
        'worker_id',
        w.id,
        'event',
        'heartbeat',
        'status',
        w.status,
      );
    }
    for (const e of events) {
      const id = e.worker.id;
      if (e.kind === 'task_completed') {
        p.incr(`worker:${id}:completed`);
        p.xadd(
          STREAMS.completions,
          'MAXLEN',
          '~',
          STREAM_CAP,
          '*',
          'worker_id',
          id,
          'task_id',
          e.task.id,
          'title',
          e.task.title,
          'duration_ms',
          String(e.durationMs),
          'level',
          'info',
        );
      } else if (e.kind === 'task_failed') {
        p.incr(`worker:${id}:errors`);
        p.xadd(
          STREAMS.errors,
          'MAXLEN',
          '~',
          STREAM_CAP,
          '*',
          'worker_id',
          id,
          'task_id',
          e.task.id,
          'title',
          e.task.title,
          'duration_ms',
          String(e.durationMs),
          'error',
          e.error,
          'level',
          'error',
        );
      } else if (e.kind === 'status' || e.kind === 'task_started') {
        p.xadd(
          STREAMS.workerEvents,
          'MAXLEN',
          '~',
          STREAM_CAP,
          '*',
          'worker_id',
          id,
          'event',
          e.kind,
          'status',
          e.worker.status,
          'message',
          describe(e),
        );
      }
    }
    await p.exec();
  }

  async close(): Promise<void> {}
}

export function isJsonStringWorker(id: string): boolean {
  const n = Number(id.replace(/\D/g, ''));
  return n % 7 === 0;
}

/**
 * Seed 004's heartbeat files: one `<worker>.json` per worker (written to a temp file
 * and renamed, so a reader never sees half a file) and a `<worker>.log` in Python's
 * logging format.
 */
export class FilesFleetWriter implements FleetWriter {
  private ready?: Promise<unknown>;
  constructor(private readonly dir: string) {}

  async write(workers: SimWorker[], events: SimEvent[], now: number): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true });
    await this.ready;
    await Promise.all(
      workers.map(async (w) => {
        const body = {
          worker: w.id,
          timestamp: new Date(w.lastBeat).toISOString(),
          status: w.status,
          model_loaded: w.status !== 'crashed',
          tasks_completed: w.completed,
          errors: w.errors,
          specialization: w.specialization,
          version: w.version,
          current_task: w.task
            ? {
                id: w.task.id,
                title: w.task.title,
                task_type: w.task.task_type,
                repository: w.task.repository,
                started_at: new Date(w.task.started_at).toISOString(),
              }
            : null,
        };
        const file = join(this.dir, `${w.id}.json`);
        await writeFile(`${file}.tmp`, JSON.stringify(body));
        await rename(`${file}.tmp`, file);
      }),
    );
    const lines = new Map<string, string>();
    for (const e of events) {
      if (e.kind === 'heartbeat') continue;
      const level = e.kind === 'task_failed' || (e.kind === 'status' && e.status === 'crashed') ? 'ERROR' : 'INFO';
      const line = `${pythonLogTime(now)} - ${level} - [${e.worker.id}] ${describe(e)}\n`;
      lines.set(e.worker.id, (lines.get(e.worker.id) ?? '') + line);
    }
    await Promise.all([...lines].map(([id, text]) => appendFile(join(this.dir, `${id}.log`), text)));
  }

  async close(): Promise<void> {}
}

function describe(e: SimEvent): string {
  switch (e.kind) {
    case 'task_started':
      return `Task ${e.task.id} started: ${e.task.title} (${e.task.repository})`;
    case 'task_completed':
      return `Task ${e.task.id} completed in ${(e.durationMs / 1000).toFixed(1)}s`;
    case 'task_failed':
      return `Task ${e.task.id} failed after ${(e.durationMs / 1000).toFixed(1)}s: ${e.error}`;
    case 'status':
      return e.status === 'crashed' ? 'Worker crashed; supervisor will restart it' : `Status changed to ${e.status}`;
    case 'heartbeat':
      return 'heartbeat';
  }
}

/**
 * `2026-11-22 14:00:00,123` as Python's logging writes it: local time, no zone (asctime).
 * Read back as local time (logParse.ts), so the demo's history lands where it happened
 * on a machine in any zone, not hours off.
 */
function pythonLogTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}
