import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeSeedFleet } from '../fixtures/seedFleet';
import { freePort, waitFor } from '../harness/freePort';
import { startRedis, type RedisServer } from '../harness/redisServer';

// The CLI runs as users run it: a separate process, from source through tsx.
const ROOT = resolve(__dirname, '../..');
const MAIN = join(ROOT, 'src/cli/main.ts');
// By path, not by name: the child may run in a temp folder where `tsx` does not resolve.
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): { child: ChildProcess; out: () => string; done: Promise<Run> } {
  const env: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: undefined,
    FORCE_COLOR: undefined,
    ...opts.env,
  };
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Run>((res) => child.on('close', (code) => res({ code, stdout, stderr })));
  children.add(child);
  void done.then(() => children.delete(child));
  return { child, out: () => stdout, done };
}
const cli = (args: string[], opts?: { cwd?: string; env?: Record<string, string> }) => start(args, opts).done;

const children = new Set<ChildProcess>();
const dirs: string[] = [];
let redis: RedisServer;

before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});
afterEach(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'wl-cli-'));
  dirs.push(d);
  return d;
}

const beat = (worker: string, agoMs = 0, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    worker,
    timestamp: new Date(Date.now() - agoMs).toISOString(),
    status: 'idle',
    model_loaded: true,
    tasks_completed: 3,
    ...extra,
  });

test('redis: the seed fleet as a table, problems first, "3/7 alive", exit 1 (dead and crashed)', async () => {
  await writeSeedFleet(redis.client());
  const r = await cli(['status', '--redis', redis.url]);
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0], /^WORKER\s+HEALTH\s+TASK\s+ELAPSED\s+LAST SEEN\s+DONE\s+ERRORS$/);
  assert.deepEqual(
    lines.slice(1, 8).map((l) => l.split(/\s+/).slice(0, 2)),
    [
      ['worker-dead', 'dead'],
      ['worker-crashed', 'crashed'],
      ['worker-slow', 'slow'],
      ['worker-build', 'working'],
      ['worker-idle', 'idle'],
      ['worker-garbled', 'unknown'],
      ['worker-ghost', 'unknown'],
    ],
  );
  assert.match(r.stdout, /worker-build\s+working\s+Fix login bug\s+3m \d+s\s+\d+s ago\s+14\s+1/);
  assert.match(r.stdout, /worker-ghost: listed in active_workers but worker:state:worker-ghost does not exist/);
  assert.match(r.stdout, /^3\/7 alive · 1 dead · 1 crashed · 2 unknown$/m);
  assert.doesNotMatch(r.stdout, /\x1b\[/, 'no colours into a pipe');
});

test('redis: --json is machine-readable with the same answer', async () => {
  await writeSeedFleet(redis.client());
  const r = await cli(['status', '--redis', redis.url, '--json']);
  assert.equal(r.code, 1, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.source, redis.url);
  assert.deepEqual([j.summary.alive, j.summary.total, j.summary.byHealth.dead, j.exitCode], [3, 7, 1, 1]);
  assert.deepEqual(j.workers.map((w: { id: string }) => w.id).slice(0, 2), ['worker-dead', 'worker-crashed']);
  const build = j.workers.find((w: { id: string }) => w.id === 'worker-build');
  assert.equal(build.task.title, 'Fix login bug');
  assert.ok(build.task.elapsedSeconds >= 192 && build.lastSeenSecondsAgo < 15, JSON.stringify(build));
});

test('redis: exit 0 when nobody is dead or crashed', async () => {
  const c = redis.client();
  await writeSeedFleet(c);
  await c.srem('active_workers', 'worker-dead', 'worker-crashed');
  const r = await cli(['status', '--redis', redis.url]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^3\/5 alive · 2 unknown$/m);
});

test('redis: connection refused and a missing --key-env variable are exit 2 with a clear message', async () => {
  const port = await freePort();
  const refused = await cli(['status', '--redis', `redis://127.0.0.1:${port}`]);
  assert.equal(refused.code, 2);
  assert.equal(refused.stdout, '');
  assert.match(
    refused.stderr,
    new RegExp(`refused the connection at redis://127.0.0.1:${port}.*is redis-server running`),
  );
  const noKey = await cli(['status', '--redis', redis.url, '--key-env', 'WL_TEST_NOT_SET']);
  assert.equal(noKey.code, 2);
  assert.match(noKey.stderr, /WL_TEST_NOT_SET .* is not set/);
});

