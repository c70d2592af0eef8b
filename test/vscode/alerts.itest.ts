import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { WorkerLensApi } from '../../src/extension';
import type { TreeNode } from '../../src/vscode/workerTree';
import { test, waitFor } from './runner';

/*
 * Knowing without looking (issue 13), inside VS Code against heartbeat files the test writes:
 * gpu-1 and gpu-2 are expected and beat every 500 ms, gpu-3 is expected and never appears,
 * gpu-4 beats unasked. gpu-1 runs a commit three behind the workspace's HEAD (the e2e harness
 * makes the workspace a Git repository with a few commits); the others run HEAD.
 */

let api: WorkerLensApi;
const workspace = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const git = (...args: string[]) => execFileSync('git', ['-C', workspace(), ...args], { encoding: 'utf8' }).trim();
const beating = new Map<string, string>();
let beatTimer: NodeJS.Timeout | undefined;
let restore: (() => Promise<void>) | undefined;

function startBeating(dir: string): void {
  const beat = () => {
    for (const [worker, commit] of beating) {
      writeFileSync(
        join(dir, `${worker}.json`),
        JSON.stringify({ worker, timestamp: new Date().toISOString(), status: 'idle', commit }),
      );
    }
  };
  beat();
  beatTimer = setInterval(beat, 500);
}

/** Resolves after the session's clock has ticked `n` times (health re-derived and transitions judged each time). */
function ticks(n: number): Promise<void> {
  return new Promise((done) => {
    const off = api.manager.session.onTick(() => {
      if (--n > 0) return;
      off();
      done();
    });
  });
}

async function rowOf(name: string): Promise<{ node: TreeNode; description: string } | undefined> {
  for (const g of api.tree.getChildren()) {
    for (const node of api.tree.getChildren(g)) {
      const item = api.tree.getTreeItem(node);
      if (item.label === name) return { node, description: String(item.description ?? '') };
    }
  }
  return undefined;
}

test('expected workers: one that never appears is in a Missing group and in the status bar total', async () => {
  const ext = vscode.extensions.getExtension<WorkerLensApi>('workerlens.worker-lens')!;
  api = await ext.activate();
  const head = git('rev-parse', 'HEAD');
  const old = git('rev-parse', 'HEAD~3');
  const dir = join(workspace(), 'alert-workers');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  beating.set('gpu-1', old).set('gpu-2', head).set('gpu-4', head);
  startBeating(dir);
  const config = vscode.workspace.getConfiguration('workerLens');
  const before = config.inspect<unknown[]>('connections')?.globalValue ?? [];
  const lens = {
    name: 'lens',
    type: 'files',
    path: dir,
    expectedWorkers: [{ prefix: 'gpu-', count: 3 }],
    thresholds: { unresponsiveAfterSeconds: 2, deadAfterSeconds: 4 },
  };
  await config.update('alerts.minimumSeconds', 1, vscode.ConfigurationTarget.Global);
  await config.update('connections', [...before, lens], vscode.ConfigurationTarget.Global);
  await config.update('activeConnection', 'lens', vscode.ConfigurationTarget.Global);
  restore = async () => {
    clearInterval(beatTimer);
    await config.update('connections', before, vscode.ConfigurationTarget.Global);
    await config.update('activeConnection', 'seed', vscode.ConfigurationTarget.Global);
    await config.update('alerts.minimumSeconds', undefined, vscode.ConfigurationTarget.Global);
  };
  const health = () =>
    api.manager.fleet
      .workers()
      .map((w) => `${w.snapshot.name}:${w.health}`)
      .join(', ');
  await waitFor(
    () =>
      api.manager.active?.name === 'lens' && health() === 'gpu-1:healthy, gpu-2:healthy, gpu-3:missing, gpu-4:healthy',
    {
      timeoutMs: 20_000,
      message: () => `the lens fleet (active ${api.manager.active?.name}: ${health()})`,
    },
  );
  const groups = api.tree.getChildren().map((g) => api.tree.getTreeItem(g).label);
  assert.deepEqual(groups, ['Missing (1)', 'Healthy (3)']);
  assert.match((await rowOf('gpu-3'))!.description, /^missing · expected, no record/);
  await waitFor(() => api.statusBar.state.text === '$(pulse) 3/4 workers', {
    message: () => `"3/4 workers" (${api.statusBar.state.text})`,
  });
  assert.equal(api.statusBar.state.background, 'statusBarItem.errorBackground');
}, 60_000);

test('code drift: a worker on an older commit of the workspace says how far behind HEAD it is', async () => {
  let seen = '';
  await waitFor(async () => /outdated · 3 commits behind$/.test((seen = (await rowOf('gpu-1'))?.description ?? '')), {
    timeoutMs: 20_000,
    message: () => `gpu-1 "outdated · 3 commits behind" (shows "${seen}")`,
  });
  assert.doesNotMatch((await rowOf('gpu-2'))!.description, /behind|outdated/);
  await waitFor(() => /1 worker runs outdated code/.test(api.statusBar.state.tooltip), {
    message: () => `tooltip counts it (${api.statusBar.state.tooltip})`,
  });
});

test('a live worker stops beating: one notification naming it and its new state', async () => {
  try {
    // Two ticks: the fleet found at connect is the baseline, judged live since.
    await ticks(2);
    const before = api.alerts.shown.length;
    beating.delete('gpu-2');
    await waitFor(() => api.alerts.shown.length > before, {
      timeoutMs: 30_000,
      message: () =>
        `a notification (gpu-2 is ${api.manager.fleet.get('gpu-2')?.health}; shown: ${api.alerts.shown.map((a) => a.text).join(' | ')})`,
    });
    // A few more seconds of judging: still that one notification, not one per tick.
    await ticks(5);
    const shown = api.alerts.shown.slice(before);
    assert.equal(shown.length, 1, shown.map((a) => a.text).join(' | '));
    assert.deepEqual(shown[0].workers, ['gpu-2']);
    assert.match(shown[0].text, /^gpu-2 died at \d\d:\d\d:\d\d \(was (idle|unresponsive)\)$/);
    assert.deepEqual(
      shown[0].actions,
      ['Show in Workers', 'Mute 1 h'],
      'a folder of files cannot restart a worker: no Restart button',
    );
  } finally {
    await restore?.();
  }
}, 60_000);
