/**
 * The simulated fleet's behaviour, independent of where it is written. Deterministic
 * for a seed, so the demo and the tests see the same story every time:
 * workers pick up tasks and finish or fail them; some run slow, some crash and come
 * back through "recovering", some stop heartbeating.
 */

/**
 * How long the flaky worker stays crashed before its supervisor restarts it: longer than
 * `workerLens.alerts.minimumSeconds` (10 s) plus a read or two, so the demo's crash raises
 * an alert (a 4-second blip would rightly not).
 */
export const CRASHED_MS = 18_000;
/** Tasks the flaky worker finishes between crashes: one crash a cycle (~40 s), not a crash per task. */
const TASKS_BETWEEN_CRASHES = 1;

export type SimStatus = 'idle' | 'working' | 'crashed' | 'recovering';
export type SimRole = 'normal' | 'slow' | 'flaky' | 'dying';

export interface SimTask {
  id: string;
  title: string;
  task_type: string;
  repository: string;
  /** Epoch ms. */
  started_at: number;
  /** When it will end (epoch ms); the slow worker's never does. */
  ends_at: number;
}

export interface SimWorker {
  id: string;
  role: SimRole;
  specialization: string;
  status: SimStatus;
  task?: SimTask;
  completed: number;
  errors: number;
  lastBeat: number;
  /** The code it runs: one worker of the demo runs an older release (code drift). */
  version: string;
  /** False for the "dying" worker, which stopped heartbeating before the story began. */
  beating: boolean;
  /** The flaky worker: tasks it will finish before it crashes again. */
  tasksBeforeCrash?: number;
  nextChange: number;
}

/** Something that happened, for the event streams and log files. */
export type SimEvent =
  | { kind: 'task_started'; worker: SimWorker; task: SimTask }
  | { kind: 'task_completed'; worker: SimWorker; task: SimTask; durationMs: number }
  | { kind: 'task_failed'; worker: SimWorker; task: SimTask; durationMs: number; error: string }
  | { kind: 'status'; worker: SimWorker; status: SimStatus }
  | { kind: 'heartbeat'; worker: SimWorker };

const TITLES = [
  'Fix login bug',
  'Reindex search',
  'Resize images',
  'Sync invoices',
  'Train ranker',
  'Send digests',
  'Scan dependencies',
  'Render report',
  'Backfill metrics',
  'Transcode video',
];
const TYPES = ['bugfix', 'index', 'media', 'billing', 'ml', 'email', 'security', 'report'];
const REPOS = ['acme/api', 'acme/web', 'acme/ml', 'acme/billing'];
const SPECS = ['backend', 'frontend', 'data', 'gpu', 'general'];
const ERRORS = [
  'TimeoutError: upstream did not answer in 30s',
  'KeyError: \'customer_id\' (File "src/worker.py", line 42, in handle)',
  'ConnectionResetError: [Errno 104] Connection reset by peer',
  "ValueError: invalid literal for int() with base 10: 'n/a'",
];

/** mulberry32: small, fast, seedable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimOptions {
  workers: number;
  seed?: number;
  /** Mean task length in ms (normal workers). */
  taskMs?: number;
  now?: number;
  /** The release the fleet runs (default v2.4.1); the fourth worker runs `oldVersion` (default v2.3.0). */
  version?: string;
  oldVersion?: string;
  /** How long the flaky worker stays crashed (ms; default CRASHED_MS). */
  crashedMs?: number;
}

/** Role of worker i: in every 8 workers one is slow, one flaky and one dying (fewer in large fleets). */
function roleOf(i: number, n: number): SimRole {
  if (n <= 16) return (['slow', 'flaky', 'dying'] as SimRole[])[i] ?? 'normal';
  const r = i % 50;
  return r === 0 ? 'slow' : r === 1 ? 'flaky' : r === 2 ? 'dying' : 'normal';
}

export class SimFleet {
  readonly workers: SimWorker[] = [];
  private readonly rand: () => number;
  private taskSeq = 0;
  private readonly taskMs: number;
  private readonly crashedMs: number;

