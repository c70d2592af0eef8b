import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LiveSession } from '../../src/core/liveSession';
import type { SourceSink } from '../../src/core/sourceSink';
import { RedisSource } from '../../src/sources/redis/redisSource';
import { waitFor } from '../harness/freePort';
import { startRedis } from '../harness/redisServer';

const MIN = 60_000;

/**
 * A Redis fleet whose `work_completions` stream already holds the last 50 minutes when
 * the dashboard opens: every entry of the charts' window counts at once (not only the
 * newest thousand shown as log lines), and the live tail goes on from the last entry
 * read back — nothing counted twice, nothing skipped.
 */
test('the dashboard opens on the history a Redis stream keeps, and the live tail meets it at one id', async (t) => {
  const redis = await startRedis();
  const session = new LiveSession();
  const source = new RedisSource({
    url: redis.url,
    pollMs: 250,
    push: 'off',
    logStreams: ['work_completions'],
    queues: [],
  });
  t.after(async () => {
    await source.dispose();
    session.dispose();
    await redis.stop();
  });
  const r = redis.client();
  const now = Date.now();
  // 1500 completions over the last 50 minutes (ids carry their time), and 20 from 7 hours ago.
  const p = r.pipeline();
  for (let i = 0; i < 20; i++)
    p.xadd('work_completions', `${now - 7 * 60 * MIN + i}-0`, 'worker_id', 'w-old', 'task_id', `old-${i}`);
  const history: string[] = [];
  for (let i = 0; i < 1500; i++) {
    const id = `${now - 50 * MIN + i * 2000}-0`;
    history.push(id);
    p.xadd('work_completions', id, 'worker_id', `w-${i % 5}`, 'task_id', `t-${i}`, 'duration_ms', '1500');
  }
  await p.exec();

  const delivered: string[] = [];
  const inner = session.sink();
  const sink: SourceSink = { ...inner, logs: (es) => (delivered.push(...es.map((e) => e.id!)), inner.logs(es)) };
  source.start(sink);
  source.followActivity(true); // the dashboard opened
  await waitFor(() => delivered.length >= 1500, {
    timeoutMs: 30_000,
    message: () => `the stream's last 50 minutes read back (${delivered.length})`,
  });
  assert.deepEqual(delivered, history, 'every entry of the window, in order, none from before it');
  assert.equal(session.metrics.fittingWindow(), '1h', '50 minutes of history: the hour window, not 5 minutes of it');
  const v = session.metrics.view('1h');
  assert.ok(v.totals.completed >= 1470, `the hour counts what the stream holds (${v.totals.completed})`);
  assert.ok(v.totals.perMinute > 25, `about 30 tasks/min (${v.totals.perMinute})`);
  assert.ok(v.throughput.fleet.filter((x) => x !== null && x > 0).length >= 45, 'a line across the 50 minutes');
  assert.equal(v.notes?.throughput, undefined);
  assert.equal(v.notes?.duration, undefined, 'durations came with the entries');

  // Live: what is written now follows on from the last id read back, once each.
  const live: string[] = [];
  for (let i = 0; i < 5; i++)
    live.push((await r.xadd('work_completions', '*', 'worker_id', 'w-live', 'task_id', `live-${i}`)) as string);
  await waitFor(() => delivered.length >= 1505, {
    timeoutMs: 30_000,
    message: () => `the live entries (${delivered.length})`,
  });
  assert.deepEqual(delivered.slice(1500), live);

  // Reopened: the stream resumes from where it stopped, it is not read back again.
  source.followActivity(false);
  const last = (await r.xadd('work_completions', '*', 'worker_id', 'w-live', 'task_id', 'after-reopen')) as string;
  source.followActivity(true);
  await waitFor(() => delivered.length >= 1506, {
    timeoutMs: 30_000,
    message: () => `the entry written while closed (${delivered.length})`,
  });
  assert.deepEqual(delivered.slice(1505), [last], 'only the entry written while the dashboard was closed');
});
