import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisSource } from '../../src/sources/redis/redisSource';
import { startRedis } from '../harness/redisServer';
import { waitFor } from '../harness/freePort';
import { event, observe, pyIso, setCounters, task, worker, writeHash, writeJson } from './redisFixtures';

const MIN = 60_000;

/** The seed fleet: every record shape the orchestrator writes, and the broken ones it can leave behind. */
async function writeSeedFleet(r: import('ioredis').Redis, now = Date.now()): Promise<void> {
  await writeHash(r, 'w-hash-working', worker('working', now - 1000, task('Fix login bug', now - 3 * MIN), 12));
  await setCounters(r, 'w-hash-working', 15, 2); // the atomic counters run ahead of the copy in the hash
  await writeHash(r, 'w-hash-idle', worker('idle', now - 2000)); // current_task = "null"
  await writeHash(r, 'w-hash-notask', worker('idle', now - 2000), { omitTask: true }); // no current_task field at all
  await writeJson(r, 'w-json-working', {
    ...worker('working', now - 500, task('Index repos', now - MIN)),
    last_activity: pyIso(now - 500, true),
  });
  await writeJson(r, 'w-json-slow', worker('working', now - 1000, task('Migrate DB', now - 20 * MIN), 3));
  await writeHash(r, 'w-dead', worker('idle', now - 2 * MIN));
  await writeHash(r, 'w-unresponsive', worker('working', now - 20_000, task('Long crawl', now - 2 * MIN)));
  await writeHash(r, 'w-crashed', worker('error', now - 5000));
  await writeHash(r, 'w-stopped', worker('stopped', now - 10 * MIN));
  await writeHash(r, 'w-recovering', worker('restarting', now - 1000));
  await r.sadd('active_workers', 'w-ghost'); // registered, state never written
  await r
    .multi()
    .set('worker:state:w-bad', '{"status": "idle", "last_activity": ')
    .sadd('active_workers', 'w-bad')
    .exec(); // malformed JSON
  await writeHash(r, 'w-badtype', { ...worker('idle', now), total_completed: 'lots' as unknown as number });
  await r.multi().rpush('worker:state:w-list', 'x').sadd('active_workers', 'w-list').exec(); // wrong Redis type
  await event(r, 'w-hash-working', 'task_started');
}

