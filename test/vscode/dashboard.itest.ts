import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { MetricsView } from '../../src/shared/protocol';
import type { WorkerLensApi } from '../../src/extension';
import { note, test, waitFor } from './runner';

/*
 * The dashboard has a story the moment it opens: what the store already keeps (a Redis
 * stream, heartbeat-file logs) is in the charts at once, in a window that fits it.
 * Runs after tree.itest.ts, on the same activated extension and the seed Redis.
 */

const MIN = 60_000;
let api: WorkerLensApi;

/** A value above zero: the page draws it as part of a line, or alone as a dot (charts.ts). */
function visibleLine(values: (number | null)[]): boolean {
  return values.some((v) => v !== null && v > 0);
}

/** Python logging's asctime: local time, no zone (what the files preset reads). */
function asctime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}

const summary = (v: MetricsView) =>
  `${v.window}${v.auto ? ' (auto)' : ''}: ${v.totals.completed} done, ${v.totals.perMinute.toFixed(2)}/min, fleet ${JSON.stringify(v.throughput.fleet.slice(-12))}`;

async function useConnection(conn: Record<string, unknown>): Promise<() => Promise<void>> {
  const config = vscode.workspace.getConfiguration('workerLens');
  const before = config.inspect<unknown[]>('connections')?.globalValue ?? [];
  await config.update('connections', [...before, conn], vscode.ConfigurationTarget.Global);
  await config.update('activeConnection', conn.name, vscode.ConfigurationTarget.Global);
  return async () => {
    await config.update('connections', before, vscode.ConfigurationTarget.Global);
    await config.update('activeConnection', 'seed', vscode.ConfigurationTarget.Global);
  };
}

test('a Redis fleet with completions in work_completions before the dashboard opens: tasks/min above zero and a line at once', async () => {
  api = vscode.extensions.getExtension<WorkerLensApi>('workerlens.worker-lens')!.exports;
  await waitFor(() => api.manager.active?.name === 'seed' && api.manager.fleet.connection.state === 'connected', {
    timeoutMs: 20_000,
    message: 'the seed connection',
  });
  const url = process.env.WORKER_LENS_TEST_REDIS!;
  // 30 completions over the last 3 minutes, by report workers whose state keys have expired
  // (their entries are all there is to count), written before the dashboard opens.
  const now = Date.now();
  const args: string[] = [];
  // Stamped with their own time (the orchestrator's `completed_at`), as ids must only grow.
  for (let i = 0; i < 30; i++)
    args.push(
      `XADD work_completions * worker_id report-${i % 3} task_id R-${i} duration_ms 2500 completed_at ${new Date(Math.floor(now / MIN) * MIN - 3 * MIN + i * 5000).toISOString()}`,
    );
  execFileSync('redis-cli', ['-u', url], { input: args.join('\n') });
  const opened = Date.now();
  await vscode.commands.executeCommand('workerLens.openDashboard');
  await waitFor(() => api.dashboard.view().totals.perMinute > 0 && visibleLine(api.dashboard.view().throughput.fleet), {
    timeoutMs: 15_000,
    message: () => `tasks/min above zero and a throughput line (${summary(api.dashboard.view())})`,
  });
  note(`Redis history charted ${Date.now() - opened} ms after Open Dashboard`);
  const v = api.dashboard.view();
  assert.ok(v.totals.completed >= 30, summary(v));
  assert.equal(v.notes?.throughput, undefined, 'no "waiting" note over a chart with data');
}, 60_000);

test('a files fleet with 10 minutes of log history shows those 10 minutes at once, in a window that holds them', async () => {
  const dir = join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'history-workers');
  mkdirSync(dir, { recursive: true });
  const now = Date.now();
  // Before the minute in progress: the charts' totals leave that bucket out until it is complete.
  const end = Math.floor(now / MIN) * MIN - 3000;
  let expected = 0;
  for (const w of ['hist-1', 'hist-2']) {
    let text = '';
    for (let ms = end - 10 * MIN; ms < end; ms += 3000) {
      text += `${asctime(ms)} - INFO - [${w}] Task T-${ms} started: Build docs (acme/site)\n${asctime(ms + 2000)} - INFO - [${w}] Task T-${ms} completed in 2.0s\n`;
      expected++;
    }
    writeFileSync(join(dir, `${w}.log`), text);
    writeFileSync(
      join(dir, `${w}.json`),
      JSON.stringify({ worker: w, timestamp: new Date().toISOString(), status: 'idle', tasks_completed: 200 }),
    );
  }
  const restore = await useConnection({
    name: 'history',
    type: 'files',
    path: 'history-workers',
    preset: 'heartbeat-files',
    logs: '*.log',
  });
  try {
    await waitFor(() => api.manager.active?.name === 'history' && api.dashboard.view().totals.completed >= expected, {
      timeoutMs: 20_000,
      message: () => `the 10 minutes charted (${expected} expected; ${summary(api.dashboard.view())})`,
    });
    const v = api.dashboard.view();
    assert.equal(v.window, '1h', 'the shortest window that holds 10 minutes');
    assert.ok(v.auto);
    assert.equal(v.totals.completed, expected, 'each completion once');
    const minutes = v.throughput.fleet.slice(-11).filter((x) => x !== null && x > 0).length;
    assert.ok(minutes >= 9, `the 10 minutes drawn, not only the last (${summary(v)})`);
    assert.ok(
      v.totals.p50s !== null && Math.abs(v.totals.p50s - 2) < 0.5,
      `durations from the log lines (${v.totals.p50s})`,
    );
  } finally {
    await restore();
  }
}, 60_000);

test('a files fleet whose counters rose for 45 s shows a visible line (no logs at all)', async () => {
  const dir = join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'counter-workers');
  mkdirSync(dir, { recursive: true });
  let done = 100;
  const beat = () => {
    for (const w of ['cnt-1', 'cnt-2'])
      writeFileSync(
        join(dir, `${w}.json`),
        JSON.stringify({ worker: w, timestamp: new Date().toISOString(), status: 'working', tasks_completed: done }),
      );
  };
  beat();
  const restore = await useConnection({
    name: 'counters',
    type: 'files',
    path: 'counter-workers',
    preset: 'heartbeat-files',
  });
  try {
    await waitFor(() => api.manager.active?.name === 'counters' && api.manager.fleet.size === 2, {
      timeoutMs: 20_000,
      message: 'the counters fleet',
    });
    // Heartbeats every 1.5 s for 45 s, each worker one task further (what the demo's workers do).
    const until = Date.now() + 45_000;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 1500)); // the workers' own cadence, not a wait for the extension
      done++;
      beat();
    }
    await waitFor(() => api.dashboard.view().throughput.fleet.filter((x) => x !== null && x > 0).length >= 3, {
      timeoutMs: 20_000,
      message: () => `a line through the 45 s of counter increases (${summary(api.dashboard.view())})`,
    });
    const v = api.dashboard.view();
    assert.equal(v.window, '5m', 'a minute of history: the 5-minute window, not a sliver of an hour');
    assert.ok(v.totals.perMinute > 0, summary(v));
  } finally {
    await restore();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  }
}, 120_000);
