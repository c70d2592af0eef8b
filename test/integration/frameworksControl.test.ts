import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import type { Confirmation } from '../../src/control/plan';
import type { ConnectionConfig } from '../../src/core/connectionConfig';
import { Fleet } from '../../src/core/fleet';
import { fleetSink } from '../../src/core/sourceSink';
import { createSource } from '../../src/sources/createSource';
import type { WorkerSource } from '../../src/sources/source';
import { quietWorker } from '../../src/vscode/commands/quietWorker';
import { stopJob } from '../../src/vscode/commands/stopJob';
import type { ControlDeps } from '../../src/vscode/controlFlow';
import { setControlHost } from '../../src/vscode/controlHost';
import type { ConnectionManager } from '../../src/vscode/connectionManager';
import type { Secrets } from '../../src/vscode/secrets';
import type { TreeNode } from '../../src/vscode/workerTree';
import { fake, fakeHost } from '../fixtures/control/fakeHost';
import {
  enqueueCelery,
  enqueueRq,
  ensureFrameworks,
  FrameworkWorkers,
  waitFor,
  type WorkerProcess,
} from '../harness/frameworks';
import { startRedis, type RedisServer } from '../harness/redisServer';

/**
 * The gentler controls on real workers, through the command path a tree click takes (confirmation, read-only, trust
 * through the control host): Quiet makes a Sidekiq worker stopping, Stop Job ends an RQ or Celery worker's job and
 * leaves the worker up; BullMQ says it has none and points to command mode.
 */
let redis: RedisServer;
let workers: FrameworkWorkers;
let source: WorkerSource | undefined;
let bullQueue: Queue | undefined;
const fleet = new Fleet();
const procs: Record<string, WorkerProcess> = {};
const seen = { confirmations: [] as Confirmation[], notes: [] as string[] };
let restoreUi: () => void;

before(async () => {
  ensureFrameworks();
  redis = await startRedis();
  workers = new FrameworkWorkers(redis.url);
  procs['sk-quiet'] = workers.sidekiq('sk-quiet', 'default');
  procs['rq-busy'] = workers.rq('rq-busy', 'long');
  procs['celery-busy'] = workers.celery('celery-busy', 'long');
  procs['bull-a'] = workers.bullmq('bull-a', 'images');
  enqueueRq(redis.url, 'long', 600);
  const made = createSource({ name: 'prod', type: 'redis', url: redis.url }, undefined, {
    pollMs: 500,
    reconcileMs: 15_000,
    enableKeyspaceNotifications: false,
  });
  assert.notEqual(typeof made, 'string');
  source = made as WorkerSource;
  // Detection looks again every 30 s: wait for every framework to register before the first look.
  const r = redis.client();
  await waitFor(
    async () =>
      (await r.scard('rq:workers')) === 1 &&
      (await r.scard('processes')) === 1 &&
      (await r.exists('_kombu.binding.celery.pidbox')) === 1 &&
      String(await r.client('LIST')).includes(':w:bull-a'),
    {
      timeoutMs: 90_000,
      message: () =>
        Object.values(procs)
          .map((p) => `${p.name}: ${p.output()}`)
          .join('\n'),
    },
  );
  source.start(fleetSink(fleet));
  bullQueue = new Queue('images', { connection: { host: '127.0.0.1', port: redis.port } });
  await waitFor(() => byName('celery-busy'), { timeoutMs: 60_000, message: 'Celery worker seen in its events' });
  enqueueCelery(redis.url, 'long', 600);
});

after(async () => {
  await source?.dispose();
  await bullQueue?.close().catch(() => undefined);
  await workers?.stopAll();
  await redis?.stop();
});

beforeEach(() => {
  fake.reset();
  seen.confirmations.length = 0;
  seen.notes.length = 0;
  restoreUi = setControlHost(
    fakeHost({
      confirm: async (c) => (seen.confirmations.push(c), true),
      pickWorkers: async (items) => [items[0].id],
      askCount: async (n) => n,
      notify: (level, text) => void seen.notes.push(`${level}: ${text}`),
    }),
  );
});
afterEach(() => restoreUi());

function byName(name: string) {
  fleet.reclassify();
  return fleet.workers().find((w) => w.snapshot.name === name || w.snapshot.name.startsWith(`${name}@`));
}
const describeFleet = () =>
  fleet
    .workers()
    .map(
      (w) => `${w.snapshot.name}=${w.health}/${w.snapshot.status}${w.snapshot.task ? `(${w.snapshot.task.id})` : ''}`,
    )
    .join(' ');

