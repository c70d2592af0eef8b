/*
 * npm run bench -- --soak [--minutes N] [--workers N] [--rate R]
 * The soak: a simulated fleet (default 10,000 workers, 500 changes/s, written by
 * bench/soakWriter.ts in its own process so the writer's work is not counted here)
 * watched for N minutes (default 10) by what the extension runs with the dashboard
 * open: a RedisSource into a Fleet, the MetricsStore attached to it, the log streams
 * tailed into the LogPipeline (events counted in the metrics), a 100 ms log batch and
 * a 1 s metrics view + worker table serialised as postMessage would. Prints and
 * writes bench/soak.json: heap slope (MB/min, least squares after the warm-up),
 * event-loop delay p99/max, and whether the log buffers sit at their bound.
 * A script, not a test: it prints figures; the targets are read, not asserted.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { LiveSession } from '../src/core/liveSession';
import { RedisSource } from '../src/sources/redis/redisSource';
import type { HostMessage } from '../src/shared/protocol';
import { workerRows } from '../src/vscode/dashboard/workerRows';
import { startRedis } from '../test/harness/redisServer';

export interface SoakOptions {
  minutes: number;
  workers: number;
  /** Changes per second across the fleet (each worker heartbeats every workers/rate seconds). */
  rate: number;
  maxLogLines?: number;
}

const SAMPLE_MS = 1000; // often enough that the GC sawtooth averages out of the slope
const mb = (b: number) => Math.round((b / 1048576) * 100) / 100;