test('the Fleet sees the seed orchestrator fleet; keeps it stale while redis-server is down; recovers', async (t) => {
  const redis = await startRedis();
  const obs = observe();
  // Polling only: this test is about reading and outages; push paths have their own file.
  const source = new RedisSource({ url: redis.url, pollMs: 250, push: 'off' });
  t.after(async () => {
    await source.dispose();
    await redis.stop();
  });
  const r = redis.client();
  await writeSeedFleet(r);
  source.start(obs.sink);

  await waitFor(() => obs.fleet.size === 14 && obs.fleet.connection.state === 'connected', {
    message: 'all 14 workers read',
  });
  const expected: Record<string, string> = {
    'w-hash-working': 'working',
    'w-hash-idle': 'healthy',
    'w-hash-notask': 'healthy',
    'w-json-working': 'working',
    'w-json-slow': 'slow',
    'w-dead': 'dead',
    'w-unresponsive': 'unresponsive',
    'w-crashed': 'crashed',
    'w-stopped': 'stopped',
    'w-recovering': 'recovering',
    'w-ghost': 'unknown',
    'w-bad': 'unknown',
    'w-badtype': 'unknown',
    'w-list': 'unknown',
  };
  for (const [id, h] of Object.entries(expected)) assert.equal(obs.health(id), h, id);

  const hw = obs.snapshot('w-hash-working')!;
  assert.equal(hw.task?.title, 'Fix login bug');
  assert.equal(hw.task?.type, 'bug_fix');
  assert.equal(hw.task?.repository, 'acme/web');
  assert.equal(hw.completed, 15, 'counter worker:{id}:completed wins over total_completed');
  assert.equal(hw.errors, 2);
  assert.equal(hw.specialization, 'general');
  assert.equal(obs.snapshot('w-json-slow')?.completed, 3, 'no counter key: the record field');
  assert.equal(obs.snapshot('w-json-working')?.task?.title, 'Index repos');
  assert.equal(obs.snapshot('w-hash-idle')?.task, undefined);
  assert.match(obs.fleet.get('w-json-slow')!.reason, /running for 20m/);
  assert.deepEqual(obs.snapshot('w-ghost')?.problems, [
    'listed in active_workers but worker:state:w-ghost does not exist',
  ]);
  assert.match(obs.snapshot('w-bad')!.problems[0], /worker:state:w-bad is not valid JSON/);
  assert.deepEqual(obs.snapshot('w-badtype')?.problems, ['total_completed should be a number but is "lots"']);
  assert.deepEqual(obs.snapshot('w-list')?.problems, [
    'worker:state:w-list is neither a hash nor a string holding JSON',
  ]);
  assert.equal(obs.fleet.connection.liveMode, 'poll every 0.25s');
  assert.deepEqual(obs.warnings(), []);

  // A change and a removal between two polls.
  await writeHash(r, 'w-hash-idle', worker('working', Date.now(), task('New job', Date.now())));
  await r.srem('active_workers', 'w-stopped');
  await waitFor(() => obs.health('w-hash-idle') === 'working' && !obs.fleet.get('w-stopped'), {
    message: 'change and removal polled',
  });

  // redis-server dies: last known state stays, marked stale, with a message that says what is wrong.
  const before = obs.fleet.workers().map((w) => [w.snapshot.id, w.health]);
  await redis.kill();
  await waitFor(
    () => obs.fleet.connection.state === 'error' && /refused the connection/.test(obs.fleet.connection.message ?? ''),
    {
      message: 'connection refused reported',
    },
  );
  assert.match(
    obs.fleet.connection.message!,
    new RegExp(`Redis refused the connection at redis://127.0.0.1:${redis.port}: is redis-server running\\?`),
  );
  assert.equal(obs.fleet.stale, true);
  const during = obs.fleet.workers();
  assert.deepEqual(
    during.map((w) => [w.snapshot.id, w.health]),
    before,
    'nothing dropped, nothing reclassified by the outage',
  );
  assert.ok(during.every((w) => w.stale));
  assert.ok(obs.warnings().some((m) => /refused the connection/.test(m)));
  const warningsDuringOutage = obs.warnings().length;

  // It comes back (empty: no persistence); the orchestrator writes again.
  await redis.restart();
  const r2 = redis.client();
  await writeSeedFleet(r2);
  await writeHash(r2, 'w-dead', worker('idle', Date.now())); // came back to life meanwhile
  await waitFor(() => obs.fleet.connection.state === 'connected' && obs.health('w-dead') === 'healthy', {
    message: 'recovered',
  });
  assert.equal(obs.fleet.stale, false);
  assert.equal(obs.fleet.size, 14);
  assert.ok(obs.fleet.workers().every((w) => !w.stale));
  assert.ok(obs.logs.some((l) => l.level === 'info' && /Connected to/.test(l.message)));
  assert.ok(obs.warnings().length - warningsDuringOutage <= 0, 'recovery adds no warnings');
  assert.ok(
    obs.warnings().length <= 3,
    `one warning per distinct message, not one per poll: ${obs.warnings().join(' | ')}`,
  );
});

test('wrong password and no password: WRONGPASS / NOAUTH in words; the right one connects', async (t) => {
  // The harness's readiness probe has no password, so the password is set once the server is up.
  const redis = await startRedis();
  await redis.client().config('SET', 'requirepass', 'sekret');
  const sources: RedisSource[] = [];
  t.after(async () => {
    for (const s of sources) await s.dispose();
    await redis.stop();
  });
  const run = (password?: string) => {
    const obs = observe();
    const s = new RedisSource({ url: redis.url, password, pollMs: 200 });
    sources.push(s);
    s.start(obs.sink);
    return obs;
  };
  const wrong = run('not-it');
  const none = run(undefined);
  const right = run('sekret');
  await waitFor(() => /WRONGPASS/.test(wrong.fleet.connection.message ?? ''), { message: 'WRONGPASS reported' });
  assert.equal(wrong.fleet.connection.state, 'error');
  assert.match(
    wrong.fleet.connection.message!,
    /rejected the password \(WRONGPASS\)\. Set it again with "Workers: Set Password or Key…" or the connection's secretEnv/,
  );
  assert.ok(!wrong.fleet.connection.message!.includes('not-it'), 'never the password');
  await waitFor(() => /NOAUTH/.test(none.fleet.connection.message ?? ''), { message: 'NOAUTH reported' });
  assert.match(none.fleet.connection.message!, /needs a password \(NOAUTH\)/);
  await waitFor(() => right.fleet.connection.state === 'connected', { message: 'right password connects' });
  for (const o of [wrong, none, right])
    assert.ok(!o.logs.some((l) => l.message.includes('not-it') || l.message.includes('sekret')));
});

test('a Redis nobody listens on: "refused" from the start, never a crash', async (t) => {
  const redis = await startRedis();
  const url = redis.url;
  await redis.stop();
  const obs = observe();
  const source = new RedisSource({ url, pollMs: 200 });
  t.after(() => source.dispose());
  source.start(obs.sink);
  assert.equal(obs.fleet.connection.state, 'connecting');
  await waitFor(() => /refused the connection/.test(obs.fleet.connection.message ?? ''), {
    message: 'refused reported',
  });
  assert.equal(obs.fleet.size, 0);
});
