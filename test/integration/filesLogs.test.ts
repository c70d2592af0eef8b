import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogEntry } from '../../src/core/logEntry';
import { Fleet } from '../../src/core/fleet';
import { FilesSource } from '../../src/sources/files/filesSource';
import { LogFollower, type LogFollowerOptions } from '../../src/sources/files/logFollower';
import { waitFor } from '../harness/freePort';
import { IGNORE_ACTIVITY } from '../../src/core/sourceSink';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wl-logs-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function follow(opts: Partial<LogFollowerOptions> & { glob: string }) {
  const entries: LogEntry[] = [];
  const problems: string[] = [];
  // A long poll: only folder events can deliver in time, so these tests show the events work.
  const f = new LogFollower({
    pollMs: 30_000,
    onEntries: (e) => entries.push(...e),
    onProblem: (m) => problems.push(m),
    ...opts,
  });
  f.start();
  cleanups.push(() => f.dispose());
  const messages = () => entries.map((e) => e.message);
  const has = (m: string) => () => messages().includes(m);
  return { f, entries, problems, messages, has };
}

const line = (msg: string, level = 'INFO') => `[2026-02-07 21:05:50] [${level}] ${msg}\n`;

test('tails appends from every matching file, with the worker from the file name', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'worker-1.log'), line('old one') + line('old two'));
  writeFileSync(join(dir, 'other.txt'), line('not followed'));
  const { entries, messages, has } = follow({ glob: join(dir, 'worker-*.log') });
  await waitFor(has('old two'), { message: 'backlog read' });
  appendFileSync(join(dir, 'worker-1.log'), line('boom', 'ERROR'));
  writeFileSync(join(dir, 'worker-2.log'), line('hello from two'));
  await waitFor(() => has('boom')() && has('hello from two')(), { message: 'appends and a new file' });
  assert.deepEqual(messages(), ['old one', 'old two', 'boom', 'hello from two']);
  const boom = entries.find((e) => e.message === 'boom')!;
  assert.equal(boom.level, 'error');
  assert.equal(boom.worker, 'worker-1');
  assert.equal(boom.source, join(dir, 'worker-1.log'));
  assert.equal(boom.ts, new Date(2026, 1, 7, 21, 5, 50).getTime());
  assert.equal(entries.find((e) => e.message === 'hello from two')!.worker, 'worker-2');
  assert.equal(new Set(entries.map((e) => e.id)).size, entries.length, 'ids are unique');
});

test('only the tail of a big existing file is read at start, from a line boundary', async () => {
  const dir = tempDir();
  const lines = Array.from({ length: 2000 }, (_, i) => line(`line ${i}`)).join('');
  writeFileSync(join(dir, 'w.log'), lines);
  const { messages, has } = follow({ glob: join(dir, '*.log'), backlogBytes: 1024 });
  await waitFor(has('line 1999'), { message: 'tail read' });
  assert.ok(messages().length < 40, `${messages().length} lines of backlog`);
  assert.ok(
    messages().every((m) => /^line \d+$/.test(m)),
    'no cut line at the start',
  );
});

test('follows through rotation: the old file is finished, then the new one read from its start', async () => {
  const dir = tempDir();
  const log = join(dir, 'worker-1.log');
  writeFileSync(log, line('before'));
  const { f, messages, has } = follow({ glob: join(dir, 'worker-*.log') });
  await waitFor(has('before'), { message: 'first line' });
  // Written and rotated at once: the follower reads the last line through its open descriptor.
  appendFileSync(log, 'last line of the old file, no newline');
  renameSync(log, `${log}.1`);
  writeFileSync(log, line('first of the new file'));
  await waitFor(has('first of the new file'), { message: 'new file followed' });
  await f.poll();
  assert.deepEqual(messages(), ['before', 'last line of the old file, no newline', 'first of the new file']);
});

test('follows through truncation (copytruncate) and a partial line completed later', async () => {
  const dir = tempDir();
  const log = join(dir, 'w.log');
  writeFileSync(log, line('a fairly long first line so the file shrinks when truncated'));
  const { messages, has } = follow({ glob: join(dir, '*.log') });
  await waitFor(() => messages().length === 1, { message: 'first line' });
  truncateSync(log, 0);
  appendFileSync(log, '[2026-02-07 21:06:00] after trunc');
  appendFileSync(log, 'ation\n');
  await waitFor(has('after truncation'), { message: 'read from 0 after truncation' });
  assert.equal(messages().length, 2);
});

test("a traceback continues its entry (same time, level, worker); a line's own tag names its worker", async () => {
  const dir = tempDir();
  const { entries, has } = follow({ glob: join(dir, '*.log') });
  writeFileSync(
    join(dir, 'worker-1.log'),
    '[2026-02-07 21:45:26] [worker-gpu1] Worker crashed in main loop: KeyError\nTraceback (most recent call last):\n  File "worker.py", line 3\n[2026-02-07 21:45:27] Worker shutting down - completed 42 tasks\n',
  );
  await waitFor(has('Worker shutting down - completed 42 tasks'), { message: 'all lines' });
  assert.deepEqual(
    entries.map((e) => [e.worker, e.level, e.message]),
    [
      ['worker-gpu1', 'error', 'Worker crashed in main loop: KeyError'],
      ['worker-gpu1', 'error', 'Traceback (most recent call last):'],
      ['worker-gpu1', 'error', '  File "worker.py", line 3'],
      ['worker-1', 'info', 'Worker shutting down - completed 42 tasks'],
    ],
  );
  assert.equal(entries[2].ts, entries[0].ts);
});

test('a log folder that does not exist yet is reported, then followed when it appears', async () => {
  const root = tempDir();
  const dir = join(root, 'errors');
  const { f, problems, has } = follow({ glob: join(dir, 'worker-*.log'), pollMs: 50 });
  await waitFor(() => problems.length > 0, { message: 'problem reported' });
  assert.match(problems[0], /Log folder .*errors does not exist yet/);
  mkdirSync(dir);
  writeFileSync(join(dir, 'worker-3.log'), line('appeared'));
  await waitFor(has('appeared'), { message: 'followed after appearing' });
  await f.poll();
});

test("the files source exposes its workers' logs (relative glob) beside the heartbeats", async () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'logs'));
  writeFileSync(
    join(dir, 'worker-1.json'),
    JSON.stringify({ worker: 'worker-1', timestamp: new Date().toISOString(), status: 'idle' }),
  );
  const fleet = new Fleet();
  const source = new FilesSource({ path: dir, logs: 'logs/worker-*.log', pollMs: 100 });
  const got: LogEntry[] = [];
  source.start({
    ...IGNORE_ACTIVITY,
    logs: (e) => got.push(...e),
    replaceAll: (w) => fleet.replaceAll(w),
    update: (w, r) => fleet.update(w, r),
    setConnection: (c) => fleet.setConnection(c),
    log: () => undefined,
  });
  cleanups.push(() => source.dispose());
  await waitFor(() => fleet.size === 1, { message: 'heartbeat read' });
  writeFileSync(join(dir, 'logs', 'worker-1.log'), line('Claimed resource task: d5de16d7 (load_llm)'));
  await waitFor(() => got.some((e) => e.worker === 'worker-1' && /Claimed resource task/.test(e.message)), {
    message: 'log entry',
  });
});
