import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisSource } from '../../src/sources/redis/redisSource';
import { startRedis } from '../harness/redisServer';
import { waitFor } from '../harness/freePort';
import { startFaultProxy } from '../harness/faultProxy';
import { runFault, sourceClientIds } from './faultScenario';
import { observe, worker, writeHash } from './redisFixtures';
import { scriptRuns } from '../harness/commandStats';

/*
 * Faults on the connection rather than the server: CLIENT KILL, a password rotated
 * under the viewer, a server refusing writes, and the fault proxy's stall, reset and
 * drop (see faultScenario.ts for what every scenario checks).
 */

for (const scriptsAllowed of [true, false]) {
  const path = scriptsAllowed ? 'the one-script batch read' : 'the pipelined read (scripts denied by ACL)';
  test(`CLIENT KILL in a loop, ${path}: never a worker "unknown", stale in words, the same read path afterwards`, async (t) => {
    const redis = await startRedis();
    const admin = redis.client();
    await admin.call(
      'ACL',
      'SETUSER',
      'viewer',
      'on',
      '>pw',
      '~*',
      '&*',
      '+@all',
      ...(scriptsAllowed ? [] : ['-@scripting']),
    );
    const n = 500;
    const now = Date.now();
    for (let i = 0; i < n; i++) await writeHash(admin, `w-${i}`, worker('idle', now));
    const obs = observe();
    const source = new RedisSource({
      url: `redis://viewer@127.0.0.1:${redis.port}`,
      password: 'pw',
      pollMs: 20,
      push: 'off',
    });
    t.after(async () => {
      await source.dispose();
      await redis.stop();
    });
    source.start(obs.sink);
    await waitFor(() => obs.fleet.size === n && obs.fleet.connection.state === 'connected', { message: 'fleet read' });

    const unknown: string[] = [];
    const errors = new Set<string>();
    obs.fleet.onChange((c) => {
      if (c.connection && obs.fleet.connection.state === 'error') errors.add(obs.fleet.connection.message ?? '');
      for (const id of [...c.changed, ...c.added])
        if (obs.fleet.get(id)?.health === 'unknown') unknown.push(`${id}: ${obs.fleet.get(id)?.reason}`);
      if (c.removed.length) unknown.push(`removed ${c.removed.length}`);
    });
    const stats = async () => {
      const s = await admin.info('commandstats');
      return {
        evals: scriptRuns(s),
        hgetall: Number(/cmdstat_hgetall:calls=(\d+)/.exec(s)?.[1] ?? 0),
      };
    };
    // Kill the reading connection the moment it is back, 30 times: many kills land mid-read.
    for (let round = 0; round < 30; round++) {
      const ids = (await waitFor(() => sourceClientIds(admin).then((x) => (x.length ? x : undefined)), {
        message: 'the source reconnected',
      }))!;
      await admin.call('CLIENT', 'KILL', 'ID', ...ids).catch(() => undefined);
    }
    const readsBefore = obs.fullReads;
    await waitFor(() => obs.fleet.connection.state === 'connected' && obs.fullReads > readsBefore + 2, {
      timeoutMs: 5000,
      message: 'live again within 5 s',
    });
    assert.deepEqual(unknown, [], "a dropped connection is the store's state, never a worker's");
    assert.ok(errors.size > 0, 'the drops were said');
    for (const e of errors) assert.match(e, /Lost the connection|Not connected|retrying/, e);
    assert.equal(obs.fleet.size, n);

    const before = await stats();
    const reads = obs.fullReads;
    // The read in flight while `before` was taken may already be counted in it: wait for
    // one more so that three whole reads fall between the two snapshots.
    await waitFor(() => obs.fullReads >= reads + 4, { message: 'four more reads' });
    const after = await stats();
    if (scriptsAllowed) {
      // 500 workers are 4 batches: at least one script per batch and read.
      assert.ok(
        after.evals - before.evals >= 12,
        'still one script per batch: a dropped connection did not turn scripts off',
      );
    } else {
      assert.equal(after.evals, before.evals, 'no script once refused');
      assert.ok(after.hgetall - before.hgetall >= 3 * n, 'pipelined reads go on');
    }
  });
}

