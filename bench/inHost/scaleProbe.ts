import { existsSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { WorkerLensApi } from '../../src/extension';
import { note, runAll, test, waitFor } from '../../test/vscode/runner';

/*
 * Runs inside VS Code's extension host for `npm run bench:vscode-scale` (bench/vscodeScaleBench.ts):
 * waits for the 100,000-worker fleet, shows the Workers view with one subgroup open, tells the
 * Node side to start changing workers (a file), and measures this extension host's event-loop
 * delay until the Node side says it is done. Figures go back as notes in the result file.
 */
const WORKERS = Number(process.env.WL_SCALE_WORKERS ?? 100_000);

test('event-loop delay of the extension host while the fleet changes', async () => {
  const ext = vscode.extensions.getExtension<WorkerLensApi>('workerlens.worker-lens')!;
  const api = await ext.activate();
  const t0 = Date.now();
  await waitFor(() => api.manager.fleet.size >= WORKERS, {
    timeoutMs: 300_000,
    message: () => `${WORKERS} workers in the fleet (have ${api.manager.fleet.size})`,
  });
  note(`first_full_read_ms=${Date.now() - t0}`);
  await vscode.commands.executeCommand('workerLens.workers.focus');
  // Open the path to one worker (its group and subgroup), as a user looking at it would.
  await api.tree.reveal(api.manager.fleet.workers()[123]!.snapshot.id);
  const groups = api.tree.getChildren();
  note(`top_rows=${groups.length} second_level_rows=${groups.map((g) => api.tree.getChildren(g).length).join('+')}`);
  let paints = 0;
  const counting = api.tree.onDidPaint(() => paints++);
  const idle = monitorEventLoopDelay({ resolution: 10 });
  idle.enable();
  await new Promise((r) => setTimeout(r, 3000));
  idle.disable();
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const heapBefore = process.memoryUsage().heapUsed;
  // Where the time goes, for the figures' sake: the host's own CPU profile of the burst.
  const inspector = new Session();
  inspector.connect();
  const post = (method: string) =>
    new Promise<unknown>((res, rej) => inspector.post(method, (err, r) => (err ? rej(err) : res(r))));
  await post('Profiler.enable');
  await post('Profiler.start');
  writeFileSync(process.env.WL_SCALE_READY!, 'go');
  await waitFor(() => existsSync(process.env.WL_SCALE_DONE!), { timeoutMs: 120_000, message: 'the burst done' });
  h.disable();
  counting.dispose();
  const { profile } = (await post('Profiler.stop')) as { profile: CpuProfile };
  inspector.disconnect();
  note(`top_self_ms=${topSelf(profile).join(';')}`);
  const ms = (ns: number) => (ns / 1e6).toFixed(1);
  note(`idle_eld_p99_ms=${ms(idle.percentile(99))}`);
  note(`eld_p50_ms=${ms(h.percentile(50))} eld_p99_ms=${ms(h.percentile(99))} eld_max_ms=${ms(h.max)}`);
  note(
    `tree_paints=${paints} heap_mb=${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} heap_before_mb=${(heapBefore / 1e6).toFixed(0)}`,
  );
}, 600_000);

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** The 12 functions with the most self time, "name@file:line=ms" (no spaces: notes split on them). */
function topSelf(p: CpuProfile): string[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName || '(anon)'}@${f.url.split('/').pop()}:${f.lineNumber}`.replace(/\s/g, '_');
    self.set(key, (self.get(key) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  return [...self]
    .filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(program)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([k, ms]) => `${k}=${ms.toFixed(0)}`);
}

export async function run(): Promise<void> {
  const r = await runAll();
  if (r.failed) throw new Error(r.failures.map((f) => f.error).join('\n'));
}
