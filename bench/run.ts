/*
 * npm run bench — prints a table and writes bench/results.json: an array of
 * { metric, workers, value, unit }. Starts its own redis-server (with keyspace
 * notifications for that path), and for N = 10, 100, 1,000, 10,000 simulated workers
 * measures snapshot reads, push and poll latency at 100 changes/s, the commands the
 * observer sends, memory and classification; then the dashboard's figures, then
 * Supabase's (PostgreSQL + PostgREST started the same way), then write → screen in a
 * real VS Code (bench/vscodeBench.ts) when code-server is installed.
 * A script, not a test: it prints numbers; the targets are read, not asserted.
 * `npm run bench -- --soak [--minutes N]` runs the soak instead (bench/soak.ts).
 */
import { existsSync } from 'node:fs';
import { startRedis } from '../test/harness/redisServer';
import { soakMain } from './soak';
import { benchDashboard } from './dashboard';
import { benchSupabase } from './supabaseBench';
import { mergeResults, printTable, RESULTS_PATH } from './results';
import { benchVscode, CODE_SERVER_READY } from './vscodeBench';
import { benchFrameworks } from './frameworksBench';
import { benchScaleAll } from './scaleRows';
import {
  benchMemoryAndClassify,
  benchSnapshot,
  churn,
  commandCount,
  sent,
  observe,
  percentile,
  populate,
  type BenchRow,
} from './fleetBench';
import { readWorkers } from '../src/sources/redis/readWorkers';
import { ORCHESTRATOR_FIELDS, ORCHESTRATOR_KEYS } from '../src/sources/redis/orchestratorPreset';

const SIZES = (process.env.BENCH_WORKERS ?? '10,100,1000,10000').split(',').map(Number);
/** The issue-12 rows: 100,000 workers by default; BENCH_SCALE_WORKERS=0 skips them. */
const SCALE = Number(process.env.BENCH_SCALE_WORKERS ?? 100_000);
const RATE = 100;
const CHURN_S = 5;
const IDLE_S = 16; // one reconciliation (15 s) falls inside the window

async function main(): Promise<void> {
  const redis = await startRedis(['--notify-keyspace-events', 'Kh$sg']);
  const writer = redis.client();
  const admin = redis.client();
  const rows: BenchRow[] = [];
  const add = (r: BenchRow[]) => {
    rows.push(...r);
    for (const x of r) console.log(`  ${x.metric.padEnd(28)} N=${String(x.workers).padStart(5)}  ${x.value} ${x.unit}`);
  };
  try {
    // First, while this process's heap holds nothing else: a full read at 100,000 is mostly this process's own work.
    if (SCALE > 0) {
      console.log(`\n${SCALE} workers (one Redis, then a 3-primary cluster)`);
      add(await benchScaleAll(SCALE));
    }
    for (const n of SIZES) {
      console.log(`\n${n} workers`);
      const ids = await populate(writer, n);
      add(await benchSnapshot(writer, n));
      const snaps = await readWorkers(writer, ids, ORCHESTRATOR_KEYS, ORCHESTRATOR_FIELDS);
      add(benchMemoryAndClassify(n, snaps));

      for (const path of ['events', 'keyspace'] as const) {
        await populate(writer, n);
        const o = await observe(redis.url, path, 2000);
        const before = await commandCount(admin);
        const { latencies, writerCmds } = await churn(writer, ids, o.seenAt, RATE, CHURN_S);
        const after = await commandCount(admin);
        const observerCmds = after.total - before.total - writerCmds - 1; // minus our own INFO
        add([
          { metric: `push_p50_ms.${path}`, workers: n, value: +percentile(latencies, 50).toFixed(2), unit: 'ms' },
          { metric: `push_p95_ms.${path}`, workers: n, value: +percentile(latencies, 95).toFixed(2), unit: 'ms' },
          { metric: `push_delivered.${path}`, workers: n, value: latencies.length, unit: `of ${RATE * CHURN_S}` },
          {
            metric: `churn_cmds_per_s.${path}`,
            workers: n,
            value: +(observerCmds / CHURN_S).toFixed(1),
            unit: 'cmd/s',
          },
        ]);
        if (path === 'events') {
          // Idle: nothing changes; what does watching cost? (blocking XREADs counted apart)
          const i0 = await commandCount(admin);
          await new Promise((r) => setTimeout(r, IDLE_S * 1000));
          const i1 = await commandCount(admin);
          add([
            {
              metric: 'idle_cmds_per_s',
              workers: n,
              value: +((sent(i0, i1) - 1) / IDLE_S).toFixed(2),
              unit: 'cmd/s',
            },
            {
              metric: 'idle_blocking_reads_per_s',
              workers: n,
              value: +((i1.blocking - i0.blocking) / IDLE_S).toFixed(2),
              unit: 'XREAD/s',
            },
          ]);
        }
        await o.source.dispose();
      }

      await populate(writer, n);
      const p = await observe(redis.url, 'off', 2000);
      const { latencies } = await churn(writer, ids, p.seenAt, RATE, 6);
      add([{ metric: 'poll_p95_ms', workers: n, value: +percentile(latencies, 95).toFixed(1), unit: 'ms' }]);
      await p.source.dispose();
    }
    console.log('\ndashboard');
    add(await benchDashboard({ workers: SIZES }));
    console.log('\nsupabase (real PostgREST; Realtime stand-in)');
    add(await benchSupabase(SIZES));
    console.log('\nframework fleets (real RQ, Sidekiq, Celery, BullMQ workers)');
    add(await benchFrameworks());
  } finally {
    await redis.stop();
  }
  if (existsSync(CODE_SERVER_READY)) {
    console.log('\nVS Code (code-server): write → screen');
    add(await benchVscode());
  } else {
    console.log(
      `\nVS Code figures skipped: code-server is not installed (${CODE_SERVER_READY}; scripts/setup-code-server.sh).`,
    );
  }

  mergeResults(rows);
  printTable(rows);
  console.log(`\nWrote ${RESULTS_PATH}`);
}

(process.argv.includes('--soak') ? soakMain(process.argv) : main()).then(
  () => process.exit(0),
  (err) => {
    console.error(`bench: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
