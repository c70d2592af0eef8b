import type { Redis } from 'ioredis';
import { redactUrl } from '../core/connectionConfig';
import { createClient } from '../sources/redis/redisClient';
import { describeRedisError, describeRefusal } from '../sources/redis/redisErrors';
import { pidboxBroadcast, pidboxChannel } from './celeryPidbox';
import { gentlePlan } from './gentlePlans';
import type { ControlRequest, ControlRequester, Outcome, SendOptions } from './request';

/** How a request to a framework worker (its id as the framework presets make it) is carried out. */
export interface Plan {
  describe: string;
  /** The Redis command it needs, and what is unavailable when the ACL refuses it. */
  needs?: { command: string; lost: string };
  send(client: Redis): Promise<Outcome>;
}

/**
 * Restart of a framework worker (ids `rq:…`, `sidekiq:…`, `celery:…`, `bullmq:…`) is the
 * framework's own graceful stop, sent through Redis: the worker finishes (or re-queues) its
 * job and exits, and the user's process manager starts it again. Everything else (the
 * orchestrator's workers, scale) goes to the store requester as before.
 */
export class FrameworkRequester implements ControlRequester {
  private client?: Redis;
  private readonly where: string;

  /**
   * @param opts.gentleOnly only Quiet and Stop Job are carried out here, Restart goes to `inner` (command mode: the
   *   user's argv restarts, but Quiet and Stop Job exist only as the framework's own message)
   */
  constructor(
    private readonly opts: { url: string; password?: string; gentleOnly?: boolean },
    private readonly inner: ControlRequester,
  ) {
    this.where = redactUrl(opts.url);
  }

  describe(r: ControlRequest): string {
    return this.plan(r)?.describe ?? this.inner.describe(r);
  }

  async send(r: ControlRequest, opts: SendOptions = {}): Promise<Outcome> {
    const plan = this.plan(r);
    if (!plan) return this.inner.send(r, opts);
    try {
      this.client ??= createClient(this.opts.url, this.opts.password, { connectionName: 'worker-lens-control' });
      if (this.client.status === 'wait') await this.client.connect();
      const outcome = await plan.send(this.client);
      if (outcome.status === 'done') opts.onAccepted?.(outcome.message);
      return outcome;
    } catch (err) {
      const refusal = plan.needs && describeRefusal(err, plan.needs.command, `${plan.needs.lost} is unavailable`);
      return { status: 'failed', message: refusal ?? describeRedisError(err, this.where) };
    }
  }

  private plan(r: ControlRequest): Plan | undefined {
    if (r.action === 'quiet' || r.action === 'stop-job') return gentlePlan(r);
    if (r.action !== 'restart' || !r.worker || this.opts.gentleOnly) return undefined;
    const colon = r.worker.indexOf(':');
    const kind = r.worker.slice(0, colon);
    const rest = r.worker.slice(colon + 1);
    switch (kind) {
      case 'rq':
        return {
          needs: { command: 'PUBLISH', lost: 'Restart for RQ workers' },
          describe: `send RQ's "shutdown" on rq:pubsub:${rest}: RQ finishes the job it runs and exits; your process manager starts it again`,
          async send(client) {
            const heard = await client.publish(`rq:pubsub:${rest}`, JSON.stringify({ command: 'shutdown' }));
            return heard > 0
              ? { status: 'done', message: `RQ worker ${rest} got "shutdown": it exits after its current job` }
              : { status: 'failed', message: `no RQ worker listens on rq:pubsub:${rest} (already gone?)` };
          },
        };
      case 'sidekiq':
        return {
          needs: { command: 'LPUSH and EXPIRE', lost: 'Restart for Sidekiq workers' },
          describe: `push TERM onto ${rest}-signals (as Sidekiq Web's Stop does): Sidekiq reads it on its next beat (~5 s), finishes or re-queues its jobs and exits; your process manager starts it again`,
          async send(client) {
            await client.multi().lpush(`${rest}-signals`, 'TERM').expire(`${rest}-signals`, 60).exec();
            return { status: 'done', message: `TERM queued for Sidekiq ${rest}: it stops on its next beat` };
          },
        };
      case 'celery':
        return {
          needs: { command: 'PUBLISH', lost: 'Restart for Celery workers' },
          describe: `broadcast the pidbox "shutdown" to ${rest}: Celery finishes its running tasks (warm shutdown) and exits; your process manager starts it again`,
          async send(client) {
            const heard = await pidboxBroadcast(client, 'shutdown', {}, [rest]);
            return heard > 0
              ? { status: 'done', message: `"shutdown" broadcast to ${rest}: it exits after its running tasks` }
              : { status: 'failed', message: `no Celery worker listens on ${pidboxChannel(client)}` };
          },
        };
      case 'bullmq':
        return {
          describe:
            'nothing: BullMQ has no per-worker control (pause is queue-wide). Use command mode (workerLens.control.mode "command" with a restart argv)',
          send: async () => ({
            status: 'failed',
            message:
              'BullMQ has no per-worker control. Set workerLens.control.mode to "command" with a restart argv to restart its process',
          }),
        };
      default:
        return undefined;
    }
  }

  async dispose(): Promise<void> {
    this.client?.disconnect();
    await this.inner.dispose();
  }
}
