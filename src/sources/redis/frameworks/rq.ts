import type { Redis } from 'ioredis';
import type { Liveness, WorkerSnapshot } from '../../../core/model';
import { intOf, isoMs, type FrameworkLayout, type FrameworkRead, type ReadContext } from './framework';
import { rqActivity } from './rqActivity';

const WORKERS = 'rq:workers';
const PREFIX = 'rq:worker:';

/**
 * RQ idle workers beat every ~405 s (record TTL 480 s), busy ones every 30 s while the job
 * runs (TTL 90 s): judged by the state they are in, so an idle worker is not dead after 41 s.
 */
const IDLE: Liveness = {
  unresponsiveAfterMs: 420_000,
  deadAfterMs: 480_000,
  rule: 'RQ: an idle worker beats every ~405 s',
};
const BUSY: Liveness = { unresponsiveAfterMs: 60_000, deadAfterMs: 90_000, rule: 'RQ: a busy worker beats every 30 s' };

/**
 * RQ (python-rq): the set `rq:workers` of `rq:worker:<name>` hashes; the job a busy worker
 * runs is the hash `rq:job:<id>`, whose `description` is what a person recognises
 * (`jobs.resize(42)`). Each worker names its connection with its own name (CLIENT SETNAME):
 * once seen by name, a connection that closes means the process is gone, at once.
 */
export function rqLayout(): FrameworkLayout {
  /** Workers whose named connection was seen: only for these does a missing name mean death. */
  const connected = new Set<string>();
  return {
    id: 'rq',
    label: 'RQ',
    leftListingMeans: 'stopped',
    activity: rqActivity(),
    lookedFor: `RQ (set ${WORKERS})`,
    detect: async (client) => (await client.exists(WORKERS)) === 1,
    async read(client: Redis, ctx: ReadContext): Promise<FrameworkRead> {
      const keys = (await client.smembers(WORKERS)).sort();
      const gone = new Map<string, string>();
      if (!keys.length) return { workers: [], gone };
      const p = client.pipeline();
      for (const k of keys) p.hgetall(k);
      const hashes = ((await p.exec()) ?? []).map(([err, v]) => (err ? undefined : (v as Record<string, string>)));
      const names = ctx.clients && new Set(ctx.clients.map((c) => c.name));
      const workers: WorkerSnapshot[] = [];
      const jobs: [WorkerSnapshot, string][] = [];
      keys.forEach((key, i) => {
        const name = key.startsWith(PREFIX) ? key.slice(PREFIX.length) : key;
        const id = `rq:${name}`;
        const h = hashes[i];
        if (!h || !Object.keys(h).length) {
          gone.set(
            id,
            `Its record ${key} expired while it is still listed in ${WORKERS}: it stopped without saying so (killed)`,
          );
          return;
        }
        const w = snapshotOf(id, name, h, ctx.now);
        if (names?.has(name)) connected.add(name);
        else if (names && connected.has(name) && !h.death)
          w.gone = `Its Redis connection (client name "${name}") closed: the process is gone`;
        workers.push(w);
        if (h.current_job && h.state === 'busy') jobs.push([w, h.current_job]);
      });
      if (jobs.length) {
        const jp = client.pipeline();
        for (const [, job] of jobs) jp.hmget(`rq:job:${job}`, 'description', 'started_at');
        const res = (await jp.exec()) ?? [];
        jobs.forEach(([w, job], i) => {
          const [err, v] = res[i] ?? [];
          const [description, startedAt] = err ? [] : ((v as (string | null)[]) ?? []);
          // The job hash may be gone already (result TTL): the id alone still says which job.
          w.task = { id: job, title: description ?? undefined, startedAt: isoMs(startedAt) };
        });
      }
      return { workers, gone };
    },
  };
}

function snapshotOf(id: string, name: string, h: Record<string, string>, now: number): WorkerSnapshot {
  const problems: string[] = [];
  const beat = isoMs(h.last_heartbeat);
  if (h.last_heartbeat && beat === undefined)
    problems.push(`last_heartbeat "${h.last_heartbeat.slice(0, 40)}" is not a time`);
  const birth = isoMs(h.birth);
  const state = h.state?.toLowerCase();
  return {
    id,
    name,
    // A clean stop writes `death`: a state of its own, not a crash.
    status: h.death ? 'stopped' : state,
    lastHeartbeat: beat,
    pid: intOf(h.pid),
    host: h.hostname || undefined,
    specialization: h.queues ? `RQ · ${h.queues.split(',').join(', ')}` : 'RQ',
    completed: intOf(h.successful_job_count),
    errors: intOf(h.failed_job_count),
    uptimeSeconds: birth !== undefined ? Math.max(0, Math.round((now - birth) / 1000)) : undefined,
    liveness: state === 'busy' ? BUSY : IDLE,
    problems,
  };
}
