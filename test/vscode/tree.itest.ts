import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { WorkerLensApi } from '../../src/extension';
import type { TreeNode } from '../../src/vscode/workerTree';
import { note, test, waitFor } from './runner';

/*
 * Runs inside VS Code's extension host against the real `vscode` API. The e2e harness
 * writes the seed fleet (test/fixtures/seedFleet.ts) into a real redis-server and puts
 * `workerLens.connections` pointing at it into the user settings, with a 60 s poll so
 * that a change seen within seconds can only have come through a push path.
 */

let api: WorkerLensApi;

async function labelled(nodes: TreeNode[]): Promise<{ node: TreeNode; label: string; description: string }[]> {
  return nodes.map((node) => {
    const item = api.tree.getTreeItem(node);
    const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
    return { node, label, description: String(item.description ?? '') };
  });
}

async function workerRow(name: string) {
  for (const g of api.tree.getChildren()) {
    const row = (await labelled(api.tree.getChildren(g))).find((r) => r.label === name);
    if (row) return row;
  }
  return undefined;
}

test('the extension activates and reads the fleet from the configured Redis', async () => {
  const ext = vscode.extensions.getExtension<WorkerLensApi>('workerlens.worker-lens');
  assert.ok(ext, 'extension workerlens.worker-lens is installed');
  api = await ext.activate();
  await waitFor(() => api.manager.fleet.size === 7 && api.manager.fleet.connection.state === 'connected', {
    timeoutMs: 20_000,
    message: () =>
      `7 workers connected (have ${api.manager.fleet.size}, ${api.manager.fleet.connection.state} ${api.manager.fleet.connection.message ?? ''})`,
  });
});

test('workers are grouped by health, problems first, with counts', async () => {
  const groups = (await labelled(api.tree.getChildren())).map((g) => g.label);
  assert.deepEqual(groups, ['Dead (1)', 'Crashed (1)', 'Slow (1)', 'Working (1)', 'Healthy (1)', 'Unknown (2)']);
});

test('rows say what each worker is doing and how fresh its heartbeat is', async () => {
  // Its task started 3m 12s before the fleet was written; starting the workbench on a busy machine can add a minute.
  assert.match((await workerRow('worker-build'))!.description, /^working · Fix login bug · [3-5]m \d+s$/);
  assert.match((await workerRow('worker-idle'))!.description, /^idle · seen \d+s ago$/);
  assert.match((await workerRow('worker-dead'))!.description, /^dead · last seen 2m \d+s ago$/);
  assert.match((await workerRow('worker-slow'))!.description, /^slow · Reindex search · 20m \d+s$/);
  assert.match((await workerRow('worker-crashed'))!.description, /^crashed · last seen/);
  // A Redis connection can take restart requests: the row carries the token the inline action matches.
  const row = (await workerRow('worker-dead'))!;
  assert.equal(api.tree.getTreeItem(row.node).contextValue, 'worker;dead;restartable;');
});

test('a worker row expands to its task, counters (per-worker counters win) and heartbeat', async () => {
  const row = (await workerRow('worker-build'))!;
  const children = await labelled(api.tree.getChildren(row.node));
  assert.deepEqual(
    children.map((c) => c.label),
    ['Task: Fix login bug', 'Completed 14 · Errors 1', children[2].label],
  );
  assert.match(children[0].description, /bugfix · acme\/api · [3-5]m/);
  assert.match(children[2].label, /^Last heartbeat \d+s ago$/);
});

test('unreadable workers say what was wrong in their tooltip', async () => {
  const tooltip = async (name: string) => {
    const row = (await workerRow(name))!;
    const item = api.tree.resolveTreeItem(api.tree.getTreeItem(row.node), row.node);
    // Markdown escapes spaces and punctuation in text it was given; compare the words.
    return (item.tooltip as vscode.MarkdownString).value.replace(/&nbsp;/g, ' ').replace(/\\(.)/g, '$1');
  };
  assert.match(await tooltip('worker-garbled'), /not valid JSON/);
  assert.match(await tooltip('worker-ghost'), /does not exist/);
});

test('the status bar counts alive workers and turns red for a dead one', async () => {
  // The status bar repaints at most 5×/s: wait for the repaint, don't race it.
  await waitFor(() => api.statusBar.state.text === '$(pulse) 3/7 workers', {
    message: () =>
      `status bar "3/7 workers" (shows "${api.statusBar.state.text}", fleet ${JSON.stringify(api.manager.fleet.counts())})`,
  });
  assert.equal(api.statusBar.state.background, 'statusBarItem.errorBackground');
});

