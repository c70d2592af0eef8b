import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { Fleet } from '../../src/core/fleet';
import type { LogEntry } from '../../src/core/logEntry';
import type { WorkEvent } from '../../src/core/metrics';
import type { SourceSink } from '../../src/core/sourceSink';
import { createSource } from '../../src/sources/createSource';
import type { WorkerSource } from '../../src/sources/source';
import { startRedis, type RedisServer } from '../harness/redisServer';
import {
  enqueueCeleryCall,
  enqueueRqCall,
  enqueueSidekiqJob,
  ensureFrameworks,
  FrameworkWorkers,
  waitFor,
  type WorkerProcess,
} from '../harness/frameworks';

/**
 * The dashboard's view of framework fleets, from real RQ, Sidekiq, Celery and BullMQ workers: throughput and failures
 * from the frameworks' own counters and events, queue depth per queue, and each failed job with its error among the
 * log lines, read while activity is followed (the dashboard is open).
 */
let redis: RedisServer;
let workers: FrameworkWorkers;
let source: WorkerSource | undefined;
let bullQueue: Queue | undefined;
const fleet = new Fleet();
const logs: LogEntry[] = [];
const events: WorkEvent[] = [];
const depths = new Map<string, number>();
let activity = '';
const procs: WorkerProcess[] = [];

const sink: SourceSink = {
  replaceAll: (w) => fleet.replaceAll(w),
  update: (w, removed) => fleet.update(w, removed),
  setConnection: (s) => fleet.setConnection(s),
  logs: (entries) => logs.push(...entries),
  event: (e) => events.push(e),
  queueDepth: (name, depth) => depths.set(name, depth),
  activityStatus: (text) => (activity = text),
  log: () => undefined,
};

before(async () => {
  ensureFrameworks();
  redis = await startRedis();
  workers = new FrameworkWorkers(redis.url);
  procs.push(
    workers.rq('rq-a', 'work'),
    workers.sidekiq('sk-a', 'work'),
    workers.celery('celery-a', 'work'),
    workers.bullmq('bull-a', 'work'),
  );
  const r = redis.client();
  await waitFor(
    async () =>
      (await r.scard('rq:workers')) === 1 &&
      (await r.scard('processes')) === 1 &&
      (await r.exists('_kombu.binding.celery.pidbox')) === 1 &&
      String(await r.client('LIST')).includes(':w:bull-a'),
    {
      timeoutMs: 90_000,
      message: () => `every framework registered: ${procs.map((p) => `${p.name} ${p.alive ? 'up' : p.output()}`)}`,
    },
  );
  const made = createSource({ name: 'frameworks', type: 'redis', url: redis.url, preset: undefined }, undefined, {
    pollMs: 500,
    reconcileMs: 15_000,
    enableKeyspaceNotifications: false,
  });
  assert.notEqual(typeof made, 'string');
  source = made as WorkerSource;
  source.start(sink);
  source.followActivity(true);
  // Counters are read against a first baseline, and Celery's task events are followed from the first poll on.
  await waitFor(() => /RQ: .*Sidekiq: .*Celery: .*BullMQ: /.test(activity), {
    timeoutMs: 60_000,
    message: () => `the activity line names all four frameworks: "${activity}"`,
  });
  bullQueue = new Queue('work', { connection: { host: '127.0.0.1', port: redis.port } });
  enqueueRqCall(redis.url, 'work', 'fail', 'rq broke on purpose');
  enqueueRqCall(redis.url, 'work', 'long', 0);
  await enqueueSidekiqJob(r, 'work', 'FailJob', 'sidekiq broke on purpose');
  await enqueueSidekiqJob(r, 'work', 'LongJob', 0);
  await enqueueSidekiqJob(r, 'work', 'FailJob', 'sidekiq will retry', 1);
  enqueueCeleryCall(redis.url, 'work', 'fail', 'celery broke on purpose');
  enqueueCeleryCall(redis.url, 'work', 'long', 0);
  await bullQueue.add('explode', { fail: 'bullmq broke on purpose' });
  await bullQueue.add('quick', { seconds: 0 });
  // Queues nobody serves: their depth is all that can be seen of them.
  enqueueRqCall(redis.url, 'backlog', 'long', 0);
  enqueueRqCall(redis.url, 'backlog', 'long', 0);
  await enqueueSidekiqJob(r, 'backlog', 'LongJob', 0);
  await enqueueSidekiqJob(r, 'backlog', 'LongJob', 0);
});

after(async () => {
  await source?.dispose();
  await bullQueue?.close().catch(() => undefined);
  await workers?.stopAll();
  await redis?.stop();
});

