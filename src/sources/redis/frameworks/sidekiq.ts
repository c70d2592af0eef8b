import type { Redis } from 'ioredis';
import type { Liveness, TaskInfo, WorkerSnapshot } from '../../../core/model';
import { intOf, type FrameworkLayout, type FrameworkRead, type ReadContext } from './framework';
import { sidekiqActivity } from './sidekiqActivity';

const PROCESSES = 'processes';
/** Sidekiq beats every 5 s (record TTL 60 s). */
const LIVENESS: Liveness = { unresponsiveAfterMs: 15_000, deadAfterMs: 30_000, rule: 'Sidekiq beats every 5 s' };

/**
 * Sidekiq: the set `processes` of identities (`host:pid:suffix`); the hash `<identity>`
 * (`info` JSON, `busy`, `beat`, `quiet`, `rss`) and the jobs running now in
 * `<identity>:workers` (Sidekiq 7: `<identity>:work`), thread id → `{queue, payload, run_at}`.
 */
export function sidekiqLayout(): FrameworkLayout {
  return {
    id: 'sidekiq',
    label: 'Sidekiq',
    leftListingMeans: 'stopped',
    activity: sidekiqActivity(),
    lookedFor: `Sidekiq (set ${PROCESSES})`,
    detect: async (client) => (await client.type(PROCESSES)) === 'set',
    async read(client: Redis, ctx: ReadContext): Promise<FrameworkRead> {
      const ids = (await client.smembers(PROCESSES)).sort();
      const gone = new Map<string, string>();
      if (!ids.length) return { workers: [], gone };
      const p = client.pipeline();
      for (const identity of ids) {
        p.hmget(identity, 'info', 'busy', 'beat', 'quiet', 'rss');
        p.hgetall(`${identity}:workers`);
        p.hgetall(`${identity}:work`);
      }
      const res = (await p.exec()) ?? [];
      const workers: WorkerSnapshot[] = [];
      ids.forEach((identity, i) => {
        const [e1, fields] = res[3 * i] ?? [];
        const [, jobs6] = res[3 * i + 1] ?? [];
        const [, jobs7] = res[3 * i + 2] ?? [];
        const [info, busy, beat, quiet, rss] = e1 ? [] : ((fields as (string | null)[]) ?? []);
        const id = `sidekiq:${identity}`;
        if (info === null || info === undefined) {
          gone.set(
            id,
            `Its record ${identity} expired (Sidekiq keeps it 60 s) while it is still listed in ${PROCESSES}: it stopped without saying so (killed)`,
          );
          return;
        }
        const jobs = { ...((jobs6 as Record<string, string>) ?? {}), ...((jobs7 as Record<string, string>) ?? {}) };
        workers.push(snapshotOf(id, identity, info, { busy, beat, quiet, rss }, jobs, ctx.now));
      });
      return { workers, gone };
    },
  };
}

interface Fields {
  busy?: string | null;
  beat?: string | null;
  quiet?: string | null;
  rss?: string | null;
}

function snapshotOf(
  id: string,
  identity: string,
  infoJson: string,
  f: Fields,
  jobs: Record<string, string>,
  now: number,
): WorkerSnapshot {
  const problems: string[] = [];
  let info: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(infoJson);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) info = parsed as Record<string, unknown>;
    else problems.push('info is not a JSON object');
  } catch (err) {
    problems.push(`info does not decode as JSON: ${(err as Error).message}`);
  }
  const host = typeof info.hostname === 'string' ? info.hostname : undefined;
  const pid = typeof info.pid === 'number' ? info.pid : undefined;
  const tag = typeof info.tag === 'string' && info.tag ? info.tag : undefined;
  const queues = Array.isArray(info.queues) ? info.queues.filter((q): q is string => typeof q === 'string') : [];
  const started = typeof info.started_at === 'number' ? info.started_at * 1000 : undefined;
  const beatSec = f.beat ? Number(f.beat) : undefined;
  if (f.beat && !Number.isFinite(beatSec)) problems.push(`beat "${f.beat.slice(0, 40)}" is not a time`);
  const task = taskOf(jobs, problems);
  const busy = intOf(f.busy);
  return {
    id,
    name: tag ?? (host && pid !== undefined ? `${host}:${pid}` : identity),
    status: f.quiet === 'true' ? 'quiet' : busy ? 'busy' : 'idle',
    lastHeartbeat: beatSec !== undefined && Number.isFinite(beatSec) ? beatSec * 1000 : undefined,
    pid,
    host,
    specialization: queues.length ? `Sidekiq · ${queues.join(', ')}` : 'Sidekiq',
    memoryBytes: intOf(f.rss) !== undefined ? intOf(f.rss)! * 1024 : undefined,
    uptimeSeconds: started !== undefined ? Math.max(0, Math.round((now - started) / 1000)) : undefined,
    task,
    liveness: LIVENESS,
    problems,
  };
}

/**
 * The oldest running job, by its class (ActiveJob's wrapped class when there is one), with how many more run beside it.
 */
function taskOf(jobs: Record<string, string>, problems: string[]): TaskInfo | undefined {
  const tasks: TaskInfo[] = [];
  for (const [thread, raw] of Object.entries(jobs)) {
    try {
      const work = JSON.parse(raw) as { payload?: unknown; run_at?: unknown; queue?: unknown };
      // Sidekiq 6.4 stores the payload as a JSON string inside the JSON; later versions too, earlier ones as an object.
      const payload = (typeof work.payload === 'string' ? JSON.parse(work.payload) : work.payload) as
        Record<string, unknown> | undefined;
      if (!payload || typeof payload !== 'object') throw new Error('no payload');
      const cls =
        typeof payload.wrapped === 'string'
          ? payload.wrapped
          : typeof payload.class === 'string'
            ? payload.class
            : undefined;
      tasks.push({
        id: typeof payload.jid === 'string' ? payload.jid : undefined,
        title: cls,
        type: typeof work.queue === 'string' ? work.queue : undefined,
        startedAt: typeof work.run_at === 'number' ? work.run_at * 1000 : undefined,
      });
    } catch (err) {
      problems.push(`the job on thread ${thread.slice(0, 20)} does not decode: ${(err as Error).message}`);
    }
  }
  if (!tasks.length) return undefined;
  tasks.sort((a, b) => (a.startedAt ?? Infinity) - (b.startedAt ?? Infinity));
  const first = tasks[0];
  return tasks.length > 1
    ? { ...first, title: `${first.title ?? first.id ?? 'job'} (+${tasks.length - 1} more)` }
    : first;
}