test('a change on a quiet view is painted at once (tree and status bar); a burst costs one repaint per window, ending on the last state', async () => {
  const fleet = api.manager.fleet;
  const cli = (...args: string[]) =>
    execFileSync('redis-cli', ['-u', process.env.WORKER_LENS_TEST_REDIS!, ...args], { encoding: 'utf8' });
  // In the store too (stopped), so that a reconciling full read keeps it and agrees with the last state below.
  cli('HSET', 'worker:state:worker-probe', 'status', 'stopped', 'last_activity', new Date().toISOString());
  cli('SADD', 'active_workers', 'worker-probe');
  await vscode.commands.executeCommand('workerLens.refresh');
  let treePaints = 0;
  const counting = api.tree.onDidPaint(() => treePaints++);
  const probe = (title: string, status = 'working') => ({
    id: 'worker-probe',
    name: 'worker-probe',
    status,
    lastHeartbeat: Date.now(),
    task: { id: 'T-1', title, startedAt: Date.now() },
    problems: [],
  });
  try {
    await waitFor(() => api.statusBar.state.text === '$(pulse) 3/8 workers', {
      message: () => `the probe worker read from Redis (${api.statusBar.state.text})`,
    });
    // The seed fleet heartbeats (and ages tick), so wait for a quiet moment; the change is
    // made in the same turn the quiet is seen, so nothing can slip in between.
    let paintsBefore = -1;
    await waitFor(
      () => {
        if (!api.tree.quiet || !api.statusBar.quiet) return false;
        paintsBefore = treePaints;
        fleet.update([probe('first')]);
        return true;
      },
      { message: 'a quiet moment in the tree and the status bar' },
    );
    assert.equal(
      treePaints,
      paintsBefore + 1,
      'the tree repainted in the same turn as the change, not at the end of a window',
    );
    assert.equal(api.statusBar.state.text, '$(pulse) 4/8 workers', 'the status bar shows the change at once');

    // 400 changes as fast as they come, over a few turns of the event loop, then a last one.
    const started = Date.now();
    const burstStart = treePaints;
    for (let i = 0; i < 400; i++) {
      fleet.update([probe(`burst ${i}`)]);
      if (i % 20 === 19) await new Promise((r) => setImmediate(r));
    }
    fleet.update([probe('burst end', 'stopped')]);
    await waitFor(
      () =>
        api.statusBar.state.text === '$(pulse) 3/8 workers' &&
        /^stopped/.test(String(api.tree.getTreeItem({ kind: 'worker', id: 'worker-probe' }).description)),
      {
        message: () => `the last state painted (status bar "${api.statusBar.state.text}")`,
      },
    );
    // Repaints are at least a window (250 ms) apart, whatever else repainted meanwhile.
    const bound = 1 + Math.ceil((Date.now() - started) / 250);
    const paints = treePaints - burstStart;
    assert.ok(paints <= bound, `${paints} tree repaints for 401 changes, at most ${bound} expected`);
  } finally {
    counting.dispose();
    cli('DEL', 'worker:state:worker-probe');
    cli('SREM', 'active_workers', 'worker-probe');
    await vscode.commands.executeCommand('workerLens.refresh');
  }
  await waitFor(() => api.statusBar.state.text === '$(pulse) 3/7 workers', {
    timeoutMs: 20_000,
    message: () => `the probe worker gone (${api.statusBar.state.text})`,
  });
});

test('a store that stops answering: last known workers stay, marked stale, with a Retry row; Retry recovers', async () => {
  const url = process.env.WORKER_LENS_TEST_REDIS!;
  // Redis stops answering everyone for 7 s (what a failover or a stuck server looks like).
  execFileSync('redis-cli', ['-u', url, 'CLIENT', 'PAUSE', '7000', 'ALL']);
  await vscode.commands.executeCommand('workerLens.refresh');
  await waitFor(() => api.manager.fleet.connection.state === 'error', {
    timeoutMs: 10_000,
    message: 'the connection reported as failing',
  });
  assert.equal(api.manager.fleet.size, 7, 'no worker dropped');
  const top = await labelled(api.tree.getChildren());
  assert.equal(top[0].label, 'Cannot reach the store — Retry');
  assert.match(top[0].description, /Timed out|Redis/);
  // Its age stays true and the row says the store, not the worker, went quiet (issue 14).
  assert.match(
    (await workerRow('worker-build'))!.description,
    /^working · Fix login bug · \dm \d+s · store unreachable \d+s$/,
  );
  await waitFor(() => /\(stale\)/.test(api.statusBar.state.text), {
    message: () => `status bar marked stale (${api.statusBar.state.text})`,
  });
  // The Retry row runs workerLens.refresh; once Redis answers again, everything is live.
  // redis-cli's PING is held by the pause and answers when Redis does again.
  assert.equal(execFileSync('redis-cli', ['-u', url, 'PING'], { encoding: 'utf8', timeout: 15_000 }).trim(), 'PONG');
  await vscode.commands.executeCommand((api.tree.getTreeItem(top[0].node).command as vscode.Command).command);
  await waitFor(() => api.manager.fleet.connection.state === 'connected', {
    timeoutMs: 10_000,
    message: 'connected again',
  });
  assert.doesNotMatch((await workerRow('worker-build'))!.description, /stale|unreachable/);
}, 60_000);

