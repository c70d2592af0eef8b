import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { createRequester } from '../../src/control/createRequester';
import { newRequest } from '../../src/control/request';
import { createSource } from '../../src/sources/createSource';
import type { WorkerSource } from '../../src/sources/source';
import { startRedis, type RedisServer } from '../harness/redisServer';
import {
  enqueueCelery,
  enqueueRq,
  enqueueSidekiq,
  ensureFrameworks,
  FrameworkWorkers,
  waitFor,
  type WorkerProcess,
} from '../harness/frameworks';
import { observe } from './redisFixtures';

/**
 * Real RQ, Sidekiq, Celery and BullMQ workers on one test Redis — a busy one running a long job and
 * an idle one each — read through a connection with only the URL (no preset: detection).
 */
let redis: RedisServer;
let workers: FrameworkWorkers;
let source: WorkerSource | undefined;
let bullQueue: Queue | undefined;
const obs = observe();
const started: Record<string, WorkerProcess> = {};

before(async () => {
  ensureFrameworks();
  redis = await startRedis();
  workers = new FrameworkWorkers(redis.url);
  const r = redis.client();
  // Each busy worker has a queue of its own, so the long job cannot land on the idle one.
  started['rq-busy'] = workers.rq('rq-busy', 'long');
  started['rq-idle'] = workers.rq('rq-idle', 'default');
  started['sk-busy'] = workers.sidekiq('sk-busy', 'long');
  started['sk-idle'] = workers.sidekiq('sk-idle', 'default');
  started['bull-busy'] = workers.bullmq('bull-busy', 'images');
  started['bull-idle'] = workers.bullmq('bull-idle', 'emails');
  started['celery-busy'] = workers.celery('celery-busy', 'long');
  started['celery-idle'] = workers.celery('celery-idle', 'default');
  // One more each for Restart Worker (the idle ones are SIGKILLed by another test).
  started['rq-restart'] = workers.rq('rq-restart', 'default');
  started['sk-restart'] = workers.sidekiq('sk-restart', 'default');
  started['celery-restart'] = workers.celery('celery-restart', 'default');
  // Busy before Worker Lens looks: its task-started event is gone by then, it must be asked (pidbox "active").
  started['celery-early'] = workers.celery('celery-early', 'early');
  enqueueRq(redis.url, 'long', 600);
  enqueueCelery(redis.url, 'early', 600);
  await enqueueSidekiq(r, 'long', 600);
  bullQueue = new Queue('images', { connection: { host: '127.0.0.1', port: redis.port } });
  await bullQueue.add('resize-image', { seconds: 600 });
  // Detection looks once at the start (then every 30 s): let every framework register first.
  let have = '';
  await waitFor(
    async () => {
      const counts = [
        await r.scard('rq:workers'),
        await r.scard('processes'),
        await r.exists('_kombu.binding.celery.pidbox'),
        String(await r.client('LIST')).split(':w:').length - 1,
      ];
      have = `rq ${counts[0]}, sidekiq ${counts[1]}, celery pidbox ${counts[2]}, bullmq ${counts[3]}`;
      // The early Celery task taken (no longer waiting in its queue).
      counts.push(await r.llen('early'));
      have += `, celery early waiting ${counts[4]}`;
      return counts.join() === '3,3,1,2,0';
    },
    {
      timeoutMs: 90_000,
      message: () =>
        `every framework registered (${have}) ${Object.values(started)
          .filter((p) => !p.alive)
          .map((p) => `${p.name}: ${p.output()}`)
          .join('\n')}`,
    },
  );
  const made = createSource({ name: 'frameworks', type: 'redis', url: redis.url }, undefined, {
    pollMs: 500,
    reconcileMs: 15_000,
    enableKeyspaceNotifications: false,
  });
  assert.notEqual(typeof made, 'string');
  source = made as WorkerSource;
  source.start(obs.sink);
  // Celery says which task a worker started only in events: send it once we follow them.
  await waitFor(() => obs.logs.some((l) => /Following Celery events/.test(l.message)), {
    timeoutMs: 30_000,
    message: 'following Celery events',
  });
  enqueueCelery(redis.url, 'long', 600);
});

after(async () => {
  await source?.dispose();
  await bullQueue?.close().catch(() => undefined);
  await workers?.stopAll();
  await redis?.stop();
});

const view = (name: string) => {
  obs.fleet.reclassify();
  // Celery nodes are named <name>@<host>.
  return obs.fleet.workers().find((w) => w.snapshot.name === name || w.snapshot.name.startsWith(`${name}@`));
};
const describeFleet = () =>
  obs.fleet
    .workers()
    .map((w) => `${w.snapshot.name}=${w.health}${w.snapshot.task ? `(${w.snapshot.task.title})` : ''}`)
    .join(' ') +
  ` | ${Object.values(started)
    .filter((p) => !p.alive)
    .map((p) => `${p.name} exited: ${p.output().slice(-600)}`)
    .join('\n')}`;

