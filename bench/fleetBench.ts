import type { Redis } from 'ioredis';
import { Fleet } from '../src/core/fleet';
import type { WorkerSnapshot } from '../src/core/model';
import { parseRecord } from '../src/core/record';
import { RedisFleetWriter } from '../src/companion/fleetWriters';
import { SimFleet } from '../src/companion/simFleet';
import { ORCHESTRATOR_FIELDS, ORCHESTRATOR_KEYS } from '../src/sources/redis/orchestratorPreset';
import { readWorkers } from '../src/sources/redis/readWorkers';
import { readAllBounded, type BoundedState } from '../src/sources/redis/boundedRead';
import { RedisSource, type RedisSourceOptions } from '../src/sources/redis/redisSource';
import type { PushMode } from '../src/sources/redis/pushPaths';
import type { SourceSink } from '../src/sources/source';
import { fleetSink } from '../src/core/sourceSink';
import { scriptRuns } from '../test/harness/commandStats';

/** One measured figure, as bench/results.json stores it. */
export interface BenchRow {
  metric: string;
  workers: number;
  value: number;
  unit: string;
}

export const median = (xs: number[]) => percentile(xs, 50);
export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

/** Writes N simulated workers in the orchestrator format (hash and JSON-string forms). */
export async function populate(client: Redis, n: number): Promise<string[]> {
  await client.flushall();
  const sim = new SimFleet({ workers: n, seed: 7 });
  await new RedisFleetWriter(client).write(sim.workers, []);
  return sim.workers.map((w) => w.id);
}

/**
 * snapshot_ms (one pipelined read, as the source does) vs snapshot_naive_ms (a round trip per worker, as seed 000's
 * monitor).
 */
export async function benchSnapshot(client: Redis, n: number): Promise<BenchRow[]> {
  const piped: number[] = [];
  const state: BoundedState = {};
  for (let i = 0; i < 5; i++) {
    // What the source's full read does: SSCAN, then one read-only script per batch of workers.
    const t = performance.now();
    const w = await readAllBounded(client, ORCHESTRATOR_KEYS, ORCHESTRATOR_FIELDS, state);
    piped.push(performance.now() - t);
    if (w.length !== n) throw new Error(`read ${w.length} of ${n} workers`);
  }
  const naive: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const ids = await client.smembers(ORCHESTRATOR_KEYS.activeSet);
    for (const id of ids) {
      const key = `worker:state:${id}`;
      const rec = await client.hgetall(key).catch(async () => JSON.parse((await client.get(key)) ?? '{}'));
      parseRecord(id, rec, ORCHESTRATOR_FIELDS);
    }
    naive.push(performance.now() - t);
  }
  const hints = new Map();
  const pipelined: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const ids = await client.smembers(ORCHESTRATOR_KEYS.activeSet);
    await readWorkers(client, ids, ORCHESTRATOR_KEYS, ORCHESTRATOR_FIELDS, { typeHints: hints });
    pipelined.push(performance.now() - t);
  }
  return [
    { metric: 'snapshot_ms', workers: n, value: round(median(piped)), unit: 'ms' },
    { metric: 'snapshot_pipelined_ms', workers: n, value: round(median(pipelined)), unit: 'ms' },
    { metric: 'snapshot_naive_ms', workers: n, value: round(median(naive)), unit: 'ms' },
  ];
}

/**
 * A Fleet fed by a RedisSource (`extra`: a cluster's options, say), with the time each marker task
 * (an id starting "B-") first appeared in it and when the source last delivered a full read.
 */
