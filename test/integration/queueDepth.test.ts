import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readQueueDepths, readQueueSpecs } from '../../src/sources/redis/queueDepth';
import { startRedis, type RedisServer } from '../harness/redisServer';

describe('queue depth against a real redis-server', () => {
  let server: RedisServer | undefined;
  after(async () => server?.stop());

  it('reads the depth of lists, streams, sets, sorted sets, hashes and counters, whatever the key type', async () => {
    server = await startRedis();
    const c = server.client();
    await c.rpush('queue:pending', 'a', 'b', 'c');
    await c.xadd('queue:stream', '*', 'x', '1');
    await c.sadd('queue:set', 'a', 'b');
    await c.zadd('queue:processing', 1, 'a');
    await c.hset('queue:hash', 'a', '1', 'b', '2', 'c', '3', 'd', '4');
    await c.set('queue:count', '17');
    await c.set('queue:text', 'not a number');
    const specs = readQueueSpecs([
      { name: 'pending', key: 'queue:pending' },
      'queue:stream',
      { key: 'queue:set' },
      { name: 'processing', key: 'queue:processing' },
      { name: 'hash', key: 'queue:hash' },
      { name: 'count', key: 'queue:count' },
      { name: 'text', key: 'queue:text' },
      { name: 'missing', key: 'queue:none' },
      { name: 'bad' },
      42,
    ]);
    assert.equal(specs.length, 8, 'malformed entries are ignored');
    const depths = await readQueueDepths(c, specs);
    assert.deepEqual(Object.fromEntries(depths), {
      pending: 3,
      'queue:stream': 1,
      'queue:set': 2,
      processing: 1,
      hash: 4,
      count: 17,
      missing: 0,
    });
  });
});