test('a change written with redis-cli shows in the tree without Refresh (poll is 60 s)', async () => {
  const url = process.env.WORKER_LENS_TEST_REDIS;
  assert.ok(url, 'WORKER_LENS_TEST_REDIS is set by the harness');
  // What an operator (or the orchestrator) does from a shell; argv, no shell in between.
  const cli = (...args: string[]) => execFileSync('redis-cli', ['-u', url, ...args], { encoding: 'utf8' });
  const now = new Date().toISOString();
  const task = JSON.stringify({
    id: 'T-99',
    title: 'Deploy v2',
    task_type: 'deploy',
    repository: 'acme/web',
    started_at: now,
  });
  const written = Date.now();
  cli('HSET', 'worker:state:worker-idle', 'status', 'working', 'last_activity', now, 'current_task', task);
  // The orchestrator announces state changes on its events stream (seed 001).
  cli('XADD', 'events:stream', '*', 'worker_id', 'worker-idle', 'event', 'task_started');
  await waitFor(async () => /^working · Deploy v2/.test((await workerRow('worker-idle'))?.description ?? ''), {
    timeoutMs: 5_000,
    message: 'worker-idle shows "working · Deploy v2" without a refresh',
  });
  note(`redis-cli write → tree row updated in ${Date.now() - written} ms (${api.manager.fleet.connection.liveMode})`);
  // The view's title says it is live (its description is hidden when it is alone in its container).
  await waitFor(() => api.tree.title === 'Workers · live', {
    message: () => `view title "Workers · live" (${api.tree.title})`,
  });
});

test('a user restarts a dead worker and watches it come back; scaling 3 → 5 adds two heartbeating workers', async () => {
  const config = vscode.workspace.getConfiguration('workerLens');
  await config.update('activeConnection', 'pool', vscode.ConfigurationTarget.Global);
  const health = (id: string) => api.manager.fleet.get(id)?.health;
  const seen: string[] = [];
  const unsubscribe = api.manager.fleet.onChange(() => {
    const h = health('pool-1');
    if (h && seen[seen.length - 1] !== h) seen.push(h);
  });
  // The modal confirmation cannot be clicked from here: answer it "yes" through the API seam.
  const notices: string[] = [];
  const restoreUi = api.controlUi({
    confirm: async () => true,
    askCount: async () => 5,
    notify: (level, text) => void notices.push(`${level}: ${text}`),
  });
  try {
    await waitFor(() => api.manager.active?.name === 'pool' && health('pool-1') === 'dead', {
      timeoutMs: 30_000,
      message: () => `pool-1 dead (active ${api.manager.active?.name}, pool-1 ${health('pool-1')})`,
    });
    // What the tree's inline action does: the command with the clicked row. It returns once
    // the supervisor has stopped the wedged process and started a new one, and says so.
    await vscode.commands.executeCommand('workerLens.restartWorker', { kind: 'worker', id: 'pool-1' });
    assert.match(
      notices.join('\n'),
      /^info: Restart pool-1: done — restarted pool-1 \(pid \d+ → \d+\)/m,
      `the user is told pool-1 restarted: ${notices}`,
    );
    // From here on only the new process writes (the old one, thawed to exit, may have beaten
    // once more and written "stopped" on its way out): it warms up, then idles.
    seen.length = 0;
    seen.push(String(health('pool-1')));
    await waitFor(() => seen.includes('recovering') && health('pool-1') === 'healthy', {
      timeoutMs: 30_000,
      message: () => `the new pool-1 warming up (recovering), then healthy (went ${seen.join(' → ')})`,
    });

    await vscode.commands.executeCommand('workerLens.scaleWorkers');
    await waitFor(() => ['pool-4', 'pool-5'].every((id) => health(id) === 'healthy') && api.manager.fleet.size === 5, {
      timeoutMs: 30_000,
      message: () =>
        `5 pool workers, pool-4 and pool-5 healthy (have ${api.manager.fleet
          .workers()
          .map((w) => `${w.snapshot.id}:${w.health}`)
          .join(', ')})`,
    });
  } finally {
    unsubscribe();
    restoreUi();
    await config.update('activeConnection', 'seed', vscode.ConfigurationTarget.Global);
  }
}, 120_000);

