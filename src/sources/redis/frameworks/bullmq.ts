import type { Redis } from 'ioredis';
import type { Liveness, WorkerSnapshot } from '../../../core/model';
import {
  anyKey,
  hostOfAddr,
  intOf,
  type FrameworkLayout,
  type FrameworkRead,
  type NamedClient,
  type ReadContext,
} from './framework';
import { bullmqActivity, type BullQueue } from './bullmqActivity';

/** Queues remembered for the activity feed (a queue whose workers all died still has a depth worth seeing). */
const MAX_QUEUES = 50;

/** `<prefix>:<base64 queue>:w:<worker name>`, the name `queue.getWorkers()` looks for. */
const WORKER_NAME = /^(.+):([A-Za-z0-9+/]+={0,2}):w:(.+)$/;
/** The connection is the proof of life: it is seen at every read, so late means we could not read. */
const LIVENESS: Liveness = {
  unresponsiveAfterMs: 15_000,
  deadAfterMs: 30_000,
  rule: 'BullMQ: alive while its named connection is open',
};

interface Found {
  prefix: string;
  queue: string;
  name: string;
  addr: string;
}

/**
 * BullMQ keeps no worker record: a worker is a Redis connection named
 * `bull:<base64 queue>:w:<name>` (CLIENT LIST), gone the moment the process dies. The
 * job it runs is in `<prefix>:<queue>:active`, its hash has `name` (what a person
 * recognises), `processedOn` and `pb` (the worker's name). Without CLIENT LIST there is
 * nothing to list.
 */
export function bullmqLayout(): FrameworkLayout {
  const queues = new Map<string, BullQueue>();
  return {
    id: 'bullmq',
    label: 'BullMQ',
    leftListingMeans: 'dead',
    activity: bullmqActivity(() => [...queues.values()]),
    lookedFor: 'BullMQ (connections named bull:<queue>:w:<name>, keys bull:*:meta)',
    detect: async (client) => {
      try {
        const names = String(await client.client('LIST'));
        if (/ name=[^ ]+:w:/.test(names)) return true;
      } catch {
        // Refused by ACL: the queue keys still say BullMQ is here.
      }
      return anyKey(client, 'bull:*:meta');
    },
    async read(client: Redis, ctx: ReadContext): Promise<FrameworkRead> {
      const gone = new Map<string, string>();
      if (!ctx.clients) return { workers: [], gone };
      const found = ctx.clients.flatMap((c) => parseWorker(c) ?? []);
      for (const f of found)
        if (queues.size < MAX_QUEUES) queues.set(`${f.prefix}:${f.queue}`, { prefix: f.prefix, queue: f.queue });
      const seen = new Map<string, number>();
      const workers: WorkerSnapshot[] = [];
      for (const f of found) {
        // Two processes may share a name: both are shown.
        const base = `bullmq:${f.queue}:${f.name}`;
        const n = (seen.get(base) ?? 0) + 1;
        seen.set(base, n);
        workers.push({
          id: n > 1 ? `${base}#${n}` : base,
          name: f.name,
          status: 'idle',
          lastHeartbeat: ctx.now,
          host: hostOfAddr(f.addr),
          specialization: `BullMQ · ${f.queue}`,
          liveness: LIVENESS,
          problems: [],
        });
      }
      await addJobs(client, found, workers);
      return { workers, gone };
    },
  };
}

function parseWorker(c: NamedClient): Found | undefined {
  const m = WORKER_NAME.exec(c.name);
  if (!m) return undefined;
  const queue = Buffer.from(m[2], 'base64').toString('utf8');
  // Not every `x:y:w:z` name is BullMQ's: the middle part must be base64 of readable text.
  if (!queue || Buffer.from(queue, 'utf8').toString('base64').replace(/=+$/, '') !== m[2].replace(/=+$/, ''))
    return undefined;
  return { prefix: m[1], queue, name: m[3], addr: c.addr };
}

/** Each queue's active jobs, given to the worker whose name processed them (`pb`). */
async function addJobs(client: Redis, found: Found[], workers: WorkerSnapshot[]): Promise<void> {
  const queues = [...new Map(found.map((f) => [`${f.prefix}:${f.queue}`, f.queue])).entries()];
  if (!queues.length) return;
  const lp = client.pipeline();
  for (const [key] of queues) lp.lrange(`${key}:active`, 0, 999);
  const lists = ((await lp.exec()) ?? []).map(([err, v]) => (err ? [] : (v as string[])));
  const jobs = queues.flatMap(([q, queue], i) => lists[i].map((id) => ({ q, queue, id })));
  if (!jobs.length) return;
  const hp = client.pipeline();
  for (const j of jobs) hp.hmget(`${j.q}:${j.id}`, 'name', 'processedOn', 'pb', 'progress');
  const res = (await hp.exec()) ?? [];
  const byName = new Map<string, WorkerSnapshot>();
  for (const w of workers) byName.set(`${w.specialization}\0${w.name}`, w);
  jobs.forEach((j, i) => {
    const [err, v] = res[i] ?? [];
    if (err) return;
    const [name, processedOn, pb, progress] = v as (string | null)[];
    const w = pb ? byName.get(`BullMQ · ${j.queue}\0${pb}`) : undefined;
    if (!w || w.task) return;
    const pct = progress && /^\d+(\.\d+)?$/.test(progress) ? ` (${progress}%)` : '';
    w.status = 'busy';
    w.task = { id: j.id, title: name ? `${name}${pct}` : undefined, startedAt: intOf(processedOn) };
  });
}