function deps(): ControlDeps {
  const noop = () => undefined;
  const active = { name: 'prod', type: 'redis', url: redis.url } as ConnectionConfig;
  return {
    manager: { active, fleet } as unknown as ConnectionManager,
    secrets: { get: async () => undefined } as unknown as Secrets,
    log: { info: noop, warn: noop, error: noop } as unknown as ControlDeps['log'],
  };
}
const node = (name: string): TreeNode => ({ kind: 'worker', id: byName(name)!.snapshot.id });

test('read-only: Quiet and Stop Job are refused before any confirmation, nothing is sent', async () => {
  await waitFor(() => byName('sk-quiet')?.health === 'healthy', { timeoutMs: 60_000, message: describeFleet });
  fake.settings['workerLens.readOnly'] = { globalValue: true };
  await quietWorker(deps(), node('sk-quiet'));
  await stopJob(deps());
  assert.equal(seen.confirmations.length, 0);
  assert.equal(seen.notes.length, 2);
  assert.match(seen.notes[0], /read-only/);
  assert.equal(await redis.client().exists(`${byName('sk-quiet')!.snapshot.id.slice('sidekiq:'.length)}-signals`), 0);
});

test('Quiet: the Sidekiq worker is told TSTP, shows stopping, and stays up', async () => {
  await waitFor(() => byName('sk-quiet')?.health === 'healthy', { timeoutMs: 60_000, message: describeFleet });
  await quietWorker(deps(), node('sk-quiet'));
  assert.match(seen.confirmations[0].message, /^Quiet worker "sk-quiet" \(sidekiq:.*\) on "prod"\?$/);
  assert.match(seen.confirmations[0].detail, /TSTP onto .*-signals.*stops fetching new jobs/);
  assert.equal(seen.confirmations[0].button, 'Quiet');
  assert.match(seen.notes[0], /^info: Quiet .*: done — TSTP queued/);
  await waitFor(() => byName('sk-quiet')?.health === 'stopping', {
    timeoutMs: 60_000,
    message: () => `sk-quiet stopping: ${describeFleet()}`,
  });
  assert.ok(procs['sk-quiet'].alive, 'quiet is not a stop');
  await quietWorker(deps(), node('sk-quiet'));
  assert.match(seen.notes[1], /^warning: Quiet cannot be used: "sk-quiet" is already quiet/);
});

test("Stop Job ends the RQ busy worker's job; the worker stays up", async () => {
  await waitFor(() => byName('rq-busy')?.snapshot.task?.id, { timeoutMs: 60_000, message: describeFleet });
  const job = byName('rq-busy')!.snapshot.task!.id!;
  await stopJob(deps(), node('rq-busy'));
  assert.equal(seen.confirmations[0].message, 'Stop the job of worker "rq-busy" (rq:rq-busy) on "prod"?');
  assert.match(seen.confirmations[0].detail, new RegExp(`"stop-job" for job ${job} on rq:pubsub:rq-busy`));
  assert.equal(seen.confirmations[0].button, 'Stop Job');
  assert.match(seen.notes[0], /^info: .*done — RQ worker rq-busy got "stop-job"/);
  await waitFor(() => byName('rq-busy')?.snapshot.task === undefined && byName('rq-busy')?.health === 'healthy', {
    timeoutMs: 60_000,
    message: () => `rq-busy idle again: ${describeFleet()}`,
  });
  assert.equal(await redis.client().hget(`rq:job:${job}`, 'status'), 'stopped');
  assert.ok(procs['rq-busy'].alive, 'the worker stays up');
});

test("Stop Job revokes the Celery task with terminate: the worker's task ends, the worker stays up", async () => {
  await waitFor(() => byName('celery-busy')?.snapshot.task?.id, { timeoutMs: 60_000, message: describeFleet });
  await stopJob(deps(), node('celery-busy'));
  assert.match(seen.confirmations[0].detail, /pidbox "revoke" of task .* with terminate/);
  assert.match(seen.notes[0], /^info: .*done — "revoke" \(terminate\)/);
  await waitFor(
    () => byName('celery-busy')?.snapshot.task === undefined && byName('celery-busy')?.health === 'healthy',
    {
      timeoutMs: 60_000,
      message: () => `celery-busy's task ended: ${describeFleet()}`,
    },
  );
  assert.ok(procs['celery-busy'].alive, 'the worker stays up');
});

test('BullMQ: no per-worker control, said in words with the way to act (command mode); nothing is sent', async () => {
  await waitFor(() => byName('bull-a'), { timeoutMs: 60_000, message: describeFleet });
  await quietWorker(deps(), node('bull-a'));
  await stopJob(deps(), node('bull-a'));
  assert.equal(seen.confirmations.length, 0);
  for (const n of seen.notes) assert.match(n, /^warning: .*BullMQ has no per-worker control.*"command"/);
  assert.ok(procs['bull-a'].alive);
});
