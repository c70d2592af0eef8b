// Dashboard benchmark: `node --expose-gc --import tsx bench/dashboard.ts [--workers 10,100,1000] [--lines 200000]`.
// Prints a table and a JSON array of { metric, workers, value, unit } rows; `benchDashboard()` returns the
// rows for bench/run.ts to merge. A script, not a test: it asserts nothing about time.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LogPipeline } from '../src/core/logLines';
import { MetricsStore } from '../src/core/metrics';
import { ALL_HEALTH, type Health, type WorkerView } from '../src/core/model';
import { parseStreamEntry } from '../src/sources/redis/streamEntry';
import type { HostMessage } from '../src/shared/protocol';

export interface BenchRow {
  metric: string;
  workers: number;
  value: number;
  unit: string;
}

export interface DashboardBenchOptions {
  workers?: number[];
  /** Stream entries pushed through the host log path. */
  lines?: number;
  log?: (line: string) => void;
}

const HOUR = 3_600_000;

function gc(): void {
  const g =
    (globalThis as { gc?: () => void }).gc ?? (setFlagsFromString('--expose-gc'), runInNewContext('gc') as () => void);
  for (let i = 0; i < 3; i++) g();
}

/**
 * `log_lines_per_s`: stream entries per second the host turns into webview batches
 * (parse → rows with stack links → a 100 ms batch → the JSON postMessage sends), with
 * no line dropped. Each batch is what 100 ms of input at that rate would be.
 */
export function benchLogLines(total: number): { linesPerS: number; dropped: number; bytesPerRow: number } {
  const pipeline = new LogPipeline({ maxLines: 10_000, resolves: (p) => p.endsWith('worker.py') });
  const fields = (i: number) =>
    i % 20 === 0
      ? [
          'worker_id',
          `w${i % 97}`,
          'work_item_id',
          `issue-${i}`,
          'error',
          'boom',
          'traceback',
          'Traceback (most recent call last):\n  File "/app/worker.py", line 42, in run',
        ]
      : ['worker_id', `w${i % 97}`, 'work_item_id', `issue-${i}`, 'duration', String((i % 300) + 0.5)];
  const inputs = Array.from(
    { length: total },
    (_, i) => [i % 20 === 0 ? 'work_errors' : 'work_completions', `${1_770_000_000_000 + i}-0`, fields(i)] as const,
  );
  const batch = 500;
  let sent = 0;
  let bytes = 0;
  const started = performance.now();
  for (let i = 0; i < inputs.length; i += batch) {
    const entries = inputs.slice(i, i + batch).map(([s, id, f]) => parseStreamEntry(s, id, f).entry);
    pipeline.add(entries);
    const lines = pipeline.takePending();
    const msg: HostMessage = { type: 'logs/didAppend', lines };
    bytes += JSON.stringify(msg).length; // what postMessage serialises
    sent += lines.length; // rows: a traceback entry is several
  }
  const seconds = (performance.now() - started) / 1000;
  return { linesPerS: Math.round(total / seconds), dropped: pipeline.skipped, bytesPerRow: Math.round(bytes / sent) };
}

/**
 * `dashboard_bytes`: heap held by the dashboard's host state (metrics rings for all three
 * windows, per-worker series, the 10,000-line log buffer) after an hour of a simulated
 * fleet: every worker finishes a task about every 30 s, health sampled every 5 s.
 */
export function benchMemory(workers: number): { bytes: number; approx: number; viewMs: number } {
  gc();
  const before = process.memoryUsage().heapUsed;
  let clock = Date.UTC(2026, 1, 7, 20, 0, 0);
  const end = clock + HOUR;
  const metrics = new MetricsStore({ clock: () => clock });
  const logs = new LogPipeline({ maxLines: 10_000, resolves: (p) => p.endsWith('worker.py') });
  const completed = new Array<number>(workers).fill(0);
  const errors = new Array<number>(workers).fill(0);
  const view = (i: number): WorkerView => ({
    snapshot: {
      id: `worker-${i}`,
      name: `worker-${i}`,
      problems: [],
      completed: completed[i],
      errors: errors[i],
      lastHeartbeat: clock,
    },
    health: 'working',
    reason: '',
    stale: false,
  });
  metrics.observe(Array.from({ length: workers }, (_, i) => view(i)));
  const stepMs = workers > 1000 ? 10_000 : 5000;
  let seq = 0;
  for (; clock < end; clock += stepMs) {
    const changed: WorkerView[] = [];
    const entries = [];
    for (let i = 0; i < workers; i++) {
      if ((i * 7919 + clock / stepMs) % Math.round(30_000 / stepMs) !== 0) continue;
      const failed = seq++ % 25 === 0;
      if (failed) errors[i]!++;
      else completed[i]!++;
      changed.push(view(i));
      const parsed = parseStreamEntry(failed ? 'work_errors' : 'work_completions', `${clock}-${i}`, [
        'worker_id',
        `worker-${i}`,
        'duration',
        String(5 + (seq % 120)),
      ]);
      metrics.recordEvent(parsed.event!);
      entries.push(parsed.entry);
    }
    metrics.observe(changed);
    logs.add(entries);
    logs.takePending();
    const counts = Object.fromEntries(ALL_HEALTH.map((h) => [h, 0])) as Record<Health, number>;
    counts.working = workers;
    metrics.sampleHealth(counts, clock);
  }
  metrics.view('1h'); // warm: the host computes one a second, so the steady cost is what matters
  const t = performance.now();
  metrics.view('1h');
  const viewMs = performance.now() - t;
  gc();
  const bytes = process.memoryUsage().heapUsed - before;
  keepAlive.push(metrics, logs); // measured while alive, released after
  const result = { bytes: Math.max(0, bytes), approx: metrics.approxBytes(), viewMs };
  keepAlive.length = 0;
  return result;
}