test('password rotated under the viewer: WRONGPASS in words on reconnect, last known state kept, live again once the password works', async (t) => {
  await runFault(t, {
    server: ['--requirepass', 'old'],
    password: 'old',
    beaterPassword: 'old', // the workers' connection stays logged in, as existing connections do after a rotation
    fault: async ({ admin }) => {
      await admin.config('SET', 'requirepass', 'new');
      await admin.call('CLIENT', 'KILL', 'ID', ...(await sourceClientIds(admin)));
    },
    expect: /rejected the password \(WRONGPASS\)/,
    detectMs: 2000, // the first reconnect attempt
    holdMs: 6000,
    heal: async ({ admin }) => void (await admin.config('SET', 'requirepass', 'old')),
  });
});

test("maxmemory refusing writes: the observer keeps reading, connected, while the workers' writes fail", async (t) => {
  const redis = await startRedis(['--maxmemory-policy', 'noeviction']);
  const admin = redis.client();
  await writeHash(admin, 'w-1', worker('idle', Date.now()));
  const obs = observe();
  const source = new RedisSource({ url: redis.url, pollMs: 100, push: 'auto' });
  t.after(async () => {
    await source.dispose();
    await redis.stop();
  });
  source.start(obs.sink);
  await waitFor(() => obs.fleet.size === 1 && obs.fleet.connection.state === 'connected', { message: 'fleet read' });
  await admin.config('SET', 'maxmemory', '1');
  await assert.rejects(
    writeHash(admin, 'w-2', worker('idle', Date.now())),
    /OOM|EXECABORT/,
    'the fault is on: writes are refused',
  );
  const reads = obs.fullReads;
  await waitFor(() => obs.fullReads >= reads + 5, { message: 'five more full reads while writes are refused' });
  assert.equal(obs.fleet.connection.state, 'connected');
  assert.equal(obs.health('w-1'), 'healthy');
  assert.deepEqual(obs.warnings(), []);
});

test('fault proxy stall (a black-holed link): "Timed out" once a read times out, nobody dead meanwhile, live again after it clears', async (t) => {
  await runFault(t, {
    viaProxy: true,
    thresholds: { unresponsiveAfterSeconds: 10, deadAfterSeconds: 12, slowTaskAfterMinutes: 15, adaptive: false },
    fault: async ({ proxy }) => proxy!.stall(),
    expect: /Timed out talking to Redis/,
    detectMs: 500 + 5000, // the next poll, then its timeout
    holdMs: 14_000,
    heal: async ({ proxy }) => proxy!.resume(),
  });
});

test('fault proxy reset (ECONNRESET on every connection): said in words, reconnected at once', async (t) => {
  await runFault(t, {
    viaProxy: true,
    fault: async ({ proxy }) => proxy!.reset(),
    expect: /Lost the connection|Not connected/,
    detectMs: 0,
    holdMs: 0,
    momentary: true,
    heal: async () => undefined,
  });
});

test('fault proxy drop (connections closed, new ones refused): stale in words for a 6 s outage with nobody dead, live again after', async (t) => {
  await runFault(t, {
    viaProxy: true,
    fault: async ({ proxy }) => proxy!.drop(),
    expect: /Lost the connection|Not connected|closed/,
    detectMs: 0,
    holdMs: 6000,
    heal: async ({ proxy }) => proxy!.resume(),
  });
});

test('fault proxy slow link (every chunk held 300 ms): reads slower, still connected, nobody late, no warning', async (t) => {
  const redis = await startRedis();
  const proxy = await startFaultProxy({ port: redis.port });
  const admin = redis.client();
  await writeHash(admin, 'w-1', worker('idle', Date.now()));
  const obs = observe();
  const source = new RedisSource({ url: proxy.url, pollMs: 100, push: 'off' });
  t.after(async () => {
    await source.dispose();
    await proxy.stop();
    await redis.stop();
  });
  source.start(obs.sink);
  await waitFor(() => obs.fleet.size === 1 && obs.fleet.connection.state === 'connected', { message: 'fleet read' });
  proxy.slow(300);
  const reads = obs.fullReads;
  await writeHash(admin, 'w-1', worker('working', Date.now()));
  await waitFor(() => obs.fullReads >= reads + 3 && obs.health('w-1') === 'working', {
    timeoutMs: 15_000,
    message: 'three slow reads, the change among them',
  });
  assert.equal(obs.fleet.connection.state, 'connected');
  assert.deepEqual(obs.warnings(), []);
});
