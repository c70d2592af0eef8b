/*
 * npm run bench:vscode — from a Redis write to the screen, in a real VS Code.
 * Starts a redis-server (keyspace notifications on) holding a fleet of 10 working
 * workers, code-server with the packaged .vsix installed (as a user installs it),
 * headless Chromium showing the Workers view and the dashboard side by side; then
 * writes changes with a Redis client and times write → DOM with MutationObservers in
 * the page (bench/domProbes.ts) for the tree row, the status bar and the dashboard
 * table: p50/p95 over 60 changes each, one every 250–750 ms. Then 1,000 changes a
 * second for 5 s, counting repaints per second of each view. Figures go into
 * bench/results.json (merged) and a printed table; nothing is asserted.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Redis } from 'ioredis';
import type { Frame, Page } from 'playwright-core';
import { openWorkbench, startCodeServer, type CodeServer, type Workbench } from '../test/harness/codeServer';
import { waitFor } from '../test/harness/freePort';
import { startRedis, type RedisServer } from '../test/harness/redisServer';
import { workbenchUser } from '../test/harness/workbenchUser';
import {
  dashboardFrame,
  firstSeen,
  installTableProbe,
  installWorkbenchProbes,
  readProbe,
  repaintRate,
  type ProbeLog,
  type ProbeName,
} from './domProbes';
import { percentile, type BenchRow } from './fleetBench';
import { mergeResults, printTable } from './results';

const REPO = resolve(__dirname, '..');
export const CODE_SERVER_READY = join(REPO, '.vscode-test/code-server/.ready-4.100.3');
const WORKERS = 10;
const ids = Array.from({ length: WORKERS }, (_, i) => `bench-${String(i).padStart(2, '0')}`);
const CHANGES = Number(process.env.BENCH_VSCODE_CHANGES ?? 60);
const BURST_RATE = 1000;
const BURST_S = 5;
const now = () => performance.timeOrigin + performance.now();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const iso = (t: number) => new Date(t).toISOString();
const task = (title: string, startedAt: number) =>
  JSON.stringify({ id: `T-${title}`, title, task_type: 'bugfix', repository: 'acme/api', started_at: iso(startedAt) });

/** A fixed sequence of pauses (xorshift), so before/after runs see the same spacing. */
function spacing(seed = 17): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return 250 + ((x >>> 0) % 500);
  };
}

async function writeFleet(r: Redis): Promise<void> {
  const t = Date.now();
  const p = r.multi().flushdb().sadd('active_workers', ids);
  for (const [i, id] of ids.entries()) {
    p.hset(`worker:state:${id}`, {
      status: 'working',
      last_activity: iso(t),
      total_completed: '0',
      total_errors: '0',
      current_task: task(`first ${i}`, t - 60_000 * (i + 1)),
    });
  }
  await p.exec();
}