const keepAlive: unknown[] = [];

/**
 * The page's side, in headless Chromium: lines/s it takes with nothing dropped (its buffer
 * keeps the newest 10,000), and the longest gap between animation frames while fed
 * 5,000 lines/s in 100 ms batches for 3 s (a frozen panel shows as a long gap).
 */
export async function benchWebview(): Promise<{ linesPerS: number; maxFrameGapMs: number } | undefined> {
  const { startDashboardPage } = await import('../test/browser/dashboardPage');
  let dash;
  try {
    dash = await startDashboardPage();
  } catch {
    return undefined; // no build or no Chromium: the host figures still stand
  }
  try {
    const page = await dash.open();
    return await page.evaluate(async () => {
      const line = (n: number) => ({
        seq: n,
        ts: Date.now(),
        level: n % 50 ? 'info' : 'error',
        worker: `worker-${n % 8}`,
        source: 'events:stream',
        text: `line ${n} at x (/app/worker.py:${n % 300}:1)`,
      });
      const send = (from: number, count: number) =>
        window.dispatchEvent(
          new MessageEvent('message', {
            data: { type: 'logs/didAppend', lines: Array.from({ length: count }, (_, i) => line(from + i)) },
          }),
        );
      const frame = () => new Promise((r) => requestAnimationFrame(r));
      let seq = 1;
      const t0 = performance.now();
      for (let b = 0; b < 200; b++, seq += 500) {
        send(seq, 500);
        if (b % 10 === 9) await frame();
      }
      await frame();
      const linesPerS = Math.round(100_000 / ((performance.now() - t0) / 1000));
      let last = performance.now();
      let maxGap = 0;
      let running = true;
      const watch = () => {
        const now = performance.now();
        maxGap = Math.max(maxGap, now - last);
        last = now;
        if (running) requestAnimationFrame(watch);
      };
      requestAnimationFrame(watch);
      await new Promise<void>((resolve) => {
        let ticks = 0;
        const timer = setInterval(() => {
          send(seq, 500);
          seq += 500;
          if (++ticks === 30) {
            clearInterval(timer);
            resolve();
          }
        }, 100);
      });
      running = false;
      return { linesPerS, maxFrameGapMs: Math.round(maxGap) };
    });
  } finally {
    await dash.close();
  }
}

export async function benchDashboard(opts: DashboardBenchOptions = {}): Promise<BenchRow[]> {
  const log = opts.log ?? (() => undefined);
  const rows: BenchRow[] = [];
  const lines = benchLogLines(opts.lines ?? 200_000);
  rows.push({ metric: 'log_lines_per_s', workers: 0, value: lines.linesPerS, unit: 'lines/s' });
  rows.push({ metric: 'log_lines_dropped', workers: 0, value: lines.dropped, unit: 'lines' });
  rows.push({ metric: 'log_wire_bytes_per_row', workers: 0, value: lines.bytesPerRow, unit: 'bytes' });
  log(`log path: ${lines.linesPerS} lines/s, ${lines.dropped} dropped`);
  const page = await benchWebview();
  if (page) {
    rows.push({ metric: 'log_lines_per_s.webview', workers: 0, value: page.linesPerS, unit: 'lines/s' });
    rows.push({ metric: 'webview_max_frame_gap_ms', workers: 0, value: page.maxFrameGapMs, unit: 'ms' });
  }
  for (const n of opts.workers ?? [10, 100, 1000, 10_000]) {
    const m = benchMemory(n);
    rows.push({ metric: 'dashboard_bytes', workers: n, value: m.bytes, unit: 'bytes' });
    rows.push({ metric: 'dashboard_rings_bytes', workers: n, value: m.approx, unit: 'bytes' });
    rows.push({ metric: 'metrics_view_ms', workers: n, value: Math.round(m.viewMs * 100) / 100, unit: 'ms' });
    log(`${n} workers: ${m.bytes} bytes after an hour`);
  }
  return rows;
}

if (require.main === module) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const workers = arg('workers')?.split(',').map(Number);
  void benchDashboard({ workers, lines: arg('lines') ? Number(arg('lines')) : undefined }).then((rows) => {
    console.table(rows);
    console.log(JSON.stringify(rows));
  });
}
