import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWorker } from '../../src/core/describe';
import { Fleet } from '../../src/core/fleet';
import { fleetSink } from '../../src/core/sourceSink';
import { FilesSource } from '../../src/sources/files/filesSource';
import { waitFor } from '../harness/freePort';

test('heartbeat folder gone for longer than dead-after (an unmounted share): nobody called dead, ages true, judged afresh once it is back', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'wl-blind-'));
  const dir = join(root, 'workers');
  mkdirSync(dir);
  const beat = (id: string) =>
    writeFileSync(
      join(dir, `${id}.json`),
      JSON.stringify({ worker: id, timestamp: new Date().toISOString(), status: 'idle' }),
    );
  beat('w1');
  const fleet = new Fleet({
    unresponsiveAfterSeconds: 1,
    deadAfterSeconds: 2,
    slowTaskAfterMinutes: 15,
    adaptive: false,
  });
  const source = new FilesSource({ path: dir, pollMs: 100 });
  t.after(async () => {
    await source.dispose();
    rmSync(root, { recursive: true, force: true });
  });
  source.start(fleetSink(fleet));
  await waitFor(() => fleet.connection.state === 'connected' && fleet.get('w1')?.health === 'healthy', {
    message: 'w1 read',
  });

  const seen = new Set<string>();
  fleet.onChange(() => fleet.workers().forEach((w) => seen.add(w.health)));
  rmSync(dir, { recursive: true });
  const goneAt = Date.now();
  await waitFor(() => fleet.connection.state === 'error', { message: 'the folder is missing, said' });
  // Three times dead-after, with the views re-judging health as they do every second.
  await waitFor(() => (fleet.reclassify(), Date.now() - goneAt >= 6000), { timeoutMs: 10_000, intervalMs: 100 });
  assert.equal(fleet.get('w1')?.health, 'healthy', 'the observer was blind, not the worker');
  assert.deepEqual([...seen], ['healthy']);
  assert.match(describeWorker(fleet.get('w1')!, Date.now()), /^idle · seen \d+s ago · store unreachable \d+s$/);

  mkdirSync(dir);
  beat('w1');
  await waitFor(
    () => fleet.connection.state === 'connected' && fleet.get('w1')?.health === 'healthy' && !fleet.get('w1')?.stale,
    { message: 'back, and judged afresh' },
  );
});
