import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import type { WorkerSnapshot } from '../../src/core/model';
import { ORCHESTRATOR_FIELDS, ORCHESTRATOR_KEYS } from '../../src/sources/redis/orchestratorPreset';
import { readWorkers } from '../../src/sources/redis/readWorkers';
import { BATCH, readAllBounded, type BoundedState } from '../../src/sources/redis/boundedRead';
import { SEED_EXPECTED, writeSeedFleet } from '../fixtures/seedFleet';
import { startRedis, type RedisServer } from '../harness/redisServer';
import { setCounters, worker, writeHash, writeJson } from './redisFixtures';
import { scriptRuns } from '../harness/commandStats';

/*
 * The full read a production Redis sees: ids by SSCAN, records by one read-only script per
 * batch. It must see exactly what the per-worker pipeline sees — the seed's fleet and
 * hostile records alike — and a server that refuses scripts must get the pipelines instead.
 */
let redis: RedisServer;
// A NUL in an id: the script's keys usually travel joined by NUL bytes, so this batch must list them.
const NUL_ID = 'h-nul\u0000byte';
const HOSTILE = ['h-list', 'h-badjson', 'h-array', 'h-gone', 'h-counters', 'h-unicode', NUL_ID];
before(async () => {
  redis = await startRedis();
  const r = redis.client();
  await writeSeedFleet(r);
  // Enough ordinary workers for several batches.
  for (let i = 0; i < 2 * BATCH + 7; i++)
    await (i % 3 ? writeHash : writeJson)(r, `w-${i}`, worker('idle', Date.now()));
  await r.sadd('active_workers', ...HOSTILE);
  await r.rpush('worker:state:h-list', 'not', 'a', 'hash');
  await r.set('worker:state:h-badjson', '{"status": "idle", ');
  await r.set('worker:state:h-array', '[1,2,3]');
  await writeHash(r, 'h-counters', worker('working', Date.now()));
  await r.set('worker:h-counters:completed', 'many');
  await r.rpush('worker:h-counters:errors', 'x');
  await r.hset('worker:state:h-unicode', {
    status: 'idle',
    'név\n"quoted"': 'ünïcødé \u0000 \\ "',
    hostname: 'x'.repeat(100_000),
  });
  await setCounters(r, 'w-1', 41, 2);
  await writeHash(r, NUL_ID, worker('working', Date.now()));
  await setCounters(r, NUL_ID, 3, 1);
});
after(() => redis.stop());

/** The read comes in the order SSCAN gave; the pipeline's in the order asked. */
const byName = (ws: WorkerSnapshot[]) => [...ws].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

const calls = async (c: Redis, cmd: string) =>
  Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(await c.info('commandstats'))?.[1] ?? 0);
const scripts = async (c: Redis) => scriptRuns(await c.info('commandstats'));

test('the bounded read sees what the per-worker pipeline sees, hostile records included, in one script per batch', async () => {
  const c = redis.client();
  const ids = (await c.smembers('active_workers')).sort();
  const piped = await readWorkers(c, ids, ORCHESTRATOR_KEYS, ORCHESTRATOR_FIELDS);
  const [evals0, smembers0] = [await scripts(c), await calls(c, 'smembers')];
  const state: BoundedState = {};
  const bounded = byName(await readAllBounded(c, ORCHESTRATOR_KEYS, ORCHESTRATOR_FIELDS, state));
  assert.deepEqual(bounded, piped);
  for (const id of Object.keys(SEED_EXPECTED))
    assert.ok(
      bounded.some((w) => w.id === id),
      `seed worker ${id} read`,
    );
  const byId = new Map(bounded.map((w) => [w.id, w]));
  assert.match(byId.get('h-list')!.problems.join(' ') ?? '', /neither a hash nor a string/);
  assert.match(byId.get('h-badjson')!.problems.join(' ') ?? '', /not valid JSON/);
  assert.match(byId.get('h-array')!.problems.join(' ') ?? '', /not an object \(a list\)/);
  assert.match(byId.get('h-gone')!.problems.join(' ') ?? '', /does not exist/);
  assert.equal(byId.get('w-1')!.completed, 41);
  assert.equal(byId.get('w-1')!.errors, 2);
  assert.deepEqual(byId.get('h-unicode')!.problems, []);
  assert.deepEqual([byId.get(NUL_ID)?.status, byId.get(NUL_ID)?.completed], ['working', 3], 'the id with a NUL byte');
  assert.equal(state.scriptUnavailable, undefined);
  assert.equal((await scripts(c)) - evals0, Math.ceil(ids.length / BATCH), 'one script per batch');
  assert.equal((await calls(c, 'smembers')) - smembers0, 0, 'ids by SSCAN, never one SMEMBERS of the whole set');
});

test('a user who may not run scripts gets the same fleet by pipelines, and the refusal is remembered', async () => {
  const admin = redis.client();
  await admin.call('ACL', 'SETUSER', 'noscript', 'on', '>pw', '~*', '&*', '+@all', '-@scripting');
  const c = new Redis(`redis://noscript:pw@127.0.0.1:${redis.port}`);
  try {
    const ids = (await admin.smembers('active_workers')).sort();
    const piped = await readWorkers(admin, ids, ORCHESTRATOR_KEYS, ORCHESTRATOR_FIELDS);
    const state: BoundedState = {};
    assert.deepEqual(byName(await readAllBounded(c, ORCHESTRATOR_KEYS, ORCHESTRATOR_FIELDS, state)), piped);
    assert.match(state.scriptUnavailable ?? '', /NOPERM|permission/i);
    const evals = await scripts(admin);
    assert.deepEqual(byName(await readAllBounded(c, ORCHESTRATOR_KEYS, ORCHESTRATOR_FIELDS, state)), piped);
    assert.equal(await scripts(admin), evals, 'not asked again');
  } finally {
    c.disconnect();
  }
});