export function packageVsix(): string {
  const r = spawnSync('npm', ['run', '--silent', 'package'], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run package failed:\n${r.stdout}\n${r.stderr}`);
  // The production bundle replaced the dev build the tests load: build it again.
  if (spawnSync('node', ['esbuild.mjs'], { cwd: REPO, stdio: 'inherit' }).status !== 0)
    throw new Error('node esbuild.mjs failed');
  const vsix = readdirSync(REPO).find((f) => /^worker-lens-.*\.vsix$/.test(f));
  if (!vsix) throw new Error('npm run package produced no worker-lens-<version>.vsix');
  return join(REPO, vsix);
}

interface Sample {
  /** When the write was sent. */
  at: number;
  /** Per view: what its probe must read once the change is on screen. */
  expect: Partial<Record<ProbeName, (v: string) => boolean>>;
}

/** Writes `n` changes one at a time, each after the previous one is on screen and a pause. */
async function latencyRun(
  views: Views,
  n: number,
  write: (i: number) => Promise<Sample['expect']>,
): Promise<Record<ProbeName, number[]> & { missed: number }> {
  const out = { tree: [] as number[], status: [] as number[], table: [] as number[], missed: 0 };
  const next = spacing();
  for (let i = 0; i < n; i++) {
    const at = now();
    const expect = await write(i);
    const names = Object.keys(expect) as ProbeName[];
    const seen = await waitFor(
      async () => {
        const logs = await Promise.all(names.map((p) => views.read(p)));
        const times = names.map((p, k) => firstSeen(logs[k]!, at, expect[p]!));
        return times.every((t) => t !== undefined) ? times : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 20, message: `change ${i} on screen` },
    ).catch(() => undefined);
    if (!seen) out.missed++;
    else names.forEach((p, k) => out[p].push(seen[k]! - at));
    await pause(next());
  }
  return out;
}

interface Views {
  page: Page;
  table: Frame;
  read(p: ProbeName): Promise<ProbeLog>;
}

async function openViews(server: CodeServer, workspace: string): Promise<{ wb: Workbench; views: Views }> {
  const wb = await openWorkbench(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
  const { page } = wb;
  await page.locator('.activitybar [aria-label^="Worker Lens"]').first().click();
  const rows = page.locator('.pane:has(.pane-header[aria-label^="Workers"]) .monaco-list-row');
  await waitFor(async () => (await rows.count()) >= WORKERS, {
    timeoutMs: 90_000,
    message: 'the Workers view showing the bench fleet',
  });
  const user = workbenchUser(page);
  await user.statusReads(/10\/10 workers/, 'the bench fleet in the status bar', 60_000);
  await user.run('Workers: Open Dashboard');
  const table = (await waitFor(() => dashboardFrame(page), {
    timeoutMs: 60_000,
    message: 'the dashboard worker table',
  }))!;
  await waitFor(() => table.evaluate(() => document.querySelectorAll('#worker-table tbody tr').length === 10), {
    timeoutMs: 30_000,
    message: '10 rows in the dashboard table',
  });
  const targets = ids.slice(0, 2);
  await installWorkbenchProbes(page, targets);
  await installTableProbe(table, targets);
  return { wb, views: { page, table, read: (p) => readProbe(p === 'table' ? table : page, p) } };
}

/**
 * 1,000 changes a second across the fleet (task and status), pipelined; returns when the burst ran and the real rate.
 */
async function burst(r: Redis): Promise<{ from: number; to: number; rate: number }> {
  const from = now();
  let sent = 0;
  const t0 = Date.now();
  while (now() - from < BURST_S * 1000) {
    const due = Math.floor(((now() - from) / 1000) * BURST_RATE) - sent;
    if (due > 0) {
      const p = r.pipeline();
      for (let k = 0; k < due; k++, sent++) {
        const id = ids[2 + (sent % (WORKERS - 2))]!;
        p.hset(`worker:state:${id}`, {
          status: sent % 3 ? 'working' : 'stopped',
          last_activity: iso(Date.now()),
          current_task: task(`burst ${sent}`, t0),
        });
      }
      await p.exec();
    }
    await pause(5);
  }
  const to = now();
  return { from, to, rate: sent / ((to - from) / 1000) };
}

export async function benchVscode(): Promise<BenchRow[]> {
  if (!existsSync(CODE_SERVER_READY))
    throw new Error(`code-server is not installed (${CODE_SERVER_READY}): scripts/setup-code-server.sh installs it.`);
  const tmp = mkdtempSync(join(tmpdir(), 'wl-bench-vscode-'));
  const workspace = join(tmp, 'workspace');
  mkdirSync(workspace);
  writeFileSync(join(workspace, 'README.md'), '# bench\n');
  let redis: RedisServer | undefined;
  let server: CodeServer | undefined;
  let wb: Workbench | undefined;
  try {
    redis = await startRedis(['--notify-keyspace-events', 'Kh$sg']);
    const writer = redis.client();
    await writeFleet(writer);
    console.log('packaging the extension…');
    const vsix = packageVsix();
    server = await startCodeServer({
      workspace,
      vsix,
      userSettings: {
        // Thresholds far off: only the bench's writes change what is shown (ages still tick).
        'workerLens.connections': [
          {
            name: 'bench',
            type: 'redis',
            url: redis.url,
            preset: 'orchestrator',
            thresholds: { unresponsiveAfterSeconds: 3600, deadAfterSeconds: 7200, slowTaskAfterMinutes: 600 },
          },
        ],
        'workerLens.activeConnection': 'bench',
        // A minute between polls: every change measured came through keyspace notifications.
        'workerLens.refreshIntervalSeconds': 60,
      },
    });
    const opened = await openViews(server, workspace);
    wb = opened.wb;
    const { views } = opened;

    console.log(`${CHANGES} task changes (tree row, dashboard table)…`);
    const a = await latencyRun(views, CHANGES, async (i) => {
      await writer.hset('worker:state:bench-00', { current_task: task(`step ${i}`, Date.now() - 120_000) });
      return {
        tree: (v) => v.includes(`bench-00, working · step ${i} ·`),
        table: (v) => v.includes(`step ${i} (bugfix)`),
      };
    });
    console.log(`${CHANGES} status changes (status bar)…`);
    const b = await latencyRun(views, CHANGES, async (i) => {
      const stopped = i % 2 === 0;
      await writer.hset('worker:state:bench-01', { status: stopped ? 'stopped' : 'working' });
      const text = new RegExp(`(^|\\D)${stopped ? 9 : 10}/10 workers`);
      return { status: (v) => text.test(v) };
    });
    console.log(`${BURST_RATE} changes/s for ${BURST_S} s (repaints)…`);
    const run = await burst(writer);
    await pause(1000);
    if (process.env.BENCH_VSCODE_DUMP) {
      // Every probe change and repaint frame, for a closer look than the table gives.
      const logs = Object.fromEntries(
        await Promise.all(
          (['tree', 'status', 'table'] as ProbeName[]).map(async (p) => [p, await views.read(p)] as const),
        ),
      );
      writeFileSync(process.env.BENCH_VSCODE_DUMP, JSON.stringify({ burst: run, samples: { a, b }, logs }));
    }
    const rates = Object.fromEntries(
      await Promise.all(
        (['tree', 'status', 'table'] as ProbeName[]).map(
          async (p) => [p, repaintRate((await views.read(p)).frames, run.from, run.to)] as const,
        ),
      ),
    );

    const row = (metric: string, value: number, unit: string): BenchRow => ({
      metric,
      workers: WORKERS,
      value: +value.toFixed(1),
      unit,
    });
    const lat = (name: string, xs: number[]) => [
      row(`vscode_${name}_p50_ms`, percentile(xs, 50), 'ms'),
      row(`vscode_${name}_p95_ms`, percentile(xs, 95), 'ms'),
      row(`vscode_${name}_samples`, xs.length, 'changes'),
    ];
    const rows = [
      // Other work on the machine shows in the tails: say how busy it was.
      row('vscode_load_avg_1m', loadavg()[0]!, 'load'),
      ...lat('tree', a.tree),
      ...lat('table', a.table),
      ...lat('status', b.status),
      row('vscode_missed', a.missed + b.missed, 'changes'),
      row('vscode_burst_rate', run.rate, 'changes/s'),
      ...(['tree', 'status', 'table'] as const).flatMap((p) => [
        row(`vscode_${p}_repaints_per_s`, rates[p]!.updates, 'updates/s'),
        row(`vscode_${p}_repaints_max_1s`, rates[p]!.max1s, 'updates'),
        row(`vscode_${p}_frames_per_s`, rates[p]!.frames, 'frames/s'),
      ]),
    ];
    writer.disconnect();
    return rows;
  } finally {
    await wb?.close().catch(() => undefined);
    await server?.stop();
    await redis?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchVscode().then(
    (rows) => {
      mergeResults(rows);
      printTable(rows);
      console.log('\nMerged into bench/results.json');
      process.exit(0);
    },
    (err) => {
      console.error(`bench:vscode: ${err instanceof Error ? err.stack : String(err)}`);
      process.exit(1);
    },
  );
}
