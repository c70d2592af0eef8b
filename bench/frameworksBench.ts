/*
 * Framework fleets: the time from SIGKILL of an idle real worker to "unresponsive" and to
 * "dead" in the Fleet (issue 16 targets: Sidekiq ≤ 20 s, Celery ≤ 5 s, BullMQ ≤ 5 s,
 * RQ ≤ 30 s, dead or unresponsive), and one full read of 1,000 synthetic workers per
 * framework. Run alone: node --import tsx bench/frameworksBench.ts
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Fleet } from '../src/core/fleet';
import { fleetSink } from '../src/core/sourceSink';
import { FrameworkSource } from '../src/sources/redis/frameworks/frameworkSource';
import { layoutsFor } from '../src/sources/redis/frameworks/layouts';
import type { FrameworkId } from '../src/sources/redis/frameworks/framework';
import { parseClientList } from '../src/sources/redis/frameworks/framework';
import { ensureFrameworks, FrameworkWorkers, waitFor, type WorkerProcess } from '../test/harness/frameworks';
import { startRedis, type RedisServer } from '../test/harness/redisServer';
import type { BenchRow } from './fleetBench';

export async function benchFrameworks(): Promise<BenchRow[]> {
  ensureFrameworks();
  const rows: BenchRow[] = [];
  const redis = await startRedis();
  const workers = new FrameworkWorkers(redis.url);
  try {
    const start: Record<FrameworkId, (w: FrameworkWorkers) => WorkerProcess> = {
      rq: (w) => w.rq('bench-rq', 'default'),
      sidekiq: (w) => w.sidekiq('bench-sk', 'default'),
      celery: (w) => w.celery('bench-celery', 'default'),
      bullmq: (w) => w.bullmq('bench-bull', 'default'),
    };
    for (const id of ['rq', 'sidekiq', 'celery', 'bullmq'] as const)
      rows.push(...(await killToDead(redis, workers, id, start[id])));
    const client = redis.client();
    for (const id of ['rq', 'sidekiq', 'bullmq'] as const) rows.push(await read1000(redis, client, id));
  } finally {
    await workers.stopAll();
    await redis.stop();
  }
  return rows;
}

/** Starts one real worker, waits until the Fleet shows it healthy, SIGKILLs it and times unresponsive and dead. */
async function killToDead(
  redis: RedisServer,
  workers: FrameworkWorkers,
  id: FrameworkId,
  start: (w: FrameworkWorkers) => WorkerProcess,
): Promise<BenchRow[]> {
  const fleet = new Fleet();
  const p = start(workers);
  const source = new FrameworkSource({ url: redis.url, frameworks: [id], pollMs: 1000 });
  source.start(fleetSink(fleet));
  const mine = () => {
    fleet.reclassify();
    return fleet.workers().find((w) => w.snapshot.name === p.name || w.snapshot.name.startsWith(`${p.name}@`));
  };
  try {
    await waitFor(() => mine()?.health === 'healthy', {
      timeoutMs: 90_000,
      message: () => `${p.name} healthy: ${p.output().slice(-300)}`,
    });
    const killed = Date.now();
    p.signal('SIGKILL');
    let unresponsive: number | undefined;
    await waitFor(
      () => {
        const h = mine()?.health;
        if (h === 'unresponsive' && unresponsive === undefined) unresponsive = Date.now() - killed;
        return h === 'dead';
      },
      { timeoutMs: 120_000, intervalMs: 100, message: `${p.name} dead` },
    );
    const dead = Date.now() - killed;
    const s = (ms: number) => +(ms / 1000).toFixed(1);
    const out: BenchRow[] = [{ metric: `sigkill_to_dead_s.${id}`, workers: 1, value: s(dead), unit: 's' }];
    out.push({ metric: `sigkill_to_unresponsive_s.${id}`, workers: 1, value: s(unresponsive ?? dead), unit: 's' });
    for (const r of out) console.log(`  ${r.metric.padEnd(34)} ${r.value} ${r.unit}`);
    return out;
  } finally {
    await source.dispose();
  }
}

/** Writes 1,000 workers in the framework's layout and times one read of them (median of 5). */
async function read1000(redis: RedisServer, client: Redis, id: 'rq' | 'sidekiq' | 'bullmq'): Promise<BenchRow> {
  await client.flushdb();
  const N = 1000;
  const now = Date.now();
  const conns: Redis[] = [];
  const m = client.pipeline();
  for (let i = 0; i < N; i++) {
    if (id === 'rq') {
      m.sadd('rq:workers', `rq:worker:w${i}`);
      m.hset(`rq:worker:w${i}`, {
        state: i % 2 ? 'busy' : 'idle',
        last_heartbeat: new Date(now).toISOString(),
        birth: new Date(now - 60_000).toISOString(),
        pid: String(1000 + i),
        hostname: 'h',
        queues: 'default',
        ...(i % 2 ? { current_job: `j${i}` } : {}),
      });
      if (i % 2) m.hset(`rq:job:j${i}`, { description: `jobs.resize(${i})`, started_at: new Date(now).toISOString() });
    } else if (id === 'sidekiq') {
      const identity = `h:${1000 + i}:abc${i}`;
      m.sadd('processes', identity);
      m.hset(identity, {
        info: JSON.stringify({
          hostname: 'h',
          pid: 1000 + i,
          tag: `sk${i}`,
          queues: ['default'],
          started_at: now / 1000,
        }),
        busy: '1',
        beat: String(now / 1000),
        quiet: 'false',
        rss: '30000',
      });
      m.hset(
        `${identity}:workers`,
        'tid',
        JSON.stringify({
          queue: 'default',
          payload: JSON.stringify({ class: 'LongJob', jid: `j${i}`, args: [1] }),
          run_at: now / 1000,
        }),
      );
    }
  }
  await m.exec();
  if (id === 'bullmq') {
    // A BullMQ worker is a named connection: open N of them.
    for (let i = 0; i < N; i++) {
      const c = new Redis({
        port: redis.port,
        host: '127.0.0.1',
        connectionName: `bull:${Buffer.from('q').toString('base64')}:w:w${i}`,
        lazyConnect: true,
      });
      conns.push(c);
    }
    await Promise.all(conns.map((c) => c.connect()));
  }
  try {
    const layout = layoutsFor([id])[0];
    const times: number[] = [];
    let count = 0;
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now();
      const clients = parseClientList(String(await client.client('LIST')));
      count = (await layout.read(client, { now: Date.now(), clients })).workers.length;
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const row = { metric: `read_ms.${id}`, workers: count, value: +times[2].toFixed(1), unit: 'ms' };
    console.log(`  ${row.metric.padEnd(34)} N=${count} ${row.value} ms`);
    return row;
  } finally {
    for (const c of conns) c.disconnect();
  }
}

/** Run alone: prints, and replaces this bench's rows in bench/results.json (the other rows are kept). */
if (require.main === module) {
  benchFrameworks().then(
    (rows) => {
      const out = join(__dirname, 'results.json');
      const kept = existsSync(out)
        ? (JSON.parse(readFileSync(out, 'utf8')) as BenchRow[]).filter((r) => !rows.some((x) => x.metric === r.metric))
        : [];
      writeFileSync(out, `${JSON.stringify([...kept, ...rows], null, 2)}\n`);
      console.log(`Wrote ${out}`);
      process.exit(0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
