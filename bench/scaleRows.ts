import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { startRedis } from '../test/harness/redisServer';
import { startRedisCluster } from '../test/harness/redisCluster';
import type { BenchRow } from './fleetBench';
import { benchScale } from './scaleBench';

/** The 100,000-worker rows on a fresh redis-server of their own, then on a real 3-primary + 3-replica cluster. */
export async function benchScaleAll(n: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const redis = await startRedis();
  try {
    const writer = redis.client();
    const nodes = [redis.client()];
    rows.push(realtimeRow('redis', n, await ownCore(nodes)));
    rows.push(...(await benchScale({ label: 'redis', writer, nodes, source: { url: redis.url } }, n)));
  } finally {
    await redis.stop();
  }
  const cluster = await startRedisCluster();
  try {
    const nodes = cluster.nodes.map((node) => cluster.nodeClient(node.port));
    const primaries = await cluster.primaries();
    rows.push(realtimeRow('cluster', n, await ownCore(primaries.map((port) => cluster.nodeClient(port)))));
    const writer = cluster.client();
    rows.push(
      ...(await benchScale({ label: 'cluster', writer, nodes, source: { url: cluster.url, cluster: true } }, n)),
    );
  } finally {
    await cluster.stop();
  }
  return rows;
}

const realtimeRow = (label: string, workers: number, ok: boolean): BenchRow => ({
  metric: `scale_redis_realtime.${label}`,
  workers,
  value: ok ? 1 : 0,
  unit: ok ? 'redis-server under SCHED_FIFO (chrt)' : 'redis-server shares the CPU: SLOWLOG includes scheduling delays',
});

/**
 * Gives the redis-servers the observer reads a core of their own, as a production Redis has:
 * SCHED_FIFO, so none of this machine's other processes (the bench's own writer and observer,
 * on 2 cores) preempts a command halfway. SLOWLOG times a command by the wall clock, so without
 * this it charges a 1 ms command with every moment the scheduler gave the core to someone else:
 * one-key HGETALLs measured up to 7–10 ms here (the `slowlog_floor_ms` row). Needs root or
 * CAP_SYS_NICE; BENCH_REDIS_REALTIME=0 measures without it.
 */
async function ownCore(clients: Redis[]): Promise<boolean> {
  if (process.env.BENCH_REDIS_REALTIME === '0') return false;
  try {
    for (const c of clients) {
      const pid = /^process_id:(\d+)/m.exec(await c.info('server'))?.[1];
      if (!pid) return false;
      await promisify(execFile)('chrt', ['--fifo', '--pid', '10', pid]);
      // All on the last core: a cluster's three primaries under SCHED_FIFO could otherwise hold both
      // of this VM's cores at once and stall the observer, which in production runs on another machine.
      // (One FIFO server does not preempt another halfway through a command: each runs until it waits.)
      if (cpus().length > 1)
        await promisify(execFile)('taskset', ['--all-tasks', '--cpu-list', '--pid', String(cpus().length - 1), pid]);
    }
    return true;
  } catch (err) {
    console.log(`  (redis-server keeps normal scheduling: ${(err as Error).message.split('\n')[0]})`);
    return false;
  }
}
