import type { FrameworkName, WorkerSnapshot } from '../core/model';

/**
 * The gentler controls some frameworks have on one worker, beside Restart (their graceful stop):
 * - Quiet (Sidekiq): stop fetching new jobs, finish the running ones, stay up (Sidekiq Web's Quiet).
 * - Stop Job (RQ, Celery): end the job the worker runs now; the worker stays up and takes the next.
 * BullMQ has no per-worker control at all.
 */
export type GentleAction = 'quiet' | 'stop-job';

/** Which framework offers which gentle control. */
const OFFERS: Record<FrameworkName, readonly GentleAction[]> = {
  rq: ['stop-job'],
  sidekiq: ['quiet'],
  celery: ['stop-job'],
  bullmq: [],
};

/** The token each control adds to a worker row's context value, matched by the menus in package.json. */
export const GENTLE_TOKEN: Record<GentleAction, string> = { quiet: 'quietable;', 'stop-job': 'job-stoppable;' };

export const GENTLE_TITLE: Record<GentleAction, string> = { quiet: 'Quiet', 'stop-job': 'Stop Job' };

type Worker = Pick<WorkerSnapshot, 'framework' | 'task' | 'status' | 'gone' | 'missing'>;

/** Why this control cannot be used on this worker now, in words; undefined when it can. */
export function gentleRefusal(action: GentleAction, w: Worker | undefined, name = 'this worker'): string | undefined {
  if (!w) return `${name} is no longer in the fleet`;
  if (!w.framework) return `${GENTLE_TITLE[action]} is for framework workers (Sidekiq: Quiet; RQ and Celery: Stop Job)`;
  if (w.framework === 'bullmq')
    return 'BullMQ has no per-worker control (pause is queue-wide). Set workerLens.control.mode to "command" with a restart argv to act on its process';
  if (!OFFERS[w.framework].includes(action))
    return action === 'quiet'
      ? `only Sidekiq workers can be quieted (${name} is ${label(w.framework)}; Stop Job ends its job instead)`
      : `${label(w.framework)} has no Stop Job (Quiet stops it taking new jobs instead)`;
  if (w.gone || w.missing || w.status === 'stopped' || w.status === 'offline') return `${name} is not running`;
  if (action === 'quiet' && w.status === 'quiet') return `${name} is already quiet`;
  if (action === 'stop-job' && !w.task?.id) return `${name} is not running a job`;
  return undefined;
}

/**
 * The context-value tokens of the gentle controls usable on this worker now ('quietable;', 'job-stoppable;', or '').
 * Pure: the tree appends it to the worker row's context value.
 */
export function gentleControlTokens(w: Worker): string {
  return (['quiet', 'stop-job'] as const)
    .filter((a) => !gentleRefusal(a, w))
    .map((a) => GENTLE_TOKEN[a])
    .join('');
}

function label(f: FrameworkName): string {
  return { rq: 'RQ', sidekiq: 'Sidekiq', celery: 'Celery', bullmq: 'BullMQ' }[f];
}
