import type { Redis } from 'ioredis';
import type { CeleryEvent } from './celeryEvents';
import type { ActivityOut, FrameworkActivity } from './framework';
import { lastLine } from './rqActivity';

/**
 * Kombu's binding sets, `_kombu.binding.<exchange>` with members `<routing key>\x06\x16<pattern>\x06\x16<queue>`:
 * the default queue is bound to the exchange `celery`, a queue of its own (`-Q work`) to an exchange of that name.
 * The pidbox and event exchanges bind no task queues.
 */
const BINDINGS = '_kombu.binding.*';
const NOT_TASK_QUEUES = /^_kombu\.binding\.(celery\.pidbox|celeryev|reply\.celery\.pidbox)$/;
const MAX_QUEUES = 50;
/** The binding keys are looked for again this often (a SCAN, bounded): queues come and go rarely. */
const RESCAN_MS = 60_000;
const SCAN_STEPS = 10;
const MAX_TRACE = 4000;

export interface CeleryActivity extends FrameworkActivity {
  /** A task event from the layout's subscription, with the task's name when known (task-received gave it). */
  taskEvent(e: CeleryEvent, name: string | undefined): void;
}

/**
 * Celery's activity. Each worker's throughput is its heartbeat's `processed` and the failures
 * it sent (read with the worker); while followed, each `task-succeeded` adds its `runtime` to
 * the durations and each `task-failed` is a log line with its `exception` and `traceback`.
 * Queue depths are the broker lists, `LLEN <queue>` for each queue bound in `_kombu.binding.celery`.
 */
export function celeryActivity(): CeleryActivity {
  let out: ActivityOut | undefined;
  let queues = 0;
  let names: string[] = [];
  let scannedAt = -Infinity;
  return {
    reads: () => `Celery: task events (task-succeeded, task-failed), broker queues (${queues})`,
    follow(o) {
      out = o;
    },
    taskEvent(e, name) {
      if (!out || (e.type !== 'task-failed' && e.type !== 'task-succeeded')) return;
      const ts = Math.min(typeof e.timestamp === 'number' ? e.timestamp * 1000 : Date.now(), Date.now());
      const worker = e.hostname ? `celery:${e.hostname}` : undefined;
      const durationMs = typeof e.runtime === 'number' && e.runtime >= 0 ? e.runtime * 1000 : undefined;
      // With the worker named, its own counters count it (the metrics skip the count); the duration still counts.
      out.event({
        kind: e.type === 'task-failed' ? 'failed' : 'completed',
        ts,
        ...(worker ? { worker } : {}),
        ...(durationMs !== undefined ? { durationMs } : {}),
      });
      if (e.type !== 'task-failed') return;
      const exception = typeof e.exception === 'string' ? e.exception : undefined;
      const trace = typeof e.traceback === 'string' ? e.traceback : undefined;
      const what = `${name ?? 'task'}${e.uuid ? ` (${e.uuid})` : ''}`;
      const error = exception ?? (trace ? lastLine(trace) : 'no error sent');
      out.logs([
        {
          ts,
          level: 'error',
          worker,
          message: `Celery: ${what} failed: ${error.slice(0, 500)}${trace ? `\n${trace.slice(-MAX_TRACE)}` : ''}`,
          source: 'celeryev task-failed',
          ...(e.uuid ? { id: `celery:failed:${e.uuid}` } : {}),
        },
      ]);
    },
    async poll(client: Redis, o: ActivityOut, now: number): Promise<void> {
      if (now - scannedAt >= RESCAN_MS) {
        scannedAt = now;
        names = await boundQueues(client);
      }
      queues = names.length;
      if (!names.length) return;
      const res = (await client.pipeline(names.map((q) => ['llen', q])).exec()) ?? [];
      names.forEach((q, i) => {
        const [err, len] = res[i] ?? [];
        if (!err) o.queueDepth(`Celery ${q}`, Number(len));
      });
    },
  };
}

/** The task queues bound in the broker: a bounded SCAN for binding sets, then one bounded SSCAN of each. */
async function boundQueues(client: Redis): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  for (let i = 0; i < SCAN_STEPS; i++) {
    const [next, found] = await client.scan(cursor, 'MATCH', BINDINGS, 'COUNT', 1000);
    keys.push(...found.filter((k) => !NOT_TASK_QUEUES.test(k)));
    cursor = next;
    if (cursor === '0' || keys.length >= MAX_QUEUES) break;
  }
  const res = (await client.pipeline(keys.map((k) => ['sscan', k, '0', 'COUNT', '200'])).exec()) ?? [];
  const queues = new Set<string>();
  for (const [err, v] of res) {
    if (err) continue;
    for (const m of (v as [string, string[]])[1]) {
      const q = m.split('\x06\x16').pop();
      if (q) queues.add(q);
    }
  }
  return [...queues].sort().slice(0, MAX_QUEUES);
}
