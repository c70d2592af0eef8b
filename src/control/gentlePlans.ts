import type { Outcome } from './request';
import { pidboxBroadcast, pidboxChannel } from './celeryPidbox';
import type { Plan } from './frameworkRequester';
import type { ControlRequest } from './request';

/** A refusal carried out as a failed outcome, saying why (nothing is sent). */
function refused(why: string): Plan {
  return { describe: `nothing: ${why}`, send: async (): Promise<Outcome> => ({ status: 'failed', message: why }) };
}

/**
 * Quiet and Stop Job, each in its framework's own way (the worker id says which framework):
 * - Sidekiq Quiet: `TSTP` pushed onto `<identity>-signals` (EXPIRE 60), as Sidekiq Web's Quiet does.
 * - RQ Stop Job: `{"command": "stop-job", "job_id": …}` on `rq:pubsub:<name>`; RQ kills the work horse, the job
 *   goes to the failed registry as stopped, and the worker takes its next job.
 * - Celery Stop Job: the pidbox `revoke` with `terminate: true`, to every node (as `AsyncResult.revoke` does): the
 *   node running the task ends it with SIGTERM, every node refuses it from then on.
 */
export function gentlePlan(r: ControlRequest): Plan {
  const id = r.worker ?? '';
  const colon = id.indexOf(':');
  const kind = colon > 0 ? id.slice(0, colon) : '';
  const rest = id.slice(colon + 1);
  if (r.action === 'quiet') {
    if (kind !== 'sidekiq') return refused('only Sidekiq workers can be quieted');
    return {
      needs: { command: 'LPUSH and EXPIRE', lost: 'Quiet for Sidekiq workers' },
      describe: `push TSTP onto ${rest}-signals (as Sidekiq Web's Quiet does): on its next beat (~5 s) Sidekiq stops fetching new jobs and finishes the running ones; it stays up, shown stopping, until it is stopped or restarted`,
      async send(client) {
        await client.multi().lpush(`${rest}-signals`, 'TSTP').expire(`${rest}-signals`, 60).exec();
        return { status: 'done', message: `TSTP queued for Sidekiq ${rest}: it goes quiet on its next beat` };
      },
    };
  }
  const job = r.job;
  if (!job) return refused('no job id was given: the worker is not running a job');
  if (kind === 'rq')
    return {
      needs: { command: 'PUBLISH', lost: 'Stop Job for RQ workers' },
      describe: `send RQ's "stop-job" for job ${job} on rq:pubsub:${rest}: RQ kills the process running that job (the job is failed as stopped) and the worker takes its next job`,
      async send(client) {
        const heard = await client.publish(`rq:pubsub:${rest}`, JSON.stringify({ command: 'stop-job', job_id: job }));
        return heard > 0
          ? { status: 'done', message: `RQ worker ${rest} got "stop-job" for ${job}` }
          : { status: 'failed', message: `no RQ worker listens on rq:pubsub:${rest} (already gone?)` };
      },
    };
  if (kind === 'celery')
    return {
      needs: { command: 'PUBLISH', lost: 'Stop Job for Celery workers' },
      describe: `broadcast the pidbox "revoke" of task ${job} with terminate (SIGTERM): ${rest} ends the task, and every Celery worker refuses it from now on; the worker stays up`,
      async send(client) {
        const heard = await pidboxBroadcast(
          client,
          'revoke',
          { task_id: job, terminate: true, signal: 'SIGTERM' },
          null,
        );
        return heard > 0
          ? { status: 'done', message: `"revoke" (terminate) of ${job} broadcast: ${rest} ends it` }
          : { status: 'failed', message: `no Celery worker listens on ${pidboxChannel(client)}` };
      },
    };
  if (kind === 'bullmq')
    return refused(
      'BullMQ has no per-worker control (pause is queue-wide). Set workerLens.control.mode to "command" with a restart argv to act on its process',
    );
  return refused('Stop Job is for RQ and Celery workers');
}