/** Least-squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den ? num / den : 0;
}

export async function runSoak(opts: SoakOptions): Promise<Record<string, unknown>> {
  const maxLines = opts.maxLogLines ?? 10_000;
  const runMs = opts.minutes * 60_000;
  // The first fifth (at most a minute) is the fleet's first read and the rings filling: not the steady state.
  const warmMs = Math.min(60_000, runMs / 5);
  const redis = await startRedis(['--notify-keyspace-events', 'Kh$sg']);
  const admin = redis.client();
  const sim = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'soakWriter.ts'), redis.url, String(opts.workers), String(opts.rate)],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  // The extension's own path: the session owns fleet, metrics and logs; the source follows activity as with the
  // dashboard open.
  const session = new LiveSession({ logs: { maxLines } });
  const { fleet, logs, metrics } = session;
  let source: RedisSource | undefined;
  const timers: NodeJS.Timeout[] = [];
  try {
    const deadline = Date.now() + 120_000;
    while ((await admin.scard('active_workers').catch(() => 0)) < opts.workers) {
      if (Date.now() > deadline) throw new Error('the simulator never wrote the fleet');
      await new Promise((r) => setTimeout(r, 200));
    }
    let changes = 0;
    let logEntries = 0;
    let wireBytes = 0;
    fleet.onChange((c) => (changes += c.changed.length));
    source = new RedisSource({ url: redis.url, pollMs: 2000 });
    const sink = session.sink();
    source.start({
      ...sink,
      logs: (entries) => {
        logEntries += entries.length;
        sink.logs(entries);
      },
    });
    source.followActivity(true);
    // What the dashboard host sends while the panel is visible (dashboardPanel.ts).
    const send = (m: HostMessage) => (wireBytes += JSON.stringify(m).length);
    timers.push(setInterval(() => logs.hasPending && send({ type: 'logs/didAppend', lines: logs.takePending() }), 100));
    timers.push(
      setInterval(() => {
        send({ type: 'metrics/didChange', metrics: metrics.view('1h') });
        send({ type: 'workers/didChange', ...workerRows(fleet.workers(), Date.now()) });
      }, 1000),
    );

    const loop = monitorEventLoopDelay({ resolution: 10 });
    const started = Date.now();
    const samples: { tMin: number; heap: number; rss: number }[] = [];
    let warmChanges = 0;
    let warmEntries = 0;
    let warmWrites = 0;
    let warmHeap = 0;
    let warmed = false;
    while (Date.now() - started < runMs) {
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
      const t = Date.now() - started;
      if (!warmed && t >= warmMs) {
        warmed = true;
        warmHeap = heapAfterGc(); // before the delay monitor starts: a forced GC is not the pipeline's pause
        loop.enable();
        warmChanges = changes;
        warmEntries = logEntries;
        warmWrites = await workerWrites(admin);
      }
      const m = process.memoryUsage();
      samples.push({ tMin: t / 60_000, heap: m.heapUsed, rss: m.rss });
      if (samples.length % 5 === 0)
        process.stdout.write(
          `\r  soak ${(t / 60_000).toFixed(1)}/${opts.minutes} min  heap ${mb(m.heapUsed)} MB  fleet ${fleet.size}  log rows ${logs.size}/${maxLines}   `,
        );
    }
    loop.disable();
    const endWrites = await workerWrites(admin);
    const endHeap = heapAfterGc();
    console.log('');
    const steady = samples.filter((s) => s.tMin * 60_000 >= warmMs);
    const steadyMin = (runMs - warmMs) / 60_000;
    const result = {
      date: new Date().toISOString(),
      minutes: opts.minutes,
      workers: opts.workers,
      changesPerSTarget: opts.rate,
      storeChangesPerS: Math.round((endWrites - warmWrites) / (steadyMin * 60)),
      fleetChangesPerS: Math.round((changes - warmChanges) / (steadyMin * 60)),
      logEntriesPerS: Math.round((logEntries - warmEntries) / (steadyMin * 60)),
      heapSlopeMBPerMin:
        Math.round(
          slope(
            steady.map((s) => s.tMin),
            steady.map((s) => mb(s.heap)),
          ) * 1000,
        ) / 1000,
      heapAfterGcStartMB: mb(warmHeap),
      heapAfterGcEndMB: mb(endHeap),
      heapAfterGcSlopeMBPerMin: Math.round(((mb(endHeap) - mb(warmHeap)) / steadyMin) * 1000) / 1000,
      rssEndMB: mb(steady[steady.length - 1]?.rss ?? 0),
      loopDelayP99Ms: Math.round((loop.percentile(99) / 1e6) * 10) / 10,
      loopDelayMaxMs: Math.round((loop.max / 1e6) * 10) / 10,
      logBufferRows: logs.size,
      logBufferBound: maxLines,
      logBufferAtBound: logs.size === maxLines,
      logRowsSkipped: logs.skipped,
      metricsWorkerSeries: metrics.trackedWorkerSeries,
      metricsRingBytes: metrics.approxBytes(),
      fleetSize: fleet.size,
      wireMBPerMin: Math.round(mb(wireBytes) / opts.minutes),
      connection: fleet.connection.state,
      warmUpMinutes: warmMs / 60_000,
      // The machine's own load: the event-loop delay is only as good as the CPU time it was given.
      cpus: cpus().length,
      loadAvg1mEnd: Math.round(loadavg()[0]! * 100) / 100,
      loadAvg10mEnd: Math.round(loadavg()[2]! * 100) / 100,
    };
    return result;
  } finally {
    timers.forEach(clearInterval);
    sim.kill('SIGTERM');
    session.dispose();
    await source?.dispose();
    await redis.stop();
  }
}

/** Heap still in use after a full collection (run with --expose-gc, as `npm run bench` does). */
function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

/** Worker records the writer has written so far (HSET and SET calls, INFO commandstats). */
async function workerWrites(admin: Redis): Promise<number> {
  const info = await admin.info('commandstats');
  let n = 0;
  for (const m of info.matchAll(/^cmdstat_(hset|set):calls=(\d+)/gm)) n += Number(m[2]);
  return n;
}

/** `npm run bench -- --soak [--minutes N] [--workers N] [--rate R]`: runs and writes bench/soak.json. */
export async function soakMain(argv: string[]): Promise<void> {
  const num = (name: string, dflt: number) => {
    const i = argv.indexOf(`--${name}`);
    const v = i >= 0 ? Number(argv[i + 1]) : dflt;
    if (!(v > 0)) throw new Error(`--${name} wants a positive number`);
    return v;
  };
  const opts = { minutes: num('minutes', 10), workers: num('workers', 10_000), rate: num('rate', 500) };
  console.log(`soak: ${opts.workers} workers, ${opts.rate} changes/s, ${opts.minutes} min, dashboard pipeline on`);
  const result = await runSoak(opts);
  for (const [k, v] of Object.entries(result)) console.log(`  ${k.padEnd(22)} ${String(v)}`);
  const out = join(__dirname, 'soak.json');
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`Wrote ${out}`);
}