test("a Supabase connection shows seed 003's five workers through PostgREST, live through Realtime", async () => {
  const config = vscode.workspace.getConfiguration('workerLens');
  await config.update('activeConnection', 'supabase', vscode.ConfigurationTarget.Global);
  try {
    await waitFor(
      () =>
        api.manager.active?.name === 'supabase' &&
        api.manager.fleet.size === 5 &&
        api.manager.fleet.connection.state === 'connected',
      {
        timeoutMs: 20_000,
        message: () =>
          `5 Supabase workers (active ${api.manager.active?.name}, ${api.manager.fleet.size}, ${api.manager.fleet.connection.message ?? ''})`,
      },
    );
    // As seed 003's dashboard says: 3/5 Running, "Stopped" after 5 minutes silent, "Crashed" by the circuit breaker.
    const rows = api.manager.fleet
      .workers()
      .map((w) => `${w.snapshot.name}:${w.health}:${w.snapshot.completed}/${w.snapshot.errors}`)
      .sort();
    assert.deepEqual(rows, [
      'initiative-worker:healthy:42/1',
      'mission-worker:healthy:42/1',
      'objective-proposal-worker:dead:42/1',
      'outcome-learner:crashed:42/10',
      'roundtable-worker:healthy:42/1',
    ]);
    await waitFor(() => api.statusBar.state.text === '$(pulse) 3/5 workers', {
      message: () => `"3/5" in the status bar (${api.statusBar.state.text})`,
    });
    // Realtime over `ws` from inside the extension host (Node 20 has no WebSocket of its own),
    // named where a user looks: the view title and the status bar's tooltip.
    await waitFor(
      () =>
        api.tree.title === 'Workers · live' &&
        /Updates: Realtime \(postgres_changes\)/.test(api.statusBar.state.tooltip),
      {
        timeoutMs: 15_000,
        message: () =>
          `Realtime live (${api.manager.fleet.connection.liveMode} / ${api.tree.title} / ${api.statusBar.state.tooltip})`,
      },
    );
  } finally {
    await config.update('activeConnection', 'seed', vscode.ConfigurationTarget.Global);
  }
});

test("a Supabase table with only seed 003's three columns shows the same five workers, without an error", async () => {
  // seed_workers: worker_name, status, last_heartbeat and nothing else (the e2e harness
  // keeps its workers beating); the preset's pid, uptime, memory and counters are optional.
  const config = vscode.workspace.getConfiguration('workerLens');
  const before = config.inspect<{ name: string; url?: string }[]>('connections')?.globalValue ?? [];
  const url = before.find((c) => c.name === 'supabase')?.url;
  assert.ok(url, "the harness's supabase connection");
  const seedColumns = {
    name: 'seed-columns',
    type: 'supabase',
    url,
    preset: 'supabase-heartbeat',
    table: 'seed_workers',
    secretEnv: 'WL_TEST_SUPABASE_KEY',
  };
  await config.update('connections', [...before, seedColumns], vscode.ConfigurationTarget.Global);
  await config.update('activeConnection', 'seed-columns', vscode.ConfigurationTarget.Global);
  try {
    await waitFor(
      () =>
        api.manager.active?.name === 'seed-columns' &&
        api.manager.fleet.size === 5 &&
        api.manager.fleet.connection.state === 'connected',
      {
        timeoutMs: 20_000,
        message: () =>
          `5 workers from seed_workers (active ${api.manager.active?.name}, ${api.manager.fleet.size}, ${api.manager.fleet.connection.state} ${api.manager.fleet.connection.message ?? ''})`,
      },
    );
    const rows = api.manager.fleet
      .workers()
      .map((w) => `${w.snapshot.name}:${w.health}`)
      .sort();
    assert.deepEqual(rows, [
      'initiative-worker:healthy',
      'mission-worker:healthy',
      'objective-proposal-worker:dead',
      'outcome-learner:crashed',
      'roundtable-worker:healthy',
    ]);
    await waitFor(() => api.statusBar.state.text === '$(pulse) 3/5 workers', {
      message: () => `"3/5" in the status bar (${api.statusBar.state.text})`,
    });
    // Nothing about the absent columns where the user looks.
    assert.doesNotMatch(`${api.tree.message ?? ''} ${api.manager.fleet.connection.message ?? ''}`, /column|missing/i);
  } finally {
    await config.update('connections', before, vscode.ConfigurationTarget.Global);
    await config.update('activeConnection', 'seed', vscode.ConfigurationTarget.Global);
  }
});