test('folder: table and exit 0 while all beat, exit 1 once one is dead; --json; --color forced', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'worker-1.json'), beat('worker-1'));
  writeFileSync(
    join(dir, 'worker-2.json'),
    beat('worker-2', 0, {
      status: 'processing',
      current_task: { title: 'Transcribe video', started_at: new Date(Date.now() - 60_000).toISOString() },
    }),
  );
  const ok = await cli(['status', '--folder', dir]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /worker-2\s+working\s+Transcribe video\s+1m \d+s\s+\d+s ago\s+3/);
  assert.match(ok.stdout, /^2\/2 alive$/m);

  writeFileSync(join(dir, 'worker-3.json'), beat('worker-3', 5 * 60_000));
  const dead = await cli(['status', '--folder', dir, '--json']);
  assert.equal(dead.code, 1);
  const j = JSON.parse(dead.stdout);
  assert.deepEqual(
    j.workers.map((w: { id: string; health: string }) => `${w.id}:${w.health}`),
    ['worker-3:dead', 'worker-2:working', 'worker-1:healthy'],
  );

  const coloured = await cli(['status', '--folder', dir, '--color']);
  assert.match(coloured.stdout, /\x1b\[31mdead/);
  const lenient = await cli(['status', '--folder', dir, '--dead-after', '600', '--unresponsive-after', '400']);
  assert.equal(lenient.code, 0, 'thresholds from the command line');
});

test('folder: ./.workers is the default; no source at all, a missing folder or --supabase are exit 2', async () => {
  const cwd = tempDir();
  const empty = await cli(['status'], { cwd });
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /no source given/);

  mkdirSync(join(cwd, '.workers'));
  writeFileSync(join(cwd, '.workers', 'w1.json'), beat('w1'));
  const dflt = await cli([], { cwd });
  assert.equal(dflt.code, 0, dflt.stderr);
  assert.match(dflt.stdout, /^w1\s+idle/m);

  const missing = await cli(['status', '--folder', join(cwd, 'nope')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /folder .*nope does not exist/);

  const supa = await cli(['status', '--supabase', 'https://example.supabase.co']);
  assert.equal(supa.code, 2);
  assert.match(supa.stderr, /supabase/i);

  const usage = await cli(['status', '--redis', redis.url, '--folder', cwd]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /not several[\s\S]*Usage: worker-lens status/);
});

test('--watch --json streams one document per refresh and follows changes; Ctrl-C ends it', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'w1.json'), beat('w1'));
  const run = start(['status', '--folder', dir, '--watch', '--json', '--interval', '0.3']);
  const docs = () =>
    run
      .out()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { workers: { id: string }[]; exitCode: number });
  await waitFor(() => docs().some((d) => d.workers.some((w) => w.id === 'w1')), { message: 'first document with w1' });
  writeFileSync(join(dir, 'w2.json'), beat('w2', 10 * 60_000));
  await waitFor(() => docs().some((d) => d.workers.some((w) => w.id === 'w2')), {
    message: 'a document with the new, dead w2',
  });
  assert.equal(docs().at(-1)!.exitCode, 1);
  run.child.kill('SIGINT');
  const r = await run.done;
  assert.equal(r.code, 1, 'ends with the code of the last frame');
});

