import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { RedisSource, type RedisSourceOptions } from '../../src/sources/redis/redisSource';
import { startRedis, type RedisServer } from '../harness/redisServer';
import { waitFor } from '../harness/freePort';
import { event, observe, setCounters, task, worker, writeHash, writeJson } from './redisFixtures';

/** Long enough that neither the poll nor the reconciliation can be what delivered a change. */
const NEVER = 600_000;

async function fleetOf(r: Redis, ids: string[]): Promise<void> {
  for (const id of ids) await writeHash(r, id, worker('idle', Date.now()));
}

async function setup(
  t: import('node:test').TestContext,
  opts: {
    server?: string[];
    source?: Partial<RedisSourceOptions>;
    url?: (s: RedisServer) => string;
    prepare?: (r: Redis) => Promise<void>;
  } = {},
) {
  const redis = await startRedis(opts.server ?? []);
  const r = redis.client();
  await opts.prepare?.(r);
  const obs = observe();
  const source = new RedisSource({
    url: opts.url?.(redis) ?? redis.url,
    pollMs: NEVER,
    reconcileMs: NEVER,
    ...opts.source,
  });
  t.after(async () => {
    await source.dispose();
    await redis.stop();
  });
  source.start(obs.sink);
  return { redis, r, obs, source };
}

const working = (title: string) => worker('working', Date.now(), task(title, Date.now()));

async function clientId(r: Redis, name: string): Promise<string | undefined> {
  const list = (await r.client('LIST')) as string;
  return list
    .split('\n')
    .find((l) => l.includes(` name=${name} `))
    ?.match(/^id=(\d+)/)?.[1];
}

