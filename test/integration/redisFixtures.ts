import type { Redis } from 'ioredis';
import { Fleet } from '../../src/core/fleet';
import type { WorkerSnapshot } from '../../src/core/model';
import type { SourceSink } from '../../src/sources/source';
import { IGNORE_ACTIVITY } from '../../src/core/sourceSink';

/**
 * Writes workers the way the seed orchestrator's lock-free state manager does
 * (seeds 000/001, redis-py): `worker:state:{id}` as a hash whose values are
 * strings (dicts JSON-dumped, None as "null") or as one JSON string; the id in
 * `active_workers`; atomic counters `worker:{id}:completed` / `errors`; events
 * appended to `events:stream`.
 */

/** Python's `datetime.isoformat()`: microseconds, and `+00:00` when timezone-aware. */
export function pyIso(ms: number, naive = false): string {
  const base = new Date(ms).toISOString().replace('Z', '');
  const micro = `${base}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`;
  return naive ? micro : `${micro}+00:00`;
}

export interface PyTask {
  id: string;
  title: string;
  task_type: string;
  repository: string;
  started_at: string | null;
}

export interface PyWorker {
  status: string;
  specialization: string;
  last_activity: string;
  total_completed: number;
  total_errors: number;
  current_task: PyTask | null;
}

export function task(title: string, startedMs: number): PyTask {
  return {
    id: `task-${title.length}`,
    title,
    task_type: 'bug_fix',
    repository: 'acme/web',
    started_at: pyIso(startedMs),
  };
}

export function worker(status: string, lastMs: number, current: PyTask | null = null, completed = 0): PyWorker {
  return {
    status,
    specialization: 'general',
    last_activity: pyIso(lastMs),
    total_completed: completed,
    total_errors: 0,
    current_task: current,
  };
}

/** Hash form: HSET with every value stringified as redis-py would (dicts via json.dumps). */
export async function writeHash(r: Redis, id: string, w: PyWorker, opts: { omitTask?: boolean } = {}): Promise<void> {
  const flat: Record<string, string> = {
    status: w.status,
    specialization: w.specialization,
    last_activity: w.last_activity,
    total_completed: String(w.total_completed),
    total_errors: String(w.total_errors),
  };
  if (!opts.omitTask) flat.current_task = JSON.stringify(w.current_task);
  await r.multi().del(`worker:state:${id}`).hset(`worker:state:${id}`, flat).sadd('active_workers', id).exec();
}

/** JSON-string form: the whole record as one json.dumps() string. */
export async function writeJson(r: Redis, id: string, w: PyWorker): Promise<void> {
  await r.multi().set(`worker:state:${id}`, JSON.stringify(w)).sadd('active_workers', id).exec();
}

export async function setCounters(r: Redis, id: string, completed: number, errors: number): Promise<void> {
  await r.set(`worker:${id}:completed`, String(completed));
  await r.set(`worker:${id}:errors`, String(errors));
}

/** An event as the state manager logs it to its stream. Returns the entry id. */
export async function event(r: Redis, id: string, type = 'state_update', stream = 'events:stream'): Promise<string> {
  return (await r.xadd(stream, '*', 'event_type', type, 'worker_id', id, 'timestamp', pyIso(Date.now())))!;
}

/** A Fleet fed by a source, with everything the source said kept for assertions. */
export function observe() {
  const fleet = new Fleet();
  const logs: { level: string; message: string }[] = [];
  const updates: { ids: string[]; removed: string[] }[] = [];
  let fullReads = 0;
  const sink: SourceSink = {
    ...IGNORE_ACTIVITY,
    replaceAll: (w: WorkerSnapshot[]) => {
      fullReads++;
      fleet.replaceAll(w);
    },
    update: (w: WorkerSnapshot[], removed: string[] = []) => {
      updates.push({ ids: w.map((s) => s.id), removed });
      fleet.update(w, removed);
    },
    setConnection: (s) => fleet.setConnection(s),
    log: (level, message) => logs.push({ level, message }),
  };
  return {
    fleet,
    sink,
    logs,
    updates,
    get fullReads() {
      return fullReads;
    },
    health: (id: string) => fleet.get(id)?.health,
    snapshot: (id: string) => fleet.get(id)?.snapshot,
    warnings: () => logs.filter((l) => l.level === 'warn' || l.level === 'error').map((l) => l.message),
  };
}
