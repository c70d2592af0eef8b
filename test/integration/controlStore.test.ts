import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Supervisor } from '../../src/companion/supervisor';
import { WorkerPool } from '../../src/companion/supervisorPool';
import { RedisStoreRequester } from '../../src/control/redisRequester';
import { fieldMap, newRequest, resultFromFields, type ControlResult } from '../../src/control/request';
import { Fleet } from '../../src/core/fleet';
import { RedisSource } from '../../src/sources/redis/redisSource';
import { HOSTILE } from '../fixtures/control/hostileNames';
import { waitFor } from '../harness/freePort';
import { startRedis, type RedisServer } from '../harness/redisServer';
import { poolWorkerArgv, RECORD_ARGV } from '../harness/supervisorProcess';
import { fleetSink } from '../../src/core/sourceSink';

/*
 * Store mode end to end against a real redis-server: the extension's requester XADDs
 * to workerlens:commands, a supervisor (in this process) carries it out on real child
 * processes and answers on workerlens:command-results.
 */

let redis: RedisServer;
const cleanups: (() => Promise<void> | void)[] = [];
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await redis.client().flushall();
});

function requester(timeoutMs: number): RedisStoreRequester {
  const r = new RedisStoreRequester({ url: redis.url, timeoutMs, blockMs: 200 });
  cleanups.push(() => r.dispose());
  return r;
}

async function supervisor(opts: Partial<ConstructorParameters<typeof Supervisor>[0]> = {}): Promise<Supervisor> {
  const s = new Supervisor({ url: redis.url, blockMs: 200, claimIdleMs: 1000, ...opts });
  cleanups.push(() => s.stop());
  await s.start();
  return s;
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'wl-store-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function results(id: string): Promise<ControlResult[]> {
  const entries = await redis.client().xrange('workerlens:command-results', '-', '+');
  return entries.map(([, f]) => resultFromFields(f)!).filter((r) => r.id === id);
}

test('with no supervisor running, the request times out as "no supervisor answered"', async () => {
  const req = requester(400);
  const r = newRequest('restart', { worker: 'w-1' }, 400);
  const outcome = await req.send(r);
  assert.equal(outcome.status, 'timeout');
  assert.match(
    outcome.message,
    /^no supervisor answered within 400 ms: is a supervisor running and reading workerlens:commands\?$/,
  );
  // The record is exactly what the issue specifies, plus the requester's timeout.
  const [[, fields]] = await redis.client().xrange('workerlens:commands', '-', '+');
  const m = fieldMap(fields);
  assert.deepEqual(Object.keys(m), ['id', 'action', 'worker', 'requested_by', 'requested_at', 'timeout_ms']);
  assert.deepEqual([m.id, m.action, m.worker, m.timeout_ms], [r.id, 'restart', 'w-1', '400']);
  assert.match(m.requested_by, /.+@.+/);
  assert.ok(!Number.isNaN(Date.parse(m.requested_at)));
});

test('a request nobody took in time is refused as expired when a supervisor turns up, never carried out late', async () => {
  const dir = tempDir();
  process.env.RECORD_FILE = join(dir, 'argv.jsonl');
  cleanups.push(() => void delete process.env.RECORD_FILE);
  const first = await supervisor({ restart: [process.execPath, RECORD_ARGV, '${worker}'] }); // creates the group
  await first.stop();
  const r = newRequest('restart', { worker: 'w-1' }, 300);
  assert.equal((await requester(300).send(r)).status, 'timeout');
  await supervisor({ restart: [process.execPath, RECORD_ARGV, '${worker}'] });
  const res = await waitFor(async () => (await results(r.id))[0], { message: 'a result for the late request' });
  assert.equal(res.status, 'failed');
  assert.match(res.message, /^expired: first picked up \d+ s after it was sent/);
  assert.equal(existsSync(process.env.RECORD_FILE!), false, 'nothing ran');
});

