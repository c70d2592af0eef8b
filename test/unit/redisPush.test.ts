import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeGlob, globFor, idFromKey, idInText } from '../../src/sources/redis/keyTemplate';
import { workerIdsFromEntry } from '../../src/sources/redis/eventEntry';
import { coversWorkerState } from '../../src/sources/redis/keyspaceFollower';
import { uncovered } from '../../src/sources/redis/pushPaths';
import { describeRedisError, isRefusedCommand } from '../../src/sources/redis/redisErrors';
import { ChangeBatcher, type ChangeBatch } from '../../src/sources/redis/changeBatcher';
import { waitFor } from '../harness/freePort';

const STATE = 'worker:state:{id}';

test('key templates: glob for PSUBSCRIBE, glob characters escaped', () => {
  assert.equal(globFor(STATE), 'worker:state:*');
  assert.equal(globFor('worker:{id}:completed'), 'worker:*:completed');
  assert.equal(globFor('app[1]:w?:{id}'), 'app\\[1\\]:w\\?:*');
  assert.equal(escapeGlob('active*workers'), 'active\\*workers');
});

test('key templates: exact id from a key', () => {
  assert.equal(idFromKey(STATE, 'worker:state:w-1'), 'w-1');
  assert.equal(idFromKey(STATE, 'worker:state:host:42'), 'host:42', 'ids may contain colons');
  assert.equal(idFromKey('worker:{id}:completed', 'worker:w7:completed'), 'w7');
  assert.equal(idFromKey('worker:{id}:completed', 'worker:w7:errors'), undefined);
  assert.equal(idFromKey(STATE, 'worker:state:'), undefined);
  assert.equal(idFromKey(STATE, 'xworker:state:w1'), undefined);
  assert.equal(idFromKey('w.{id}', 'wx1'), undefined, 'regex characters are literal');
  assert.equal(idFromKey('fixed', 'fixed-1'), undefined, 'a template without {id} names no worker');
});

test('key templates: id inside a longer text (prefixed keys, JSON)', () => {
  assert.equal(idInText(STATE, 'lockfree:worker:state:w1'), 'w1');
  assert.equal(idInText(STATE, '{"key":"worker:state:w2","v":3}'), 'w2');
  assert.equal(idInText(STATE, 'updated worker:state:w3 at 12:00'), 'w3');
  assert.equal(idInText('worker:{id}:completed', 'incr worker:w4:completed'), 'w4');
  assert.equal(idInText(STATE, 'nothing here'), undefined);
  assert.equal(idInText('no-placeholder', 'no-placeholder'), undefined);
});

test('event entries: the documented field names', () => {
  assert.deepEqual(workerIdsFromEntry(['event', 'task_started', 'worker_id', 'w1'], STATE), ['w1']);
  assert.deepEqual(workerIdsFromEntry(['worker', 'w2', 'type', 'status'], STATE), ['w2']);
  assert.deepEqual(workerIdsFromEntry(['workerId', 'w3'], STATE), ['w3']);
  assert.deepEqual(workerIdsFromEntry(['worker_name', 'w4'], STATE), ['w4']);
});

test('event entries: a key field naming the state key, plain or prefixed', () => {
  assert.deepEqual(workerIdsFromEntry(['type', 'state_change', 'key', 'worker:state:w5', 'version', '3'], STATE), [
    'w5',
  ]);
  assert.deepEqual(workerIdsFromEntry(['op', 'set', 'key', 'lockfree:worker:state:w6'], STATE), ['w6']);
});

test('event entries: inside a JSON data/payload field', () => {
  assert.deepEqual(
    workerIdsFromEntry(['type', 'worker_update', 'data', JSON.stringify({ worker_id: 'w7', status: 'idle' })], STATE),
    ['w7'],
  );
  assert.deepEqual(workerIdsFromEntry(['payload', JSON.stringify({ key: 'worker:state:w8' })], STATE), ['w8']);
});

test('event entries: `id` only as a last resort; nothing found is an empty list', () => {
  assert.deepEqual(workerIdsFromEntry(['id', 'w9', 'event', 'heartbeat'], STATE), ['w9']);
  assert.deepEqual(
    workerIdsFromEntry(['id', 'task-1', 'worker_id', 'w10'], STATE),
    ['w10'],
    'a named worker wins over id',
  );
  assert.deepEqual(workerIdsFromEntry(['metric', 'cpu', 'value', '0.5'], STATE), []);
  assert.deepEqual(workerIdsFromEntry(['data', '{not json'], STATE), []);
  assert.deepEqual(workerIdsFromEntry(['odd'], STATE), [], 'an odd field list does not throw');
});

