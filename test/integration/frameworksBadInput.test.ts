import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequester } from '../../src/control/createRequester';
import { newRequest } from '../../src/control/request';
import { createSource } from '../../src/sources/createSource';
import type { WorkerSource } from '../../src/sources/source';
import { FrameworkSource } from '../../src/sources/redis/frameworks/frameworkSource';
import { startRedis } from '../harness/redisServer';
import { waitFor } from '../harness/freePort';
import { observe } from './redisFixtures';

const SETTINGS = { pollMs: 500, reconcileMs: 15_000, enableKeyspaceNotifications: false };

test('a Redis with none of the layouts: connected, and the view and the log say what was looked for', async (t) => {
  const redis = await startRedis();
  const obs = observe();
  const source = createSource({ name: 'empty', type: 'redis', url: redis.url }, undefined, SETTINGS) as WorkerSource;
  t.after(async () => {
    await source.dispose();
    await redis.stop();
  });
  source.start(obs.sink);
  await waitFor(
    () => obs.fleet.connection.state === 'connected' && /no framework found/.test(obs.fleet.connection.liveMode ?? ''),
    {
      timeoutMs: 20_000,
      message: () => `connected, nothing found: ${JSON.stringify(obs.fleet.connection)}`,
    },
  );
  assert.match(
    obs.fleet.connection.liveMode!,
    /looked for RQ \(set rq:workers\), Sidekiq \(set processes\), Celery .*BullMQ/,
  );
  assert.ok(obs.logs.some((l) => /looked for RQ .*; found none/.test(l.message)));
  assert.equal(obs.fleet.size, 0);
});

test('CLIENT LIST refused by the ACL: RQ workers judged by heartbeats, and the live mode says what is lost', async (t) => {
  const redis = await startRedis();
  const admin = redis.client();
  await admin.call('ACL', 'SETUSER', 'viewer', 'on', '>pw', '~*', '&*', '+@all', '-client');
  const now = new Date().toISOString();
  await admin.sadd('rq:workers', 'rq:worker:w1');
  await admin.hset('rq:worker:w1', {
    state: 'idle',
    last_heartbeat: now,
    birth: now,
    pid: '42',
    hostname: 'h',
    queues: 'default',
  });
  const obs = observe();
  const source = new FrameworkSource({
    url: `redis://viewer@127.0.0.1:${redis.port}`,
    password: 'pw',
    frameworks: ['rq', 'bullmq'],
    pollMs: 500,
  });
  t.after(async () => {
    await source.dispose();
    await redis.stop();
  });
  source.start(obs.sink);
  await waitFor(
    () => obs.health('rq:w1') === 'healthy' && /CLIENT LIST refused/.test(obs.fleet.connection.liveMode ?? ''),
    {
      timeoutMs: 20_000,
      message: () => `w1 healthy, refusal shown: ${obs.health('rq:w1')} ${JSON.stringify(obs.fleet.connection)}`,
    },
  );
  assert.match(obs.fleet.connection.liveMode!, /RQ liveness from heartbeats only, BullMQ workers cannot be listed/);
  assert.equal(obs.warnings().filter((w) => /CLIENT LIST refused/.test(w)).length, 1, 'said once');
});

test('a Sidekiq job payload that does not decode: that worker is unknown with the reason; the others are read', async (t) => {
  const redis = await startRedis();
  const r = redis.client();
  const beat = String(Date.now() / 1000);
  for (const id of ['h:1:a', 'h:2:b']) {
    await r.sadd('processes', id);
    await r.hset(id, {
      info: JSON.stringify({ hostname: 'h', pid: 1, tag: id, queues: ['default'] }),
      busy: '1',
      beat,
      quiet: 'false',
    });
  }
  await r.hset('h:1:a:workers', 't1', '{"queue":"default","payload":"{not json');
  await r.hset(
    'h:2:b:workers',
    't1',
    JSON.stringify({
      queue: 'default',
      payload: JSON.stringify({ class: 'Mailer', jid: 'j' }),
      run_at: Date.now() / 1000,
    }),
  );
  const obs = observe();
  const source = new FrameworkSource({ url: redis.url, frameworks: ['sidekiq'], pollMs: 500 });
  t.after(async () => {
    await source.dispose();
    await redis.stop();
  });
  source.start(obs.sink);
  await waitFor(() => obs.fleet.size === 2, { timeoutMs: 20_000, message: 'both read' });
  obs.fleet.reclassify();
  assert.equal(obs.health('sidekiq:h:1:a'), 'unknown');
  assert.match(obs.fleet.get('sidekiq:h:1:a')!.reason, /job on thread t1 does not decode/);
  assert.equal(obs.health('sidekiq:h:2:b'), 'working');
  assert.equal(obs.snapshot('sidekiq:h:2:b')!.task!.title, 'Mailer');
});

test('an ACL that refuses PUBLISH or SUBSCRIBE: each says which capability is missing and what is lost, never a raw NOPERM', async (t) => {
  const redis = await startRedis();
  const admin = redis.client();
  await admin.call(
    'ACL',
    'SETUSER',
    'nopub',
    'on',
    '>pw',
    '~*',
    '&*',
    '+@all',
    '-publish',
    '-psubscribe',
    '-subscribe',
  );
  // Allowed to PUBLISH, but to no channel at all (Redis 7's channel rules).
  await admin.call('ACL', 'SETUSER', 'nochan', 'on', '>pw', '~*', 'resetchannels', '+@all');
  const url = (user: string) => `redis://${user}@127.0.0.1:${redis.port}`;
  const obs = observe();
  const source = new FrameworkSource({ url: url('nopub'), password: 'pw', frameworks: ['celery'], pollMs: 500 });
  const requesters = ['nopub', 'nochan'].map((user) => {
    const r = createRequester({ mode: 'store', timeoutMs: 5000 }, { type: 'redis', url: url(user), secret: 'pw' });
    assert.notEqual(typeof r, 'string');
    return r as Exclude<typeof r, string>;
  });
  t.after(async () => {
    await source.dispose();
    for (const r of requesters) await r.dispose();
    await redis.stop();
  });
  source.start(obs.sink);
  await waitFor(() => /may not PSUBSCRIBE/.test(obs.fleet.connection.liveMode ?? ''), {
    timeoutMs: 20_000,
    message: () => `the live mode says SUBSCRIBE is refused: ${JSON.stringify(obs.fleet.connection)}`,
  });
  assert.match(
    obs.fleet.connection.liveMode!,
    /this Redis user may not PSUBSCRIBE \/0\.celeryev\/\*: Celery workers cannot be seen/,
  );
  assert.ok(
    obs.warnings().some((w) => /may not PSUBSCRIBE/.test(w) && !/NOPERM/.test(w)),
    obs.warnings().join(' / '),
  );

  const [nopub, nochan] = requesters;
  const restart = await nopub.send(newRequest('restart', { worker: 'rq:w1' }));
  assert.deepEqual(restart, {
    status: 'failed',
    message: 'this Redis user may not PUBLISH: Restart for RQ workers is unavailable',
  });
  const stop = await nopub.send(newRequest('stop-job', { worker: 'celery:w1@h', job: 't1' }));
  assert.equal(stop.message, 'this Redis user may not PUBLISH: Stop Job for Celery workers is unavailable');
  const channel = await nochan.send(newRequest('stop-job', { worker: 'rq:w1', job: 'j1' }));
  assert.equal(
    channel.message,
    'this Redis user may not PUBLISH on this channel (its ACL channel rules leave it out): Stop Job for RQ workers is unavailable',
  );
});