test('--watch as a table prints a header with the live mode, the table and the summary', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'w1.json'), beat('w1'));
  const run = start(['status', '--folder', dir, '--watch', '--interval', '0.3']);
  await waitFor(() => /1\/1 alive/.test(run.out()), { message: 'a frame' });
  assert.match(
    run.out(),
    new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} · file events, reconcile every 10s · `),
  );
  run.child.kill('SIGINT');
  assert.equal((await run.done).code, 0);
});

test('hostile records in Redis: 1e300 heartbeats, a 100 KB name and U+202E never cost the other workers (issue 14)', async () => {
  const c = redis.client();
  await c.flushall();
  await c.sadd('active_workers', 'good', 'huge', 'spoof', 'far');
  await c.hset('worker:state:good', { status: 'idle', last_activity: new Date().toISOString() });
  await c.hset('worker:state:far', { status: 'idle', last_activity: '1e300' });
  await c.set(
    'worker:state:huge',
    JSON.stringify({ status: 'idle', last_activity: Date.now() / 1000, name: 'H'.repeat(100_000) }),
  );
  await c.hset('worker:state:spoof', {
    status: 'idle',
    last_activity: String(Date.now() / 1000),
    name: 'admin\u202Etxt.exe',
  });
  const json = await cli(['status', '--redis', redis.url, '--json']);
  assert.equal(json.code, 0, json.stderr);
  const j = JSON.parse(json.stdout);
  assert.deepEqual(j.workers.map((w: { id: string }) => w.id).sort(), ['far', 'good', 'huge', 'spoof']);
  assert.match(j.workers.find((w: { id: string }) => w.id === 'far').problems.join(), /not a timestamp/);
  assert.ok(!json.stdout.includes('\u202E'), 'bidi written as an escape, the JSON value unchanged');
  const table = await cli(['status', '--redis', redis.url]);
  assert.equal(table.code, 0, table.stderr);
  assert.ok(table.stdout.length < 2000, `table of ${table.stdout.length} characters`);
  assert.match(table.stdout, /admin\\u202Etxt\.exe/);
});

test('URL typos are one line and exit 2, never a stack trace (issue 14)', async () => {
  for (const url of [
    `${redis.url}/notanumber`,
    'redis://:%zz@127.0.0.1:1',
    'redis://127.0.0.1:99999',
    'redis://SECRET@127.0.0.1:1',
  ]) {
    const r = await cli(['status', '--redis', url, '--timeout', '3']);
    assert.equal(r.code, 2, url);
    assert.equal(r.stderr.trim().split('\n')[0].startsWith('worker-lens: '), true, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.ok(!r.stderr.includes('SECRET') && !r.stderr.includes('%zz'), r.stderr);
  }
});

test('npm run simulate prints its Redis URL with the password masked (issue 14)', async () => {
  const child = spawn(
    process.execPath,
    [
      '--import',
      TSX,
      join(ROOT, 'src/companion/simulateCli.ts'),
      '--workers',
      '1',
      '--redis',
      `redis://SECRET@127.0.0.1:${await freePort()}`,
      '--duration',
      '1',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  await waitFor(() => out.includes('workers →'), { timeoutMs: 60_000, message: () => `simulate said: ${out}` });
  assert.match(out, /simulate: 1 workers → redis:\/\/\*\*\*@127\.0\.0\.1:\d+/);
  assert.ok(!out.includes('SECRET'), out);
});

test('--watch prints a transition as it happens: a worker that stops beating, and not the state found at start', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'long-dead.json'), beat('long-dead', 10 * 60_000));
  writeFileSync(join(dir, 'w1.json'), beat('w1'));
  // Kept beating until told to stop, as a real worker does.
  let beating = true;
  const timer = setInterval(() => beating && writeFileSync(join(dir, 'w1.json'), beat('w1')), 200);
  try {
    const run = start([
      'status',
      '--folder',
      dir,
      '--watch',
      '--interval',
      '0.3',
      '--unresponsive-after',
      '1',
      '--dead-after',
      '2',
      '--alert-after',
      '0',
    ]);
    await waitFor(() => /1\/2 alive/.test(run.out()), { message: 'a first frame' });
    beating = false;
    await waitFor(() => /^\d\d:\d\d:\d\d {2}w1 {2}(idle|unresponsive) → dead$/m.test(run.out()), {
      timeoutMs: 20_000,
      message: () => `w1's death printed:\n${run.out()}`,
    });
    assert.doesNotMatch(run.out(), /long-dead {2}\S+ →/, 'the state found at start is not a transition');
    run.child.kill('SIGINT');
    await run.done;
  } finally {
    clearInterval(timer);
  }
});
