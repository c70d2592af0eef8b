import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { ORCHESTRATOR_FIELDS, ORCHESTRATOR_KEYS } from '../../src/sources/redis/orchestratorPreset';
import { readWorkers } from '../../src/sources/redis/readWorkers';
import { readAllBySort, type SortState } from '../../src/sources/redis/sortRead';
import { SEED_EXPECTED, writeSeedFleet } from '../fixtures/seedFleet';
import { startRedis, type RedisServer } from '../harness/redisServer';

/*
 * The one-command full read (SORT … GET patterns) must see exactly what the pipelined
 * read sees, and a server that refuses SORT must fall back without a fuss.
 */
let redis: RedisServer;
before(async () => {
  redis = await startRedis();
  await writeSeedFleet(redis.client());
});
after(() => redis.stop());

test('the one-command read returns the same workers as the pipelined read, in one command', async () => {
  const c = redis.client();
  const ids = (await c.smembers('active_workers')).sort();
  const piped = await readWorkers(c, ids, ORCHESTRATOR_KEYS, ORCHESTRATOR_FIELDS);
  const stats = async () => Number(/cmdstat_sort_ro:calls=(\d+)/.exec(await c.info('commandstats'))?.[1] ?? 0);
  const before = await stats();
  const sorted = await readAllBySort(c, ORCHESTRATOR_KEYS, ORCHESTRATOR_FIELDS, {});
  assert.deepEqual(sorted, piped);
  assert.deepEqual(
    sorted!.map((w) => w.id),
    Object.keys(SEED_EXPECTED).sort(),
  );
  assert.equal((await stats()) - before, 1, 'one SORT_RO command for the whole fleet');
});

test('a user without SORT gets undefined (fallback), remembered so it is not retried every poll', async () => {
  const admin = redis.client();
  await admin.call('ACL', 'SETUSER', 'nosort', 'on', '>pw', '~*', '&*', '+@all', '-sort', '-sort_ro');
  const c = new Redis(`redis://nosort:pw@127.0.0.1:${redis.port}`);
  try {
    const state: SortState = {};
    assert.equal(await readAllBySort(c, ORCHESTRATOR_KEYS, ORCHESTRATOR_FIELDS, state), undefined);
    assert.match(state.unavailable ?? '', /NOPERM|permission/i);
    assert.equal(await readAllBySort(c, ORCHESTRATOR_KEYS, ORCHESTRATOR_FIELDS, state), undefined);
  } finally {
    c.disconnect();
  }
});

test('a key layout a pattern cannot express falls back too', async () => {
  const state: SortState = {};
  const keys = { ...ORCHESTRATOR_KEYS, state: 'w:{id}:state:{id}' };
  assert.equal(await readAllBySort(redis.client(), keys, ORCHESTRATOR_FIELDS, state), undefined);
  assert.match(state.unavailable ?? '', /placeholder/);
});