test('restart round trip: a wedged worker goes dead, the supervisor replaces its process, heartbeats resume, recovering → healthy', async () => {
  const dir = tempDir();
  // w-1 freezes itself (SIGSTOP) once warmed up — the first time only — like a wedged worker.
  const env = {
    REDIS_URL: redis.url,
    HEARTBEAT_MS: '100',
    WARMUP_MS: '1000',
    HANG_WORKER: 'w-1',
    HANG_ONCE_FILE: join(dir, 'hung-once'),
  };
  const pool = new WorkerPool({ argv: poolWorkerArgv(), prefix: 'w', size: 2, env, stopGraceMs: 3000 });
  await supervisor({ pool });
  // Short thresholds so "dead" comes in seconds; the Fleet re-derives health on the clock.
  // Still 15 beats wide: a busy machine stalling a process for a few hundred ms is not a
  // wedged worker, and must not put "unresponsive" into the sequence checked below.
  const fleet = new Fleet({
    unresponsiveAfterSeconds: 1.5,
    deadAfterSeconds: 3,
    slowTaskAfterMinutes: 15,
    adaptive: false,
  });
  const source = new RedisSource({ url: redis.url, pollMs: 100, push: 'off' });
  cleanups.push(() => source.dispose());
  source.start(fleetSink(fleet));
  const health = (id: string) => (fleet.reclassify(), fleet.get(id)?.health);
  await waitFor(() => health('w-1') === 'dead' && health('w-2') === 'healthy', {
    timeoutMs: 20_000,
    message: 'w-1 wedged and dead, w-2 healthy',
  });
  const oldPid = pool.pid('w-1')!;
  const otherPid = pool.pid('w-2');

  const seen: string[] = [];
  const unsubscribe = fleet.onChange(() => {
    const h = fleet.get('w-1')?.health;
    if (h && seen[seen.length - 1] !== h) seen.push(h);
  });
  cleanups.push(unsubscribe);
  const accepted: string[] = [];
  const outcome = await requester(15_000).send(newRequest('restart', { worker: 'w-1' }, 15_000), {
    onAccepted: (m) => accepted.push(m),
  });
  assert.equal(outcome.status, 'done', outcome.message);
  const newPid = pool.pid('w-1')!;
  assert.notEqual(newPid, oldPid);
  assert.equal(outcome.message, `restarted w-1 (pid ${oldPid} → ${newPid})`);
  assert.match(accepted[0], /: restart w-1 accepted$/);
  const since = Date.now();
  await waitFor(async () => health('w-1') === 'healthy' && fleet.get('w-1')!.snapshot.lastHeartbeat! > since, {
    timeoutMs: 20_000,
    message: 'the new process heartbeating, healthy',
  });
  assert.deepEqual(seen.slice(-2), ['recovering', 'healthy'], `health of w-1 went ${seen.join(' → ')}`);
  assert.equal(pool.pid('w-2'), otherPid, 'the other worker was left alone');

  // Unknown worker: failed, with the reason.
  const unknown = await requester(15_000).send(newRequest('restart', { worker: 'w-9' }, 15_000));
  assert.deepEqual(unknown, { status: 'failed', message: `"w-9" is not one of this supervisor's workers (w-1, w-2)` });
});

test('store mode with an argv template: hostile names arrive as one literal argument; many requests share one reader', async () => {
  const dir = tempDir();
  const file = join(dir, 'argv.jsonl');
  process.env.RECORD_FILE = file;
  cleanups.push(() => void delete process.env.RECORD_FILE);
  // A takeover time of 4 s: many programs started at once on a busy machine can hold the
  // supervisor's renewals up for a second or more, and a late renewal stops the program.
  await supervisor({
    restart: [process.execPath, RECORD_ARGV, 'restart', '${worker}'],
    concurrency: 4,
    claimIdleMs: 4000,
  });
  const req = requester(20_000);
  const outcomes = await Promise.all(HOSTILE.map((worker) => req.send(newRequest('restart', { worker }, 20_000))));
  for (const [i, o] of outcomes.entries())
    assert.equal(o.status, 'done', `${JSON.stringify(HOSTILE[i])}: ${o.message}`);
  const got = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l).argv as string[]);
  assert.deepEqual(got.sort(), HOSTILE.map((w) => ['restart', w]).sort());
  // The supervisor also refuses option-looking names on its side.
  const opt = await req.send(newRequest('restart', { worker: '--all' }, 20_000));
  assert.equal(opt.status, 'failed');
  assert.match(opt.message, /refused: "--all" would be read as an option/);
  // And an action it has no command for.
  const scale = await req.send(newRequest('scale', { count: 3 }, 20_000));
  assert.deepEqual(scale.status, 'failed');
  assert.match(scale.message, /has no scale command configured/);
});

test('a supervisor rides out a Redis restart (and the loss of its group) and answers the next request', async () => {
  const dir = tempDir();
  process.env.RECORD_FILE = join(dir, 'argv.jsonl');
  cleanups.push(() => void delete process.env.RECORD_FILE);
  await supervisor({ restart: [process.execPath, RECORD_ARGV, '${worker}'] });
  await redis.kill();
  await redis.restart(); // no persistence: the stream and the consumer group are gone
  const outcome = await requester(20_000).send(newRequest('restart', { worker: 'w-1' }, 20_000));
  assert.equal(outcome.status, 'done', outcome.message);
  assert.deepEqual(JSON.parse(readFileSync(process.env.RECORD_FILE!, 'utf8')).argv, ['w-1']);
});

test('accepted but slower than the wait: the user is told a supervisor has it, not that nobody answered', async () => {
  const dir = tempDir();
  process.env.RECORD_FILE = join(dir, 'argv.jsonl');
  process.env.HOLD_MS = '3000';
  cleanups.push(() => void (delete process.env.RECORD_FILE, delete process.env.HOLD_MS));
  const sup = await supervisor({ restart: [process.execPath, RECORD_ARGV, '${worker}'] });
  const r = newRequest('restart', { worker: 'w-1' }, 1000);
  const outcome = await requester(1000).send(r);
  assert.equal(outcome.status, 'timeout');
  assert.equal(outcome.message, `a supervisor accepted it (${sup.consumer}) but reported no result within 1 s`);
  // It still finishes, and says so on the results stream.
  const done = await waitFor(async () => (await results(r.id)).find((x) => x.status !== 'accepted'), {
    message: 'the final result',
  });
  assert.equal(done?.status, 'done');
});