const FAILURES = [
  {
    label: 'RQ',
    error: /^RQ work: rqJobs\.fail\('rq broke on purpose'\) \(job .*\) failed: ValueError: rq broke on purpose/,
  },
  {
    label: 'Sidekiq',
    error: /^Sidekiq work: FailJob \(jid \w+\) failed: ArgumentError: sidekiq broke on purpose — dead/,
  },
  { label: 'Celery', error: /^Celery: jobs\.fail \(.*\) failed: ValueError\('celery broke on purpose'\)/ },
  { label: 'BullMQ', error: /^BullMQ work: explode \(job \d+\) failed: bullmq broke on purpose/ },
];

test('each failed job is a log line with its error, level error, naming the worker where the framework says which', async (t) => {
  for (const f of FAILURES) {
    await t.test(f.label, async () => {
      const line = await waitFor(() => logs.find((l) => f.error.test(l.message)), {
        timeoutMs: 90_000,
        message: () => `${f.label} failure told: ${logs.map((l) => l.message.split('\n')[0]).join(' / ')}`,
      });
      assert.equal(line!.level, 'error');
      if (f.label !== 'Sidekiq') assert.match(line!.worker ?? '', /^(rq|celery|bullmq):/, 'the worker that ran it');
      assert.ok(line!.ts <= Date.now());
    });
  }
  await waitFor(
    () =>
      logs.some((l) =>
        /^Sidekiq work: FailJob .* failed: ArgumentError: sidekiq will retry — retry 1 scheduled/.test(l.message),
      ),
    {
      timeoutMs: 60_000,
      message: () => `a Sidekiq failure to be retried: ${logs.map((l) => l.message.split('\n')[0]).join(' / ')}`,
    },
  );
  const rqLine = logs.find((l) => l.message.startsWith('RQ work'))!;
  assert.match(rqLine.message, /Traceback/, 'the traceback follows the summary');
});

test("throughput from the frameworks' own counters and events: RQ per worker, Sidekiq fleet totals, Celery and BullMQ events", async () => {
  await waitFor(
    () =>
      fleet.workers().find((w) => w.snapshot.name === 'rq-a')?.snapshot.completed === 1 &&
      fleet.workers().find((w) => w.snapshot.name === 'rq-a')?.snapshot.errors === 1,
    { timeoutMs: 60_000, message: 'RQ worker counters: 1 successful, 1 failed' },
  );
  // Sidekiq counts only fleet-wide: its events name no worker and carry the increase.
  await waitFor(() => events.some((e) => e.kind === 'completed' && e.worker === undefined && (e.count ?? 1) >= 1), {
    timeoutMs: 60_000,
    message: () => `Sidekiq's fleet-wide completions: ${JSON.stringify(events)}`,
  });
  assert.ok(
    events.some((e) => e.kind === 'failed' && e.worker === undefined),
    "Sidekiq's fleet-wide failure",
  );
  await waitFor(() => events.some((e) => e.kind === 'completed' && e.worker?.startsWith('celery:')), {
    timeoutMs: 60_000,
    message: () => `Celery task-succeeded: ${JSON.stringify(events)}`,
  });
  await waitFor(() => events.some((e) => e.kind === 'completed' && e.worker === 'bullmq:work:bull-a'), {
    timeoutMs: 60_000,
    message: () => `BullMQ completed, by the worker that ran it: ${JSON.stringify(events)}`,
  });
  const bull = events.find((e) => e.kind === 'completed' && e.worker === 'bullmq:work:bull-a')!;
  assert.ok(bull.durationMs !== undefined && bull.durationMs >= 0, 'BullMQ duration from processedOn/finishedOn');
  assert.ok(
    events.some((e) => e.worker?.startsWith('celery:') && e.durationMs !== undefined),
    'Celery duration from runtime',
  );
  assert.match(activity, /fleet totals: \d+ processed, \d+ failed/, 'the fleet totals are said as fleet totals');
});

test('queue depth per queue, named with its framework', async () => {
  await waitFor(() => depths.get('RQ backlog') === 2 && depths.get('Sidekiq backlog') === 2, {
    timeoutMs: 60_000,
    message: () => `backlog depths: ${JSON.stringify([...depths])}`,
  });
  await waitFor(() => ['RQ work', 'Sidekiq work', 'Celery work', 'BullMQ work'].every((q) => depths.has(q)), {
    timeoutMs: 60_000,
    message: () => `every framework's queue: ${JSON.stringify([...depths])}`,
  });
});