export async function observe(url: string, push: PushMode, pollMs: number, extra: Partial<RedisSourceOptions> = {}) {
  const fleet = new Fleet();
  const seenAt = new Map<string, number>();
  fleet.onChange((c) => {
    const now = performance.now();
    for (const id of c.changed) {
      const task = fleet.get(id)?.snapshot.task?.id;
      if (task?.startsWith('B-') && !seenAt.has(task)) seenAt.set(task, now);
    }
  });
  const sink: SourceSink = fleetSink(fleet);
  let lastFullRead = 0;
  const source = new RedisSource({ url, pollMs, reconcileMs: 15_000, push, ...extra });
  source.start({ ...sink, replaceAll: (w) => ((lastFullRead = performance.now()), sink.replaceAll(w)) });
  const deadline = Date.now() + 120_000;
  while (!(fleet.connection.state === 'connected' && (push === 'off' || !/^poll/.test(source.liveMode)))) {
    if (Date.now() > deadline) throw new Error(`source never went live with push=${push} (${source.liveMode})`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    fleet,
    source,
    seenAt,
    get lastFullRead() {
      return lastFullRead;
    },
  };
}

/**
 * Churn: `rate` changes per second for `seconds`, each a worker taking a task whose id
 * is a marker, announced on events:stream as the orchestrator does. Latency = from the
 * write's reply to the Fleet holding the new state. Returns the latencies in ms and the
 * number of commands the writer sent.
 */
export async function churn(
  writer: Redis,
  ids: string[],
  seenAt: Map<string, number>,
  rate: number,
  seconds: number,
): Promise<{ latencies: number[]; writerCmds: number }> {
  const sent: { id: string; seq: number; at: number }[] = [];
  const isHash = new Map<string, boolean>();
  for (const [i, t] of (await Promise.all(ids.map((id) => writer.type(`worker:state:${id}`)))).entries())
    isHash.set(ids[i], t === 'hash');
  const writerCmds0 = ids.length;
  const total = rate * seconds;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const id = ids[(i * 7919) % ids.length];
    const now = new Date().toISOString();
    const task = { id: `B-${i}`, title: 'bench', task_type: 'bench', repository: 'bench', started_at: now };
    const key = `worker:state:${id}`;
    const p = writer.pipeline();
    if (isHash.get(id)) p.hset(key, { status: 'working', last_activity: now, current_task: JSON.stringify(task) });
    else p.set(key, JSON.stringify({ status: 'working', last_activity: now, current_task: task }));
    p.xadd('events:stream', 'MAXLEN', '~', '10000', '*', 'worker_id', id, 'event', 'task_started');
    await p.exec();
    sent.push({ id, seq: i, at: performance.now() });
  }
  // A change counts as seen when the Fleet shows it or a later change of the same worker
  // (a poll, or a batch, may skip straight to the newer one: the user saw fresher data).
  const seenFor = (s: { id: string; seq: number }) => {
    let best = Infinity;
    for (const later of sent)
      if (later.id === s.id && later.seq >= s.seq) best = Math.min(best, seenAt.get(`B-${later.seq}`) ?? Infinity);
    return best;
  };
  const deadline = performance.now() + 5000;
  while (sent.some((s) => seenFor(s) === Infinity) && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const latencies = sent.map((s) => seenFor(s) - s.at).filter((l) => Number.isFinite(l));
  return { latencies, writerCmds: writerCmds0 + 2 * total };
}

/**
 * Total commands and blocking reads the server has executed (INFO commandstats). Redis also
 * counts the calls a script makes inside it under their own names; `inScripts` is those names'
 * count (HGETALL, GET, TYPE) for `sent()` to take out when scripts ran.
 */
export async function commandCount(
  admin: Redis,
): Promise<{ total: number; blocking: number; scripts: number; inScripts: number }> {
  const info = await admin.info('commandstats');
  let total = 0;
  let blocking = 0;
  let inScripts = 0;
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    const calls = Number(m[2]);
    if (m[1] === 'xread') blocking += calls;
    else total += calls;
    if (m[1] === 'hgetall' || m[1] === 'get' || m[1] === 'type') inScripts += calls;
  }
  return { total, blocking, scripts: scriptRuns(info), inScripts };
}

/**
 * Commands clients sent between two counts: a script's own calls are not commands anyone sent
 * (for idle windows only: nothing else reads then).
 */
export function sent(
  before: Awaited<ReturnType<typeof commandCount>>,
  after: Awaited<ReturnType<typeof commandCount>>,
): number {
  const inScripts = after.scripts > before.scripts ? after.inScripts - before.inScripts : 0;
  return after.total - before.total - inScripts;
}

/** bytes_per_worker (heap delta / N) and classify_ms (whole-fleet reclassify). */
export function benchMemoryAndClassify(n: number, snapshots: WorkerSnapshot[]): BenchRow[] {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  // Small fleets are measured as many copies, so the heap's noise does not swamp them.
  const copies = Math.max(1, Math.ceil(20_000 / n));
  const before = process.memoryUsage().heapUsed;
  const fleets = Array.from({ length: copies }, () => {
    const f = new Fleet();
    f.replaceAll(snapshots.map((s) => structuredClone(s)));
    return f;
  });
  gc?.();
  gc?.();
  const bytes = (process.memoryUsage().heapUsed - before) / (n * copies);
  const fleet = fleets[0];
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    fleet.reclassify();
    times.push(performance.now() - t);
  }
  if (fleet.size !== n) throw new Error('fleet lost workers');
  return [
    { metric: 'bytes_per_worker', workers: n, value: Math.round(bytes), unit: 'bytes' },
    { metric: 'classify_ms', workers: n, value: round(median(times), 3), unit: 'ms' },
  ];
}