test('keyspace notifications: hash, string, counter and membership changes reach the Fleet; only what changed is re-read', async (t) => {
  const { r, obs } = await setup(t, {
    server: ['--notify-keyspace-events', 'Kh$s'],
    prepare: async (r) => {
      await fleetOf(r, ['w1', 'w2', 'w3']);
      await writeJson(r, 'wj', worker('idle', Date.now()));
    },
  });
  await waitFor(() => obs.fleet.size === 4 && /keyspace notifications/.test(obs.fleet.connection.liveMode ?? ''), {
    message: 'keyspace path live',
  });
  assert.equal(obs.fleet.connection.liveMode, 'keyspace notifications, reconcile every 600s');
  assert.ok(
    obs.logs.some(
      (l) => l.level === 'info' && /Push path: keyspace notifications \(notify-keyspace-events is "/.test(l.message),
    ),
  );
  const reads = obs.fullReads;

  await writeHash(r, 'w1', working('Fix login bug'));
  await waitFor(() => obs.health('w1') === 'working', { message: 'hash change pushed' });
  assert.ok(
    obs.updates.every((u) => u.ids.every((id) => id === 'w1')),
    `only w1 re-read: ${JSON.stringify(obs.updates)}`,
  );

  await writeJson(r, 'wj', working('Index repos'));
  await waitFor(() => obs.snapshot('wj')?.task?.title === 'Index repos', { message: 'JSON string change pushed' });

  await setCounters(r, 'w2', 7, 1);
  await waitFor(() => obs.snapshot('w2')?.completed === 7 && obs.snapshot('w2')?.errors === 1, {
    message: 'counter change pushed',
  });

  await writeHash(r, 'w-new', worker('idle', Date.now()));
  await waitFor(() => obs.health('w-new') === 'healthy', { message: 'new worker pushed' });
  await r.srem('active_workers', 'w3');
  await waitFor(() => !obs.fleet.get('w3'), { message: 'removal pushed' });

  assert.equal(obs.fullReads, reads, 'no full read was needed');
  assert.deepEqual(obs.warnings(), []);
});

test('keyspace subscription dropped: a full read repairs whatever was missed meanwhile', async (t) => {
  const { r, obs } = await setup(t, { server: ['--notify-keyspace-events', 'KA'], prepare: (r) => fleetOf(r, ['w1']) });
  await waitFor(() => obs.fleet.size === 1 && /keyspace/.test(obs.fleet.connection.liveMode ?? ''), {
    message: 'keyspace path live',
  });
  const reads = obs.fullReads;
  const id = await clientId(r, 'worker-lens:keyspace');
  assert.ok(id, 'the subscription has its own named connection');
  await r.client('KILL', 'ID', id!);
  await writeHash(r, 'w1', working('Written while unsubscribed'));
  await waitFor(() => obs.health('w1') === 'working' && obs.fullReads > reads, {
    message: 'missed change repaired on resubscribe',
  });
});

test('events stream: entries naming a worker re-read only that worker; CONFIG is never touched', async (t) => {
  const { r, obs, source } = await setup(t, {
    prepare: async (r) => {
      await fleetOf(r, ['w1', 'w2', 'w3']);
      await event(r, 'w1', 'registered'); // an existing stream whose entries name workers
    },
  });
  await waitFor(() => obs.fleet.size === 3 && /events stream/.test(obs.fleet.connection.liveMode ?? ''), {
    message: 'events path live',
  });
  assert.equal(
    obs.fleet.connection.liveMode,
    'events stream (events:stream, stream:worker_events), reconcile every 600s',
  );
  assert.ok(obs.logs.some((l) => /Keyspace notifications not used: notify-keyspace-events is ""/.test(l.message)));
  const reads = obs.fullReads;

  await writeHash(r, 'w1', working('Fix login bug'));
  const last = await event(r, 'w1', 'task_started');
  await waitFor(() => obs.health('w1') === 'working', { message: 'change announced on events:stream delivered' });
  assert.deepEqual(obs.updates.at(-1), { ids: ['w1'], removed: [] });
  assert.equal(source.eventPositions?.get('events:stream'), last);

  // The other stream, another entry shape: the state key in a field.
  await writeJson(r, 'w2', working('Index repos'));
  await r.xadd('stream:worker_events', '*', 'type', 'state_change', 'key', 'worker:state:w2');
  await waitFor(() => obs.snapshot('w2')?.task?.title === 'Index repos', {
    message: 'change announced on stream:worker_events delivered',
  });

  // An event for a worker that left the active set removes it.
  await r.srem('active_workers', 'w3');
  await event(r, 'w3', 'shutdown');
  await waitFor(() => !obs.fleet.get('w3'), { message: 'departure delivered' });

  assert.equal(obs.fullReads, reads, 'no full read was needed');
  assert.deepEqual(await r.config('GET', 'notify-keyspace-events'), ['notify-keyspace-events', '']);
  assert.deepEqual(obs.warnings(), []);
});

test('events stream created after start: polling until an entry names a worker, then live — nothing skipped', async (t) => {
  const { r, obs } = await setup(t, { source: { pollMs: 200 }, prepare: (r) => fleetOf(r, ['w1']) });
  await waitFor(() => obs.fleet.size === 1 && obs.fleet.connection.state === 'connected', { message: 'first read' });
  assert.equal(obs.fleet.connection.liveMode, 'poll every 0.2s', 'no stream yet: the poll stays');
  await writeHash(r, 'w1', working('First'));
  await event(r, 'w1'); // creates events:stream; the follower was waiting at 0-0, not `$`
  await waitFor(() => /events stream/.test(obs.fleet.connection.liveMode ?? '') && obs.health('w1') === 'working', {
    message: 'events path live',
  });
  assert.ok(obs.logs.some((l) => l.level === 'info' && /Live updates for .*: events stream/.test(l.message)));
});

test('events streams: one that turns into another type while followed is left out with a warning; the other stays live', async (t) => {
  const { r, obs } = await setup(t, {
    prepare: async (r) => {
      await fleetOf(r, ['w1']);
      await event(r, 'w1');
      await r.xadd('stream:worker_events', '*', 'type', 'state_change', 'key', 'worker:state:w1');
    },
  });
  await waitFor(() => /events stream/.test(obs.fleet.connection.liveMode ?? ''), {
    message: () => `events path live (${obs.fleet.connection.liveMode})`,
  });
  await r.del('events:stream');
  await r.set('events:stream', 'not a stream any more');
  await writeHash(r, 'w1', working('Announced on the other stream'));
  await r.xadd('stream:worker_events', '*', 'type', 'state_change', 'key', 'worker:state:w1');
  await waitFor(() => obs.health('w1') === 'working', {
    message: 'the change announced on the stream that still is one',
  });
  await waitFor(
    () =>
      obs.logs.some(
        (l) => l.level === 'warn' && l.message === 'Events stream: "events:stream" is not a stream; not following it.',
      ),
    {
      message: () => `the warning (${obs.logs.map((l) => l.message).join(' | ')})`,
    },
  );
});

test('opt-in: enableKeyspaceNotifications sets the flags it needs, and only then', async (t) => {
  const { r, obs } = await setup(t, {
    source: { enableKeyspaceNotifications: true },
    prepare: (r) => fleetOf(r, ['w1']),
  });
  await waitFor(() => /keyspace/.test(obs.fleet.connection.liveMode ?? ''), { message: 'keyspace path after opt-in' });
  const [, flags] = (await r.config('GET', 'notify-keyspace-events')) as string[];
  for (const f of ['K', 'h', '$', 's']) assert.ok(flags.includes(f) || flags.includes('A'), `${f} in ${flags}`);
  await writeHash(r, 'w1', working('Pushed'));
  await waitFor(() => obs.health('w1') === 'working', { message: 'change pushed' });
});

test('CONFIG denied by ACL, notifications off: falls back quietly to the events stream, or to polling', async (t) => {
  const redis = await startRedis();
  const admin = redis.client();
  await admin.call('ACL', 'SETUSER', 'viewer', 'on', '>pw', '~*', '&*', '+@all', '-config');
  await fleetOf(admin, ['w1', 'w2']);
  await event(admin, 'w1');
  const url = `redis://viewer@127.0.0.1:${redis.port}`;
  const withEvents = observe();
  const withoutEvents = observe();
  const a = new RedisSource({ url, password: 'pw', pollMs: NEVER, reconcileMs: NEVER });
  const b = new RedisSource({ url, password: 'pw', pollMs: 200, keys: { eventStreams: [] } });
  t.after(async () => {
    await a.dispose();
    await b.dispose();
    await redis.stop();
  });
  a.start(withEvents.sink);
  b.start(withoutEvents.sink);
  await waitFor(() => /events stream/.test(withEvents.fleet.connection.liveMode ?? ''), {
    message: 'fell back to events',
  });
  await waitFor(() => withoutEvents.fleet.size === 2 && withoutEvents.fleet.connection.state === 'connected', {
    message: 'polling',
  });
  assert.equal(withoutEvents.fleet.connection.liveMode, 'poll every 0.2s');

  await writeHash(admin, 'w2', working('Seen both ways'));
  await event(admin, 'w2');
  await waitFor(() => withEvents.health('w2') === 'working', { message: 'events path delivers' });
  await waitFor(() => withoutEvents.health('w2') === 'working', { message: 'poll delivers' });
  for (const o of [withEvents, withoutEvents]) {
    assert.deepEqual(o.warnings(), [], 'quietly');
    assert.ok(
      o.logs.some((l) => /Keyspace notifications not used: CONFIG GET is not allowed here \(NOPERM/.test(l.message)),
    );
  }
});

test('notifications on but PSUBSCRIBE denied (no channel permission): falls back quietly to the events stream', async (t) => {
  const redis = await startRedis(['--notify-keyspace-events', 'KA']);
  const admin = redis.client();
  await admin.call('ACL', 'SETUSER', 'nochan', 'on', '>pw', '~*', 'resetchannels', '+@all');
  await fleetOf(admin, ['w1']);
  await event(admin, 'w1');
  const obs = observe();
  const source = new RedisSource({
    url: `redis://nochan@127.0.0.1:${redis.port}`,
    password: 'pw',
    pollMs: NEVER,
    reconcileMs: NEVER,
  });
  t.after(async () => {
    await source.dispose();
    await redis.stop();
  });
  source.start(obs.sink);
  await waitFor(() => /events stream/.test(obs.fleet.connection.liveMode ?? ''), { message: 'fell back to events' });
  assert.deepEqual(obs.warnings(), []);
});

test('CONFIG renamed away (managed Redis): "unknown command" means not available, quietly', async (t) => {
  const { r, obs } = await setup(t, {
    server: ['--rename-command', 'CONFIG', ''],
    source: { pollMs: 200, keys: { eventStreams: [] } },
    prepare: (r) => fleetOf(r, ['w1']),
  });
  await waitFor(
    () =>
      obs.fleet.size === 1 &&
      obs.logs.some((l) => /Keyspace notifications not used: CONFIG GET is not allowed here/.test(l.message)),
    {
      message: 'probe refused',
    },
  );
  assert.equal(obs.fleet.connection.liveMode, 'poll every 0.2s');
  await writeHash(r, 'w1', working('Polled'));
  await waitFor(() => obs.health('w1') === 'working', { message: 'poll delivers' });
  assert.deepEqual(obs.warnings(), []);
});

test('events connection dropped mid-stream: it resumes from the last id seen and loses no event', async (t) => {
  const ids = ['w1', 'w2', 'w3', 'w4', 'w5'];
  const { r, obs, source } = await setup(t, {
    prepare: async (r) => {
      await fleetOf(r, ids);
      await event(r, 'w1');
    },
  });
  await waitFor(() => obs.fleet.size === 5 && /events stream/.test(obs.fleet.connection.liveMode ?? ''), {
    message: 'events path live',
  });
  await writeHash(r, 'w1', working('Before the drop'));
  const seen = await event(r, 'w1');
  await waitFor(() => source.eventPositions?.get('events:stream') === seen && obs.health('w1') === 'working', {
    message: 'first event read',
  });
  const reads = obs.fullReads;

  const id = await clientId(r, 'worker-lens:events');
  assert.ok(id, 'the follower has its own named connection');
  await r.client('KILL', 'ID', id!);
  // Written while the follower is reconnecting (its first retry waits 500 ms).
  let last = '';
  for (const w of ids.slice(1)) {
    await writeHash(r, w, working(`During the gap ${w}`));
    last = await event(r, w, 'task_started');
  }
  assert.equal(await clientId(r, 'worker-lens:events'), undefined, 'all of it was written while the follower was away');
  await waitFor(() => ids.every((w) => obs.health(w) === 'working'), {
    message: 'every event written during the gap delivered',
  });
  assert.equal(source.eventPositions?.get('events:stream'), last);
  assert.equal(obs.fullReads, reads, 'delivered by the resumed stream, not by a full read');
  assert.ok(
    obs.logs.some(
      (l) =>
        l.message === `Events stream: resuming after reconnect from events:stream@${seen}, stream:worker_events@0-0`,
    ),
    obs.logs.map((l) => l.message).join('\n'),
  );
  await waitFor(async () => (await clientId(r, 'worker-lens:events')) !== undefined, {
    message: 'follower reconnected',
  });
});

test('reconciliation poll repairs a change no event announced (events path)', async (t) => {
  const events = await setup(t, {
    source: { reconcileMs: 300 },
    prepare: async (r) => {
      await fleetOf(r, ['w1']);
      await event(r, 'w1');
    },
  });
  await waitFor(() => /events stream/.test(events.obs.fleet.connection.liveMode ?? ''), {
    message: 'events path live',
  });
  const r1 = events.obs.fullReads;
  await writeHash(events.r, 'w1', working('No event for this'));
  await waitFor(() => events.obs.health('w1') === 'working', { message: 'events path: reconciled' });
  assert.ok(events.obs.fullReads > r1, 'by a full read');
  assert.equal(events.obs.updates.length, 0, 'no push delivered it');
});

test('keyspace flags that miss how the workers are stored are not called live: said why, and the poll carries the changes', async (t) => {
  // Only hash events on ("Kh"), workers stored as JSON strings: no notification would come.
  const { r, obs } = await setup(t, {
    server: ['--notify-keyspace-events', 'Kh'],
    source: { pollMs: 300 },
    prepare: (r) => writeJson(r, 'wj', worker('idle', Date.now())),
  });
  await waitFor(
    () =>
      obs.fleet.size === 1 &&
      obs.logs.some((l) =>
        /Keyspace notifications not used: notify-keyspace-events is "(Kh|hK)", but workers stored as JSON strings need "\$" \(or "A"\)/.test(
          l.message,
        ),
      ),
    {
      message: () => `the mismatch said (${obs.logs.map((l) => l.message).join(' | ')})`,
    },
  );
  await waitFor(
    () => obs.fleet.connection.state === 'connected' && !/keyspace/.test(obs.fleet.connection.liveMode ?? ''),
    {
      message: () => `not called keyspace-live (${obs.fleet.connection.liveMode})`,
    },
  );
  await writeJson(r, 'wj', working('No notification for this'));
  await waitFor(() => obs.health('wj') === 'working', { message: 'the change, by the poll' });
});

test('push path survives a redis-server restart: stale while down, live again after', async (t) => {
  const { redis, obs } = await setup(t, {
    source: { pollMs: 200 },
    prepare: async (r) => {
      await fleetOf(r, ['w1']);
      await event(r, 'w1');
    },
  });
  await waitFor(() => /events stream/.test(obs.fleet.connection.liveMode ?? ''), { message: 'events path live' });
  await redis.kill();
  await waitFor(() => obs.fleet.stale && /refused/.test(obs.fleet.connection.message ?? ''), { message: 'stale' });
  assert.equal(obs.fleet.get('w1')?.health, 'healthy', 'last known kept');
  assert.match(obs.fleet.connection.liveMode ?? '', /poll every 0.2s/, 'push path down: the fast poll again');
  await redis.restart();
  const r = redis.client();
  await fleetOf(r, ['w1']);
  await writeHash(r, 'w1', working('After restart'));
  await event(r, 'w1');
  await waitFor(
    () =>
      !obs.fleet.stale && obs.health('w1') === 'working' && /events stream/.test(obs.fleet.connection.liveMode ?? ''),
    {
      message: 'live again',
    },
  );
});
