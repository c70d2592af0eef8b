import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fleet } from '../../src/core/fleet';
import { FilesSource, type FilesSourceOptions } from '../../src/sources/files/filesSource';
import { waitFor } from '../harness/freePort';
import { IGNORE_ACTIVITY } from '../../src/core/sourceSink';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wl-files-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const beat = (worker: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    worker,
    timestamp: new Date().toISOString(),
    status: 'idle',
    model_loaded: true,
    tasks_completed: 0,
    ...extra,
  });

/** Writes like a careful worker: a hidden temp file, then rename over the heartbeat. */
function writeAtomic(dir: string, name: string, text: string): void {
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(dir, name));
}

/** A running source feeding a real Fleet, with every health and removal the views would have seen. */
function run(opts: Partial<FilesSourceOptions> & { path: string }) {
  const fleet = new Fleet();
  const source = new FilesSource({ pollMs: 100, ...opts });
  const everUnknown = new Set<string>();
  const removed: string[] = [];
  let updates = 0;
  fleet.onChange((c) => {
    removed.push(...c.removed);
    for (const id of [...c.changed, ...c.added]) if (fleet.get(id)?.health === 'unknown') everUnknown.add(id);
  });
  source.start({
    ...IGNORE_ACTIVITY,
    replaceAll: (w) => fleet.replaceAll(w),
    update: (w, r) => {
      updates++;
      fleet.update(w, r);
    },
    setConnection: (c) => fleet.setConnection(c),
    log: () => undefined,
  });
  cleanups.push(() => source.dispose());
  const completed = (id: string) => fleet.get(id)?.snapshot.completed;
  return { fleet, source, everUnknown, removed, completed, updates: () => updates };
}

test('reads one worker per file (id from the worker field, else the file name) and goes live on file events', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'hb-1.json'), beat('worker-1', { tasks_completed: 5 }));
  writeFileSync(
    join(dir, 'worker-2.json'),
    JSON.stringify({ timestamp: new Date().toISOString(), status: 'processing' }),
  );
  writeFileSync(join(dir, 'notes.txt'), 'not a heartbeat');
  // A long reconciliation interval: only file events can make the next change visible in time.
  const { fleet, completed } = run({ path: dir, reconcileMs: 60_000 });
  await waitFor(() => fleet.connection.state === 'connected' && fleet.size === 2, { message: 'first scan' });
  assert.deepEqual(
    fleet.workers().map((w) => [w.snapshot.id, w.health]),
    [
      ['worker-1', 'healthy'],
      ['worker-2', 'working'],
    ],
  );
  assert.equal(fleet.connection.liveMode, 'file events, reconcile every 60s');
  writeFileSync(join(dir, 'hb-1.json'), beat('worker-1', { tasks_completed: 6 }));
  await waitFor(() => completed('worker-1') === 6, { message: 'change seen through a file event' });
});

test('atomic writes (temp file + rename) never make a worker disappear or look corrupt', async () => {
  const dir = tempDir();
  writeAtomic(dir, 'w1.json', beat('w1'));
  const { fleet, everUnknown, removed, completed } = run({ path: dir, reconcileMs: 60_000 });
  await waitFor(() => fleet.size === 1, { message: 'w1 read' });
  for (let i = 1; i <= 100; i++) writeAtomic(dir, 'w1.json', beat('w1', { tasks_completed: i }));
  await waitFor(() => completed('w1') === 100, { message: 'last atomic write seen' });
  // A writer whose temp name matches the pattern too: both files name w1, the newest wins.
  writeFileSync(join(dir, 'w1.tmp.json'), beat('w1', { tasks_completed: 101 }));
  renameSync(join(dir, 'w1.tmp.json'), join(dir, 'w1.json'));
  await waitFor(() => completed('w1') === 101, { message: 'rename from a matching temp name' });
  assert.deepEqual(removed, []);
  assert.deepEqual([...everUnknown], []);
  assert.equal(fleet.size, 1);
});