test('event entries: several workers in one entry, each once', () => {
  assert.deepEqual(
    workerIdsFromEntry(['worker_id', 'a', 'key', 'worker:state:b', 'data', '{"worker":"a"}'], STATE).sort(),
    ['a', 'b'],
  );
});

test('keyspace flags: K plus h, $ or A', () => {
  for (const f of ['Kh', 'K$', 'KA', 'AKE', 'Kh$sgx', 'KEA']) assert.equal(coversWorkerState(f), true, f);
  for (const f of ['', 'Eh', 'E$', 'EA', 'K', 'Ks', 'Kgx', 'Kl']) assert.equal(coversWorkerState(f), false, f);
});

test('refused commands (push path quietly not available) vs connection trouble', () => {
  assert.equal(
    isRefusedCommand(new Error("NOPERM User viewer has no permissions to run the 'config|get' command")),
    true,
  );
  assert.equal(isRefusedCommand(new Error("ERR unknown command 'CONFIG', with args beginning with: 'GET'")), true);
  assert.equal(isRefusedCommand(new Error("ERR unknown subcommand 'GET'.")), true);
  assert.equal(isRefusedCommand(new Error("Stream isn't writeable and enableOfflineQueue options is false")), false);
  assert.equal(
    isRefusedCommand(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })),
    false,
  );
});

test('Redis errors in words, never with the password', () => {
  const where = 'redis://:***@h:6379';
  assert.match(
    describeRedisError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), where),
    /refused the connection .* is redis-server running/,
  );
  assert.match(
    describeRedisError(new Error('WRONGPASS invalid username-password pair or user is disabled.'), where),
    /rejected the password \(WRONGPASS\)/,
  );
  assert.match(
    describeRedisError(new Error('Ready check failed: NOAUTH Authentication required.'), where),
    /needs a password \(NOAUTH\)/,
  );
  assert.match(describeRedisError(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }), where), /Timed out/);
  assert.match(describeRedisError(new Error('getaddrinfo ENOTFOUND nohost'), where), /Cannot resolve/);
});

test('ChangeBatcher: a burst shares one flush; flushes never overlap; ids during a flush go to the next', async () => {
  const batches: ChangeBatch[] = [];
  let release!: () => void;
  let inFlight = 0;
  let maxInFlight = 0;
  const b = new ChangeBatcher(async (batch) => {
    batches.push(batch);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    if (batches.length === 1) await new Promise<void>((r) => (release = r));
    inFlight--;
  }, 2);
  b.add(['a', 'b']);
  b.add(['b', 'c']);
  b.membershipChanged();
  await waitFor(() => batches.length === 1, { message: 'first flush' });
  assert.deepEqual(batches[0], { ids: ['a', 'b', 'c'], membership: true });
  b.add(['d']);
  b.add(['e']);
  assert.equal(b.pending, 2);
  release();
  await waitFor(() => batches.length === 2, { message: 'second flush' });
  assert.deepEqual(batches[1], { ids: ['d', 'e'], membership: false });
  assert.equal(maxInFlight, 1);
  b.dispose();
  b.add(['x']);
  assert.equal(batches.length, 2, 'nothing after dispose');
});

test('ChangeBatcher: a failing flush does not stop later ones', async () => {
  let calls = 0;
  const b = new ChangeBatcher(async () => {
    calls++;
    if (calls === 1) throw new Error('boom');
  });
  b.add(['a']);
  await waitFor(() => calls === 1);
  b.add(['b']);
  await waitFor(() => calls === 2);
  b.dispose();
});

test('keyspace flags are checked against how the workers are stored', () => {
  assert.equal(uncovered('Kh', new Set(['hash'])), undefined);
  assert.equal(uncovered('Kh', new Set(['hash', 'string'])), 'but workers stored as JSON strings need "$" (or "A")');
  assert.equal(uncovered('K$', new Set(['hash'])), 'but workers stored as hashes need "h" (or "A")');
  assert.equal(uncovered('KA', new Set(['hash', 'string'])), undefined);
});