test('with no connection configured, a .workers/ folder in the workspace is used without asking', async () => {
  // Seed 004's heartbeat files, written now so their ages are fresh.
  const dir = join(vscode.workspace.workspaceFolders![0].uri.fsPath, '.workers');
  mkdirSync(dir, { recursive: true });
  const beat = (worker: string, status: string) =>
    JSON.stringify({ worker, timestamp: new Date().toISOString(), status, model_loaded: true, tasks_completed: 3 });
  writeFileSync(join(dir, 'gpu-1.json'), beat('gpu-1', 'idle'));
  writeFileSync(join(dir, 'gpu-2.json'), beat('gpu-2', 'stopped'));
  const config = vscode.workspace.getConfiguration('workerLens');
  const before = config.inspect('connections')?.globalValue;
  await config.update('connections', [], vscode.ConfigurationTarget.Global);
  try {
    await waitFor(() => api.manager.active?.type === 'files' && api.manager.fleet.size === 2, {
      timeoutMs: 15_000,
      message: () =>
        `the .workers/ folder's 2 workers (active ${api.manager.active?.name}, ${api.manager.fleet.size} workers)`,
    });
    const names = api.manager.fleet.workers().map((w) => `${w.snapshot.name}:${w.health}`);
    assert.deepEqual(names, ['gpu-1:healthy', 'gpu-2:stopped']);
    // A folder has no store to send a restart through (and no program is configured): no Restart action.
    await waitFor(
      async () => api.tree.getTreeItem((await workerRow('gpu-1'))!.node).contextValue === 'worker;healthy;',
      {
        message: 'gpu-1 without the restartable token',
      },
    );
  } finally {
    await config.update('connections', before, vscode.ConfigurationTarget.Global);
  }
});

test('a setting a client library would refuse is said in the view, in words; fixing it recovers without a reload', async () => {
  const dir = join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'relative-workers');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'gpu-9.json'),
    JSON.stringify({ worker: 'gpu-9', timestamp: new Date().toISOString(), status: 'idle' }),
  );
  const config = vscode.workspace.getConfiguration('workerLens');
  const before = config.inspect<unknown[]>('connections')?.globalValue ?? [];
  // An unclosed brace in the file pattern: valid JSON, valid settings shape, not a valid glob.
  const broken = { name: 'broken', type: 'files', path: 'relative-workers', pattern: '*.{json' };
  await config.update('connections', [...before, broken], vscode.ConfigurationTarget.Global);
  await config.update('activeConnection', 'broken', vscode.ConfigurationTarget.Global);
  try {
    await waitFor(() => api.manager.active?.name === 'broken' && api.manager.fleet.connection.state === 'error', {
      message: () =>
        `the broken connection reported (active ${api.manager.active?.name}, ${api.manager.fleet.connection.state} ${api.manager.fleet.connection.message ?? ''})`,
    });
    assert.equal(
      api.manager.fleet.connection.message,
      'Connection "broken" cannot start: the pattern "*.{json" has an unclosed "{". Check it in settings (workerLens.connections).',
    );
    // Where the user reads it: the message at the top of the view (no workers to show under it).
    await waitFor(() => api.tree.message === `⚠ ${api.manager.fleet.connection.message}`, {
      message: () => `the view's message (${api.tree.message})`,
    });
    // Fixed in settings: picked up at once, and the relative path is the workspace's folder.
    await config.update(
      'connections',
      [...before, { ...broken, pattern: '*.{json,hb}' }],
      vscode.ConfigurationTarget.Global,
    );
    await waitFor(
      () => api.manager.fleet.connection.state === 'connected' && api.manager.fleet.get('gpu-9')?.health === 'healthy',
      {
        message: () =>
          `recovered from the workspace's relative-workers/ (${api.manager.fleet.connection.state} ${api.manager.fleet.connection.message ?? ''}, ${api.manager.fleet.size} workers)`,
      },
    );
  } finally {
    await config.update('connections', before, vscode.ConfigurationTarget.Global);
    await config.update('activeConnection', 'seed', vscode.ConfigurationTarget.Global);
  }
});