  constructor(opts: SimOptions) {
    this.rand = prng(opts.seed ?? 1);
    this.taskMs = opts.taskMs ?? 8000;
    this.crashedMs = opts.crashedMs ?? CRASHED_MS;
    const now = opts.now ?? Date.now();
    const width = String(opts.workers).length;
    for (let i = 0; i < opts.workers; i++) {
      const w: SimWorker = {
        id: `worker-${String(i + 1).padStart(width, '0')}`,
        role: roleOf(i, opts.workers),
        specialization: SPECS[i % SPECS.length],
        status: 'idle',
        completed: Math.floor(this.rand() * 40),
        errors: Math.floor(this.rand() * 3),
        lastBeat: now,
        beating: true,
        nextChange: now + this.rand() * 2000,
        // One worker left behind by a deploy: what code drift is for.
        version: i === 3 ? (opts.oldVersion ?? 'v2.3.0') : (opts.version ?? 'v2.4.1'),
      };
      // The dying worker went silent 18 s ago: unresponsive now, dead 12 s later.
      if (w.role === 'dying') {
        w.lastBeat = now - 18_000;
        w.beating = false;
      }
      // The flaky one is on a short task and will crash when it ends.
      if (w.role === 'flaky') {
        w.tasksBeforeCrash = 0;
        w.status = 'working';
        w.task = this.newTask(now, now + 2500);
        w.nextChange = w.task.ends_at;
      }
      // The slow worker has been on one task for 20 minutes already.
      if (w.role === 'slow') {
        w.status = 'working';
        w.task = this.newTask(now - 20 * 60_000, Number.POSITIVE_INFINITY);
        w.nextChange = Number.POSITIVE_INFINITY;
      }
      this.workers.push(w);
    }
  }

  private newTask(start: number, end: number): SimTask {
    const r = this.rand;
    return {
      id: `T-${++this.taskSeq}`,
      title: TITLES[Math.floor(r() * TITLES.length)],
      task_type: TYPES[Math.floor(r() * TYPES.length)],
      repository: REPOS[Math.floor(r() * REPOS.length)],
      started_at: start,
      ends_at: end,
    };
  }

  /** Advances the story to `now`; returns what happened (state changes only, not heartbeats). */
  step(now: number): SimEvent[] {
    const events: SimEvent[] = [];
    for (const w of this.workers) {
      if (!w.beating || now < w.nextChange) continue;
      this.transition(w, now, events);
    }
    return events;
  }

  /** Forces one state change on worker `i` now (the benchmark's churn). */
  touch(i: number, now: number): SimEvent[] {
    const events: SimEvent[] = [];
    this.transition(this.workers[i], now, events);
    return events;
  }

  private transition(w: SimWorker, now: number, events: SimEvent[]): void {
    const r = this.rand;
    switch (w.status) {
      case 'idle': {
        const len = this.taskMs * (0.3 + r() * 1.4);
        w.task = this.newTask(now, now + len);
        w.status = 'working';
        w.nextChange = w.task.ends_at;
        events.push({ kind: 'task_started', worker: w, task: w.task });
        break;
      }
      case 'working': {
        const task = w.task!;
        const durationMs = now - task.started_at;
        w.task = undefined;
        if (w.tasksBeforeCrash === 0) {
          // The flaky worker: this task takes the process down.
          w.tasksBeforeCrash = TASKS_BETWEEN_CRASHES;
          w.errors++;
          w.status = 'crashed';
          w.nextChange = now + this.crashedMs;
          events.push({ kind: 'task_failed', worker: w, task, durationMs, error: 'Worker process crashed: SIGSEGV' });
          events.push({ kind: 'status', worker: w, status: 'crashed' });
          break;
        }
        if (w.tasksBeforeCrash) w.tasksBeforeCrash--;
        if (r() < 0.1) {
          w.errors++;
          w.status = 'idle';
          w.nextChange = now + 500 + r() * 2000;
          events.push({
            kind: 'task_failed',
            worker: w,
            task,
            durationMs,
            error: ERRORS[Math.floor(r() * ERRORS.length)],
          });
        } else {
          w.completed++;
          w.status = 'idle';
          w.nextChange = now + 500 + r() * 2000;
          events.push({ kind: 'task_completed', worker: w, task, durationMs });
        }
        break;
      }
      case 'crashed':
        w.status = 'recovering';
        w.nextChange = now + 3000;
        events.push({ kind: 'status', worker: w, status: 'recovering' });
        break;
      case 'recovering':
        w.status = 'idle';
        w.nextChange = now + 1000;
        events.push({ kind: 'status', worker: w, status: 'idle' });
        break;
    }
  }
}