const FRAMEWORKS = [
  { label: 'RQ', busy: 'rq-busy', idle: 'rq-idle', job: 'rqJobs.long(600)' },
  { label: 'Sidekiq', busy: 'sk-busy', idle: 'sk-idle', job: 'LongJob' },
  { label: 'Celery', busy: 'celery-busy', idle: 'celery-idle', job: 'jobs.long' },
  { label: 'BullMQ', busy: 'bull-busy', idle: 'bull-idle', job: 'resize-image' },
];

test('a connection with only the URL finds RQ, Sidekiq, Celery and BullMQ workers: both of each by name, the busy one with its job', async (t) => {
  for (const f of FRAMEWORKS) {
    await t.test(f.label, async () => {
      await waitFor(() => view(f.busy)?.snapshot.task?.title === f.job && view(f.idle)?.health === 'healthy', {
        timeoutMs: 90_000,
        message: () => `${f.label} workers listed, ${f.busy} running ${f.job}: ${describeFleet()}`,
      });
      const busy = view(f.busy)!;
      assert.equal(busy.health, 'working');
      assert.ok(busy.snapshot.task!.startedAt! <= Date.now(), 'elapsed time known');
      assert.match(busy.snapshot.specialization ?? '', new RegExp(`^${f.label}`));
      if (f.label === 'RQ' || f.label === 'Sidekiq')
        assert.equal(view(f.idle)!.snapshot.pid, started[f.idle].pid, 'the pid the worker wrote');
    });
  }
  assert.ok(
    obs.logs.some((l) =>
      /looked for RQ .*Sidekiq .*Celery .*BullMQ .*found RQ, Sidekiq, Celery, BullMQ/.test(l.message),
    ),
    `the log says what was looked for: ${obs.logs.map((l) => l.message).join(' / ')}`,
  );
});

test('a Celery task started before the source looked is named too: the busy node is asked what it runs', async () => {
  await waitFor(() => view('celery-early')?.snapshot.task?.title === 'jobs.long', {
    timeoutMs: 60_000,
    message: () => `celery-early running jobs.long: ${describeFleet()}`,
  });
  const task = view('celery-early')!.snapshot.task!;
  assert.ok(task.startedAt! <= Date.now() && task.startedAt! > Date.now() - 120_000, 'its start, from the reply');
  const r = redis.client();
  assert.equal(await r.exists('_kombu.binding.reply.celery.pidbox'), 0, 'the reply binding is removed after');
  assert.deepEqual(await r.keys('*.reply.celery.pidbox'), [], 'no reply queue left behind');
});

test('a SIGKILLed idle worker is shown dead, with the reason, not dropped', async (t) => {
  for (const f of FRAMEWORKS) started[f.idle].signal('SIGKILL');
  for (const f of FRAMEWORKS) {
    await t.test(f.label, async () => {
      // Sidekiq is judged by its 5 s beat (dead after 30 s), Celery by its 2 s beat (after 12 s); RQ and BullMQ by
      // their named connections, at once.
      await waitFor(() => view(f.idle)?.health === 'dead', {
        timeoutMs: 90_000,
        message: () => `${f.idle} dead: ${describeFleet()}`,
      });
      assert.ok(view(f.idle)!.reason.length > 0);
      assert.equal(view(f.busy)?.health, 'working', `${f.busy} still working`);
    });
  }
});

test("Restart Worker sends the framework's own graceful stop, and the process exits; BullMQ says it has no per-worker control", async (t) => {
  const requester = createRequester({ mode: 'store', timeoutMs: 10_000 }, { type: 'redis', url: redis.url });
  assert.notEqual(typeof requester, 'string');
  const control = requester as Exclude<typeof requester, string>;
  t.after(() => control.dispose());
  for (const [label, name, words] of [
    ['RQ', 'rq-restart', /shutdown.*rq:pubsub:rq-restart/],
    ['Sidekiq', 'sk-restart', /TERM onto .*-signals/],
    ['Celery', 'celery-restart', /pidbox "shutdown"/],
  ] as const) {
    await t.test(label, async () => {
      const w = await waitFor(() => view(name), {
        timeoutMs: 60_000,
        message: () => `${name} listed: ${describeFleet()}`,
      });
      const request = newRequest('restart', { worker: w!.snapshot.id });
      assert.match(control.describe(request), words);
      const outcome = await control.send(request);
      assert.equal(outcome.status, 'done', outcome.message);
      await waitFor(() => !started[name].alive, {
        timeoutMs: 60_000,
        message: () => `${name} exited after Restart: ${started[name].output().slice(-400)}`,
      });
      // A clean stop is shown as stopped, not dead (RQ and Sidekiq unlist it; Celery says worker-offline).
      await waitFor(() => view(name)?.health === 'stopped', {
        timeoutMs: 30_000,
        message: () => `${name} stopped: ${describeFleet()}`,
      });
    });
  }
  await t.test('BullMQ', async () => {
    const request = newRequest('restart', { worker: view('bull-busy')!.snapshot.id });
    assert.match(control.describe(request), /no per-worker control.*command mode/);
    const outcome = await control.send(request);
    assert.equal(outcome.status, 'failed');
    assert.ok(started['bull-busy'].alive, 'nothing was done to it');
  });
});
