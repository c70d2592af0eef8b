import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Cluster, Redis } from 'ioredis';
import { toState } from '../src/companion/fleetWriters';
import { stateHash } from '../src/companion/orchestratorFormat';
import { SimFleet } from '../src/companion/simFleet';
import { readAllBounded, type BoundedState } from '../src/sources/redis/boundedRead';
import { ORCHESTRATOR_FIELDS, ORCHESTRATOR_KEYS } from '../src/sources/redis/orchestratorPreset';
import { pacedIntervalMs } from '../src/sources/redis/readPacing';
import type { RedisSourceOptions } from '../src/sources/redis/redisSource';
import { benchMemoryAndClassify, median, observe, percentile, type BenchRow } from './fleetBench';
import { scriptRuns, scriptUsec } from '../test/harness/commandStats';

/**
 * The rows at 100,000 workers (issue 12), for one Redis or a cluster: what a full read costs the
 * observer and the store, how fast one change reaches the Fleet, what watching costs at rest, the
 * memory per worker, and the bench process's event-loop delay while 1,000 workers change per second.
 * Every node's SLOWLOG (threshold 0.5 ms) is read afterwards for the observer's own commands (its
 * connections are named worker-lens): the longest one is the row the issue bounds at 5 ms.
 */
export interface ScaleTarget {
  /** 'redis' or 'cluster': the metric suffix. */
  label: string;
  /** A client for writing the fleet (a Cluster routes each key). */
  writer: Redis | Cluster;
  /** One client per node, for SLOWLOG and INFO commandstats. */
  nodes: Redis[];
  /** How the source connects. */
  source: Pick<RedisSourceOptions, 'url'> & Partial<RedisSourceOptions>;
}

const CHANGES_PER_S = 1000;
const CHURN_S = 5;
const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

export async function benchScale(target: ScaleTarget, n: number): Promise<BenchRow[]> {
  const { writer, nodes, label } = target;
  const rows: BenchRow[] = [];
  const row = (metric: string, value: number, unit: string) =>
    rows.push({ metric: `scale_${metric}.${label}`, workers: n, value, unit });
  const ids = await populate(writer, n);
  await Promise.all(nodes.map((c) => c.config('SET', 'notify-keyspace-events', 'Kh$sg')));
  await Promise.all(
    nodes.map(async (c) => (await c.config('SET', 'slowlog-log-slower-than', '500'), c.slowlog('RESET'))),
  );
  await Promise.all(nodes.map((c) => c.config('SET', 'slowlog-max-len', '10000')));

  // Full read, as the source does it; and the commands it cost. Five reads: the first also warms this
  // process's JIT and varies most, so the median of five is steadier than of three; the range is printed.
  const times: number[] = [];
  let commands = 0;
  for (let i = 0; i < 5; i++) {
    const c0 = await commandStats(nodes);
    // Each read from a collected heap: its own garbage timed, not what the last section or read left.
    (globalThis as { gc?: () => void }).gc?.();
    const t = performance.now();
    const state: BoundedState = {};
    const got = await readAllBounded(writer as Redis, ORCHESTRATOR_KEYS, ORCHESTRATOR_FIELDS, state);
    times.push(performance.now() - t);
    commands = topLevelCommands(c0, await commandStats(nodes), nodes.length);
    if (got.length !== n) throw new Error(`read ${got.length} of ${n} workers`);
    if (i === 0 && label === 'redis') {
      for (const r of benchMemoryAndClassify(n, got)) row(r.metric, r.value, r.unit);
    }
  }
  row(
    'full_read_ms',
    round(median(times), 0),
    `ms (median of ${times.length}; ${Math.round(Math.min(...times))}–${Math.round(Math.max(...times))})`,
  );
  row('full_read_commands', commands, 'commands');
  const interval = pacedIntervalMs(15_000, commands, n);
  row('reconcile_every_s', round(interval / 1000, 1), 's');
  row('idle_cmds_per_s', round(commands / (interval / 1000), 2), 'cmd/s');

  // A live source on the fleet: change → Fleet, and the event-loop delay under a flood.
  const firstRead = performance.now();
  const o = await observe(target.source.url, 'keyspace', 2000, target.source);
  try {
    await until(() => o.fleet.size === n, 120_000, 'the source read the whole fleet');
    row('first_read_live_ms', round(performance.now() - firstRead, 0), 'ms');
    // Going live asks for one more full read (changes may have been missed meanwhile): let it land first.
    await until(() => performance.now() - o.lastFullRead > 3000, 60_000, 'no full read for 3 s');
    const slow = await churn(writer, ids, o.seenAt, 100, CHURN_S);
    row('change_to_fleet_p50_ms', round(percentile(slow, 50)), 'ms');
    row('change_to_fleet_p95_ms', round(percentile(slow, 95)), 'ms');
    const eld = monitorEventLoopDelay({ resolution: 5 });
    eld.enable();
    const flood = await churn(writer, ids, o.seenAt, CHANGES_PER_S, CHURN_S);
    eld.disable();
    row('event_loop_p99_ms', round(eld.percentile(99) / 1e6, 1), 'ms');
    row('flood_change_to_fleet_p95_ms', round(percentile(flood, 95)), 'ms');
  } finally {
    await o.source.dispose();
  }
  const longest = await longestObserverCommand(nodes);
  row('slowlog_longest_ms', round(longest.us / 1000, 2), `ms (${longest.command})`);
  row('slowlog_over_5ms', longest.over5ms, 'commands');
  row('script_mean_ms', round((await scriptUsecPerCall(nodes)) / 1000, 3), 'ms per script');
  row('slowlog_floor_ms', round((await jitterFloor(writer, ids, nodes)) / 1000, 2), 'ms (longest of 100,000 HGETALL)');
  return rows;
}

