import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeRedisError, isRefusedCommand, isStoreUnavailable } from '../../src/sources/redis/redisErrors';

const where = 'redis://127.0.0.1:6379';
const maxRetries = Object.assign(
  new Error(
    'Reached the max retries per request limit (which is 0). Refer to "maxRetriesPerRequest" option for details.',
  ),
  {
    name: 'MaxRetriesPerRequestError',
  },
);

test("errors that are the store's state, not a worker's: they fail the whole read", () => {
  for (const e of [
    maxRetries,
    new Error('Connection is closed.'),
    new Error("Stream isn't writeable and enableOfflineQueue options is false"),
    new Error('Command timed out'),
    Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    new Error('BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.'),
    new Error('LOADING Redis is loading the dataset in memory'),
    new Error('NOAUTH Authentication required.'),
  ]) {
    assert.ok(isStoreUnavailable(e), e.message);
    assert.ok(!isRefusedCommand(e), `not a refusal: ${e.message}`);
  }
  for (const e of [
    new Error('WRONGTYPE Operation against a key holding the wrong kind of value'),
    new Error("ERR unknown command 'SORT_RO'"),
  ]) {
    assert.ok(!isStoreUnavailable(e), e.message);
  }
});

test('the new failures are said in words a user can act on', () => {
  assert.equal(
    describeRedisError(maxRetries, where),
    `Lost the connection to Redis at ${where} in the middle of a read; retrying.`,
  );
  assert.match(
    describeRedisError(
      new Error('BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.'),
      where,
    ),
    /busy running a script \(BUSY\).*SCRIPT KILL/,
  );
  assert.match(
    describeRedisError(new Error('LOADING Redis is loading the dataset in memory'), where),
    /loading its dataset/,
  );
});
