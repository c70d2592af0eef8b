/*
 * npm run bench:vscode-scale — 100,000 workers in a real VS Code. Starts a redis-server
 * (keyspace notifications on) holding 100,000 orchestrator workers in 20 queues, and
 * code-server with the extension; inside the extension host (bench/inHost/scaleProbe.ts)
 * it waits for the whole fleet, opens the Workers view down to one worker, then measures
 * the extension host's event-loop delay while this process changes 1,000 workers a second
 * for 10 s (half of them change health, so groups are re-read). Figures go into
 * bench/results.json (merged) and a printed table; nothing is asserted.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Redis } from 'ioredis';
import { runExtensionTests, startCodeServer, type CodeServer } from '../test/harness/codeServer';
import { waitFor } from '../test/harness/freePort';
import { startRedis, type RedisServer } from '../test/harness/redisServer';
import type { BenchRow } from './fleetBench';
import { mergeResults, printTable } from './results';
import { CODE_SERVER_READY, packageVsix } from './vscodeBench';

const REPO = resolve(__dirname, '..');
const WORKERS = Number(process.env.BENCH_SCALE_WORKERS ?? 100_000);
const RATE = 1000;
const SECONDS = 10;
const iso = (t: number) => new Date(t).toISOString();
const idOf = (i: number) => `gpu-${String(i).padStart(6, '0')}`;

async function writeFleet(r: Redis): Promise<void> {
  const now = iso(Date.now());
  for (let start = 0; start < WORKERS; start += 5000) {
    const p = r.pipeline();
    const ids: string[] = [];
    for (let i = start; i < Math.min(WORKERS, start + 5000); i++) {
      ids.push(idOf(i));
      p.hset(`worker:state:${idOf(i)}`, {
        status: 'idle',
        specialization: `queue-${i % 20}`,
        last_activity: now,
        total_completed: '0',
        total_errors: '0',
        current_task: 'null',
      });
    }
    p.sadd('active_workers', ...ids);
    await p.exec();
  }
}

/** RATE changes a second for SECONDS: every other one moves a worker between working and healthy. */
async function burst(r: Redis): Promise<number> {
  const from = performance.now();
  let sent = 0;
  while (performance.now() - from < SECONDS * 1000) {
    const due = Math.floor(((performance.now() - from) / 1000) * RATE) - sent;
    if (due > 0) {
      const p = r.pipeline();
      for (let k = 0; k < due; k++, sent++) {
        const i = (sent * 7919) % WORKERS;
        const working = sent % 2 === 0;
        p.hset(`worker:state:${idOf(i)}`, {
          status: working ? 'working' : 'idle',
          last_activity: iso(Date.now()),
          current_task: working
            ? JSON.stringify({ id: `T-${sent}`, title: `job ${sent}`, task_type: 'batch', started_at: iso(Date.now()) })
            : 'null',
        });
      }
      await p.exec();
    }
    await new Promise((res) => setTimeout(res, 5));
  }
  return sent / ((performance.now() - from) / 1000);
}

export async function benchVscodeScale(): Promise<BenchRow[]> {
  if (!existsSync(CODE_SERVER_READY))
    throw new Error(`code-server is not installed (${CODE_SERVER_READY}): scripts/setup-code-server.sh installs it.`);
  const tmp = mkdtempSync(join(tmpdir(), 'wl-bench-scale-'));
  const workspace = join(tmp, 'workspace');
  mkdirSync(workspace);
  writeFileSync(join(workspace, 'README.md'), '# bench\n');
  const ready = join(tmp, 'ready');
  const done = join(tmp, 'done');
  let redis: RedisServer | undefined;
  let server: CodeServer | undefined;
  try {
    redis = await startRedis(['--notify-keyspace-events', 'Kh$sg']);
    const writer = redis.client();
    console.log(`writing ${WORKERS} workers…`);
    await writeFleet(writer);
    console.log('packaging the extension…');
    const vsix = packageVsix();
    server = await startCodeServer({
      workspace,
      vsix,
      userSettings: {
        'workerLens.connections': [
          {
            name: 'scale',
            type: 'redis',
            url: redis.url,
            preset: 'orchestrator',
            thresholds: { unresponsiveAfterSeconds: 3600, deadAfterSeconds: 7200, slowTaskAfterMinutes: 600 },
          },
        ],
        'workerLens.activeConnection': 'scale',
        'workerLens.refreshIntervalSeconds': 60,
      },
      env: {
        WORKER_LENS_TEST_RESULT: join(tmp, 'result.json'),
        WL_SCALE_READY: ready,
        WL_SCALE_DONE: done,
        WL_SCALE_WORKERS: String(WORKERS),
      },
    });
    const suite = runExtensionTests(server, {
      workspace,
      extensionDevelopmentPath: REPO,
      extensionTestsPath: join(REPO, 'dist/test/bench/scaleProbe.js'),
      resultFile: join(tmp, 'result.json'),
      timeoutMs: 900_000,
    });
    let failed: unknown;
    suite.catch((e) => (failed = e));
    await waitFor(() => existsSync(ready) || failed !== undefined, {
      timeoutMs: 600_000,
      message: 'the extension host to hold the whole fleet',
    });
    if (failed) throw failed;
    console.log(`${RATE} changes/s for ${SECONDS} s…`);
    const rate = await burst(writer);
    writeFileSync(done, 'done');
    const result = await suite;
    if (result.failed) throw new Error(JSON.stringify(result.failures));
    const notes: Record<string, string> = {};
    for (const n of result.notes ?? []) for (const kv of n.split(' ')) notes[kv.split('=')[0]!] = kv.split('=')[1]!;
    console.log((result.notes ?? []).join('\n').replace(/;/g, '\n  '));
    const row = (metric: string, value: number, unit: string): BenchRow => ({ metric, workers: WORKERS, value, unit });
    return [
      row('vscode_scale_load_avg_1m', Math.round(loadavg()[0]! * 10) / 10, 'load'),
      row('vscode_scale_first_read_ms', Number(notes.first_full_read_ms), 'ms'),
      row('vscode_scale_change_rate', Math.round(rate), 'changes/s'),
      row('vscode_scale_idle_eld_p99_ms', Number(notes.idle_eld_p99_ms), 'ms'),
      row('vscode_scale_eld_p50_ms', Number(notes.eld_p50_ms), 'ms'),
      row('vscode_scale_eld_p99_ms', Number(notes.eld_p99_ms), 'ms'),
      row('vscode_scale_eld_max_ms', Number(notes.eld_max_ms), 'ms'),
      row('vscode_scale_tree_paints', Number(notes.tree_paints), 'paints'),
      row('vscode_scale_heap_mb', Number(notes.heap_mb), 'MB'),
    ];
  } finally {
    await server?.stop();
    await redis?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  void benchVscodeScale().then(
    (rows) => {
      printTable(rows);
      mergeResults(rows);
      console.log('Merged into bench/results.json');
    },
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