test('a half-written file is retried, not reported corrupt; one that stays bad is, after the retries', async () => {
  const dir = tempDir();
  const file = join(dir, 'w1.json');
  writeFileSync(file, beat('w1', { tasks_completed: 1 }));
  // Retries slow enough that the test finishes the write while they are pending.
  const { fleet, source, everUnknown, completed } = run({
    path: dir,
    retryDelaysMs: [300, 600, 1200],
    reconcileMs: 60_000,
  });
  await waitFor(() => completed('w1') === 1, { message: 'first read' });

  writeFileSync(file, '{"worker": "w1", "timest'); // the writer was interrupted mid-write…
  await waitFor(() => source.pendingRetries === 1, { message: 'cut-off JSON seen and a retry scheduled' });
  assert.equal(fleet.get('w1')?.health, 'healthy', 'the last good state is kept meanwhile');
  writeFileSync(file, beat('w1', { tasks_completed: 2 })); // …and finishes.
  await waitFor(() => completed('w1') === 2 && source.pendingRetries === 0, { message: 'completed write read' });

  // A new worker whose first write is caught half-done is not shown until it is whole.
  writeFileSync(join(dir, 'w2.json'), '');
  await waitFor(() => source.pendingRetries === 1, { message: 'empty new file awaiting a retry' });
  assert.equal(fleet.get('w2'), undefined);
  writeFileSync(join(dir, 'w2.json'), beat('w2'));
  await waitFor(() => fleet.get('w2')?.health === 'healthy', { message: 'w2 shown once whole' });
  assert.deepEqual([...everUnknown], []);

  writeFileSync(file, '{"worker": "w1", "timest'); // this time it stays broken
  await waitFor(() => fleet.get('w1')?.health === 'unknown', { timeoutMs: 10_000, message: 'w1 reported corrupt' });
  assert.match(fleet.get('w1')!.snapshot.problems[0], /w1\.json is not valid JSON .*still, after 3 retries/);
});

test('a slow writer flushing in many chunks is not called corrupt however many events it sends', async () => {
  const dir = tempDir();
  const file = join(dir, 'w1.json');
  writeFileSync(file, beat('w1', { tasks_completed: 1 }));
  const { source, everUnknown, completed } = run({ path: dir, retryDelaysMs: [1000, 2000, 4000], reconcileMs: 60_000 });
  await waitFor(() => completed('w1') === 1, { message: 'first read' });
  const full = beat('w1', { tasks_completed: 2 });
  const fd = openSync(file, 'w');
  cleanups.push(() => closeSync(fd));
  const chunks = 6;
  for (let i = 0; i < chunks - 1; i++) {
    const read = source.filesRead;
    writeSync(fd, full.slice((i * full.length) / chunks, ((i + 1) * full.length) / chunks));
    // Each chunk is an event and a bad read: more bad reads than there are retries.
    await waitFor(() => source.filesRead > read, { message: `chunk ${i + 1} read` });
  }
  assert.equal(source.pendingRetries, 1);
  writeSync(fd, full.slice(((chunks - 1) * full.length) / chunks));
  await waitFor(() => completed('w1') === 2, { message: 'whole file read' });
  assert.deepEqual([...everUnknown], []);
});

test('a deleted file (or one renamed away) removes its worker', async () => {
  const dir = tempDir();
  for (const n of ['a', 'b', 'c']) writeFileSync(join(dir, `${n}.json`), beat(n));
  const { fleet } = run({ path: dir, reconcileMs: 60_000 });
  await waitFor(() => fleet.size === 3, { message: 'three workers' });
  unlinkSync(join(dir, 'a.json'));
  renameSync(join(dir, 'b.json'), join(dir, 'b.json.bak'));
  await waitFor(() => fleet.size === 1, { message: 'a and b removed' });
  assert.deepEqual(
    fleet.workers().map((w) => w.snapshot.id),
    ['c'],
  );
});

test('a missing folder is said in words, keeps the last-known workers (stale), and recovers when it appears', async () => {
  const root = tempDir();
  const dir = join(root, 'workers');
  const { fleet } = run({ path: dir });
  await waitFor(() => fleet.connection.state === 'error', { message: 'error state' });
  assert.match(fleet.connection.message!, /Folder .*workers does not exist yet; waiting for it to appear/);

  mkdirSync(dir);
  writeFileSync(join(dir, 'w1.json'), beat('w1'));
  await waitFor(() => fleet.connection.state === 'connected' && fleet.size === 1, { message: 'folder appeared' });

  rmSync(dir, { recursive: true });
  await waitFor(() => fleet.connection.state === 'error', { message: 'folder removed' });
  assert.equal(fleet.size, 1, 'last-known data is kept');
  assert.ok(fleet.get('w1')!.stale);

  mkdirSync(dir);
  writeFileSync(join(dir, 'w9.json'), beat('w9'));
  await waitFor(() => fleet.connection.state === 'connected' && fleet.get('w9') !== undefined, {
    message: 'recreated folder read',
  });
  assert.equal(fleet.get('w1'), undefined, 'the recreated folder is the truth');
  // The new folder has a new inode: events must flow from it, not from the dead watch.
  writeFileSync(join(dir, 'w10.json'), beat('w10'));
  await waitFor(() => fleet.get('w10') !== undefined, { message: 'event in the recreated folder' });
});