/** N simulated workers as hashes, written key by key (a cluster routes each). */
async function populate(writer: Redis | Cluster, n: number): Promise<string[]> {
  const sim = new SimFleet({ workers: n, seed: 7 });
  const ids = sim.workers.map((w) => w.id);
  for (let i = 0; i < ids.length; i += 1000) await writer.sadd(ORCHESTRATOR_KEYS.activeSet, ...ids.slice(i, i + 1000));
  for (let i = 0; i < sim.workers.length; i += 2000)
    await Promise.all(
      sim.workers.slice(i, i + 2000).map((w) => writer.hset(`worker:state:${w.id}`, stateHash(toState(w)))),
    );
  return ids;
}

/** `rate` task changes per second for `seconds`; each latency is from the write's reply to the Fleet holding it. */
async function churn(
  writer: Redis | Cluster,
  ids: string[],
  seen: Map<string, number>,
  rate: number,
  seconds: number,
): Promise<number[]> {
  const sent: { task: string; at: number }[] = [];
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < rate * seconds; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const task = `B-${rate}-${i}`;
    const now = new Date().toISOString();
    const current = { id: task, title: 'bench', task_type: 'bench', repository: 'bench', started_at: now };
    // A distinct worker per change within a churn: each change is seen as itself, never merged into a later one.
    const id = ids[(i * 7919) % ids.length];
    pending.push(
      writer
        .hset(`worker:state:${id}`, { status: 'working', last_activity: now, current_task: JSON.stringify(current) })
        .then(() => void sent.push({ task, at: performance.now() })),
    );
  }
  await Promise.all(pending);
  await until(() => sent.every((s) => seen.has(s.task)), 10_000, '').catch(() => undefined);
  return sent.filter((s) => seen.has(s.task)).map((s) => seen.get(s.task)! - s.at);
}

async function commandStats(nodes: Redis[]): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const c of nodes)
    for (const m of (await c.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
      calls.set(m[1], (calls.get(m[1]) ?? 0) + Number(m[2]));
  return calls;
}

/**
 * The commands a read sent. Redis also counts the calls a script makes inside it, so where the
 * read used scripts it is the scripts and the scans; otherwise everything but our own INFO.
 */
function topLevelCommands(before: Map<string, number>, after: Map<string, number>, infos: number): number {
  const delta = (cmd: string) => (after.get(cmd) ?? 0) - (before.get(cmd) ?? 0);
  const scripts = delta('eval_ro') + delta('evalsha_ro');
  if (scripts > 0) return scripts + delta('sscan');
  let total = 0;
  for (const cmd of after.keys()) total += delta(cmd);
  return total - infos;
}

/** The longest command any node logged for a client named worker-lens…, and how many took over 5 ms. */
async function longestObserverCommand(nodes: Redis[]): Promise<{ us: number; command: string; over5ms: number }> {
  let best = { us: 0, command: 'none over 0.5 ms', over5ms: 0 };
  for (const c of nodes) {
    const entries = (await c.slowlog('GET', 10000)) as [number, number, number, string[], string, string][];
    for (const [, , us, args, , name] of entries) {
      if (!String(name).startsWith('worker-lens')) continue;
      if (us > 5000) best.over5ms++;
      if (us > best.us) best = { ...best, us, command: String(args[0]).toUpperCase() };
    }
  }
  return best;
}

/** Redis's own mean time per observer script (INFO commandstats usec_per_call, over all nodes). */
async function scriptUsecPerCall(nodes: Redis[]): Promise<number> {
  let usec = 0;
  let calls = 0;
  for (const c of nodes) {
    const stats = await c.info('commandstats');
    [calls, usec] = [calls + scriptRuns(stats), usec + scriptUsec(stats)];
  }
  return calls ? usec / calls : 0;
}

/**
 * The machine's floor for SLOWLOG: the longest of 100,000 one-key HGETALLs (microseconds of work
 * each) as SLOWLOG times them. On a shared 2-core VM the wall clock a command is charged with
 * includes the moments Redis was not scheduled, so no command of anyone's can be shown shorter.
 */
async function jitterFloor(writer: Redis | Cluster, ids: string[], nodes: Redis[]): Promise<number> {
  await Promise.all(nodes.map((c) => c.slowlog('RESET')));
  for (let i = 0; i < ids.length; i += 1000)
    await Promise.all(ids.slice(i, i + 1000).map((id) => writer.hgetall(`worker:state:${id}`)));
  let longest = 0;
  for (const c of nodes)
    for (const [, , us, args] of (await c.slowlog('GET', 10000)) as [number, number, number, string[]][])
      if (String(args[0]).toLowerCase() === 'hgetall') longest = Math.max(longest, us);
  return longest;
}

async function until(ok: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
