import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { WorkerLensApi } from '../../src/extension';
import type { TreeNode } from '../../src/vscode/workerTree';
import { test, waitFor } from './runner';

/*
 * A framework fleet in the tree, as a new user meets it: a connection with only the URL of a Redis where real RQ and
 * BullMQ workers run (started by the e2e harness on db 2: rq-busy running rqJobs.long(600), bull-idle waiting on
 * "emails"). Detection finds both frameworks; each worker shows the name it was started with and its job.
 */

async function rows(api: WorkerLensApi): Promise<{ node: TreeNode; label: string; description: string }[]> {
  const out: { node: TreeNode; label: string; description: string }[] = [];
  const walk = (nodes: TreeNode[]) => {
    for (const node of nodes) {
      const item = api.tree.getTreeItem(node);
      if (node.kind === 'worker') {
        const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
        out.push({ node, label, description: String(item.description ?? '') });
      } else if (node.kind !== 'detail') walk(api.tree.getChildren(node));
    }
  };
  walk(api.tree.getChildren());
  return out;
}

test('a Redis connection with only the URL shows RQ and BullMQ workers in the tree by name, the busy one with its job', async () => {
  const url = process.env.WORKER_LENS_TEST_FRAMEWORKS_REDIS;
  assert.ok(url, 'WORKER_LENS_TEST_FRAMEWORKS_REDIS is set by the harness (real RQ and BullMQ workers there)');
  // Activated already when the whole suite runs (tree.itest.ts first); activate() returns the same API then.
  const api = await vscode.extensions.getExtension<WorkerLensApi>('workerlens.worker-lens')!.activate();
  const config = vscode.workspace.getConfiguration('workerLens');
  const before = config.inspect<unknown[]>('connections')?.globalValue ?? [];
  const beforeActive = config.inspect<string>('activeConnection')?.globalValue;
  await config.update(
    'connections',
    [...before, { name: 'frameworks', type: 'redis', url }],
    vscode.ConfigurationTarget.Global,
  );
  await config.update('activeConnection', 'frameworks', vscode.ConfigurationTarget.Global);
  try {
    let seen = '';
    await waitFor(
      async () => {
        const r = await rows(api);
        seen = r.map((x) => `${x.label}: ${x.description}`).join(' | ');
        return (
          api.manager.active?.name === 'frameworks' &&
          r.some((x) => x.label === 'rq-busy' && /^working · rqJobs\.long\(600\) · /.test(x.description)) &&
          r.some((x) => x.label === 'bull-idle' && /^idle\b/.test(x.description))
        );
      },
      {
        timeoutMs: 60_000,
        message: () =>
          `rq-busy working on rqJobs.long(600) and bull-idle idle (active ${api.manager.active?.name}, ${api.manager.fleet.connection.state} ${api.manager.fleet.connection.message ?? ''}; rows: ${seen})`,
      },
    );
    const busy = (await rows(api)).find((x) => x.label === 'rq-busy')!;
    // Restart is offered on it (the framework's own graceful stop); the gentle controls' tokens may follow.
    assert.match(api.tree.getTreeItem(busy.node).contextValue ?? '', /^worker;working;restartable;/);
    const snapshot = api.manager.fleet.get((busy.node as { id: string }).id)!.snapshot;
    assert.equal(snapshot.framework, 'rq');
    assert.match(snapshot.specialization ?? '', /^RQ · long$/);
    // The view's line says what was found and how it is read.
    assert.match(api.manager.fleet.connection.liveMode ?? '', /RQ, BullMQ: poll every/);
  } finally {
    await config.update('connections', before, vscode.ConfigurationTarget.Global);
    await config.update('activeConnection', beforeActive, vscode.ConfigurationTarget.Global);
  }
}, 90_000);