test('a pattern and field overrides read another layout', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'gpu-1.hb'), JSON.stringify({ id: 'gpu-1', at: new Date().toISOString(), done: 3 }));
  writeFileSync(join(dir, 'gpu-1.json'), '{"ignored": true}');
  const { fleet } = run({ path: dir, pattern: '*.hb', fields: { name: 'id', lastHeartbeat: 'at', completed: 'done' } });
  await waitFor(() => fleet.size === 1, { message: 'gpu-1' });
  assert.equal(fleet.get('gpu-1')?.snapshot.completed, 3);
  assert.equal(fleet.get('gpu-1')?.health, 'healthy');
});

test('1,000 files: events re-read only what changed, a rescan reads nothing unchanged', async () => {
  const dir = tempDir();
  const N = 1000;
  for (let i = 0; i < N; i++) writeFileSync(join(dir, `w${i}.json`), beat(`w${i}`, { tasks_completed: 0 }));
  const { fleet, source, completed, updates } = run({ path: dir, reconcileMs: 60_000 });
  await waitFor(() => fleet.connection.state === 'connected' && fleet.size === N, { message: '1,000 workers' });
  assert.equal(source.filesRead, N);

  const before = source.filesRead;
  for (let i = 0; i < 10; i++) writeAtomic(dir, `w${i * 100}.json`, beat(`w${i * 100}`, { tasks_completed: 1 }));
  await waitFor(() => [...Array(10).keys()].every((i) => completed(`w${i * 100}`) === 1), { message: 'ten changes' });
  // Each rename can arrive as more than one event; still nowhere near a full read.
  assert.ok(source.filesRead - before <= 30, `read ${source.filesRead - before} files for 10 changes`);

  const beforeScan = source.filesRead;
  await source.refresh();
  assert.equal(source.filesRead, beforeScan, 'a rescan with nothing changed reads no file');

  const updatesBefore = updates();
  for (let i = 0; i < N; i++) writeAtomic(dir, `w${i}.json`, beat(`w${i}`, { tasks_completed: 2 }));
  await waitFor(() => fleet.workers().every((w) => w.snapshot.completed === 2), {
    timeoutMs: 20_000,
    message: 'all 1,000 rewritten',
  });
  const batches = updates() - updatesBefore;
  assert.ok(batches < N / 5, `1,000 writes arrived in ${batches} batches (coalesced)`);
});

test('a heartbeat that is a symlink to /proc/self/pagemap or a FIFO is read only up to the byte cap, never hangs; the others show (issue 14)', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'good.json'), beat('good'));
  symlinkSync('/proc/self/pagemap', join(dir, 'pagemap.json'));
  execFileSync('mkfifo', [join(dir, 'fifo.json')]);
  const rssBefore = process.memoryUsage().rss;
  const { fleet } = run({ path: dir, retryDelaysMs: [] });
  await waitFor(() => fleet.get('good')?.health === 'healthy' && fleet.get('pagemap') !== undefined, {
    timeoutMs: 60_000,
  });
  assert.match(
    fleet.get('pagemap')!.snapshot.problems.join(),
    /pagemap\.json is more than 1048576 bytes, too large for a heartbeat file/,
  );
  assert.equal(fleet.get('fifo'), undefined, 'a FIFO is not a heartbeat file');
  // Not a timing: what the read cost in memory (it was 1.1 GB).
  assert.ok(
    process.memoryUsage().rss - rssBefore < 200 * 1024 * 1024,
    `RSS grew ${Math.round((process.memoryUsage().rss - rssBefore) / 1e6)} MB`,
  );
});
