import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Fleet } from '../../src/core/fleet';
import { fleetSink } from '../../src/core/sourceSink';
import { FilesSource } from '../../src/sources/files/filesSource';
import { RedisSource } from '../../src/sources/redis/redisSource';
import { waitFor } from '../harness/freePort';
import { startRedis } from '../harness/redisServer';
import { observe, pyIso } from './redisFixtures';

/*
 * A preset names many fields (pid, host, counters, task, specialization…); a worker that
 * writes only who it is and that it is alive is a healthy worker, in every store. Its
 * optional fields are absent, empty, or Python's None written as "null" — never a reason
 * to call it unknown.
 */

test('Redis: workers whose records hold only a status and a heartbeat are healthy (hash, JSON string, empty and null optional fields)', async (t) => {
  const redis = await startRedis();
  const source = new RedisSource({ url: redis.url, pollMs: 250, push: 'off' });
  t.after(async () => {
    await source.dispose();
    await redis.stop();
  });
  const r = redis.client();
  const now = Date.now();
  await r
    .multi()
    .hset('worker:state:bare-hash', { status: 'idle', last_activity: pyIso(now - 1000) })
    .set('worker:state:bare-json', JSON.stringify({ status: 'idle', last_activity: pyIso(now - 1000) }))
    // No status at all: the heartbeat alone says it is alive.
    .hset('worker:state:beat-only', { last_activity: pyIso(now - 1000) })
    .hset('worker:state:empty-extras', {
      status: 'idle',
      last_activity: pyIso(now - 1000),
      pid: '',
      host: '',
      specialization: '',
      total_completed: '',
      total_errors: '',
      current_task: '',
    })
    .set(
      'worker:state:null-extras',
      JSON.stringify({
        status: 'idle',
        last_activity: pyIso(now - 1000),
        pid: null,
        host: null,
        specialization: null,
        total_completed: null,
        total_errors: null,
        current_task: null,
        name: null,
      }),
    )
    .sadd('active_workers', 'bare-hash', 'bare-json', 'beat-only', 'empty-extras', 'null-extras')
    .exec();
  const obs = observe();
  source.start(obs.sink);
  await waitFor(() => obs.fleet.size === 5 && obs.fleet.connection.state === 'connected', {
    message: () => `5 workers (have ${obs.fleet.size})`,
  });
  const health = Object.fromEntries(
    obs.fleet
      .workers()
      .map((w) => [
        w.snapshot.id,
        `${w.health}${w.snapshot.problems.length ? ` (${w.snapshot.problems.join('; ')})` : ''}`,
      ]),
  );
  assert.deepEqual(health, {
    'bare-hash': 'healthy',
    'bare-json': 'healthy',
    'beat-only': 'healthy',
    'empty-extras': 'healthy',
    'null-extras': 'healthy',
  });
});

test('heartbeat files holding only the worker and a timestamp (or null extras) are healthy', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wl-optional-'));
  const fleet = new Fleet();
  const source = new FilesSource({ path: dir, pollMs: 100 });
  t.after(async () => {
    await source.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  const ts = new Date().toISOString();
  writeFileSync(join(dir, 'gpu-1.json'), JSON.stringify({ worker: 'gpu-1', timestamp: ts }));
  writeFileSync(join(dir, 'gpu-2.json'), JSON.stringify({ timestamp: ts, status: 'idle' }));
  writeFileSync(
    join(dir, 'gpu-3.json'),
    JSON.stringify({
      worker: 'gpu-3',
      timestamp: ts,
      status: 'idle',
      current_task: null,
      tasks_completed: null,
      pid: null,
      host: null,
      errors: null,
      specialization: null,
    }),
  );
  source.start(fleetSink(fleet));
  await waitFor(() => fleet.size === 3, { message: () => `3 workers (have ${fleet.size})` });
  const health = Object.fromEntries(
    fleet
      .workers()
      .map((w) => [
        w.snapshot.id,
        `${w.health}${w.snapshot.problems.length ? ` (${w.snapshot.problems.join('; ')})` : ''}`,
      ]),
  );
  assert.deepEqual(health, { 'gpu-1': 'healthy', 'gpu-2': 'healthy', 'gpu-3': 'healthy' });
});
