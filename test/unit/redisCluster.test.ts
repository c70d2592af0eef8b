import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConnection } from '../../src/core/connectionConfig';
import { parseCliArgs } from '../../src/cli/args';
import { describeClusterReadError, describeRedisError, isStoreUnavailable } from '../../src/sources/redis/redisErrors';
import { nodeUrl } from '../../src/sources/redis/redisClient';

const where = 'redis://10.0.0.1:7000';
const conn = (extra: Record<string, unknown>) =>
  validateConnection({ name: 'c', type: 'redis', url: 'redis://10.0.0.1:7000', ...extra }, 0);

test('settings: "cluster" and "nodes" are checked in words', () => {
  assert.equal(conn({ cluster: true, nodes: ['redis://10.0.0.2:7000'] }).error, undefined);
  assert.equal(conn({ cluster: false }).error, undefined);
  assert.match(conn({ cluster: 'yes' }).error!, /"cluster" should be true or false, not "yes"/);
  assert.match(conn({ nodes: ['redis://10.0.0.2:7000'] }).error!, /"nodes" .* set "cluster": true as well/);
  assert.match(conn({ cluster: true, nodes: 'redis://10.0.0.2:7000' }).error!, /"nodes" should be a list of URLs/);
  assert.match(conn({ cluster: true, nodes: [7000] }).error!, /"nodes"\[0\] should be a URL string/);
  assert.match(conn({ cluster: true, nodes: ['http://h:1'] }).error!, /"nodes"\[0\]: .*redis:\/\//);
  assert.match(conn({ cluster: true, preset: 'rq' }).error!, /orchestrator layout only; preset "rq"/);
  assert.match(
    validateConnection({ name: 'f', type: 'files', path: '/tmp', cluster: true }, 0).error!,
    /"cluster" applies to a redis connection only/,
  );
});

test('CLI: --cluster and repeatable --node; misuse is a usage error', () => {
  const a = parseCliArgs([
    'status',
    '--redis',
    'redis://h:7000',
    '--cluster',
    '--node',
    'redis://h:7001',
    '--node',
    'redis://h:7002',
  ]);
  assert.equal(a.command, 'status');
  assert.deepEqual(a.command === 'status' && a.source, {
    kind: 'redis',
    url: 'redis://h:7000',
    cluster: true,
    nodes: ['redis://h:7001', 'redis://h:7002'],
  });
  const err = (argv: string[]) => {
    const r = parseCliArgs(argv);
    return r.command === 'error' ? r.message : '';
  };
  assert.match(err(['--folder', '.', '--cluster']), /--cluster applies to --redis only/);
  assert.match(err(['--redis', 'redis://h:1', '--node', 'redis://h:2']), /--node needs --cluster/);
  assert.match(err(['--redis', 'redis://h:1', '--cluster', '--node', 'h:2']), /--node: .*redis:\/\//);
  assert.match(err(['--redis', 'redis://h:1', '--cluster', '--preset', 'sidekiq']), /orchestrator layout only/);
});

test('cluster errors in words; MOVED and CLUSTERDOWN fail the whole read (stale), never one worker', () => {
  const moved = new Error('MOVED 3999 127.0.0.1:7002');
  assert.equal(
    describeRedisError(moved, where),
    `${where} is a Redis Cluster node (MOVED to 127.0.0.1:7002): set "cluster": true on this connection (--cluster on the command line).`,
  );
  const down = new Error('CLUSTERDOWN The cluster is down');
  assert.match(
    describeRedisError(down, where),
    /Redis Cluster at .* is down \(CLUSTERDOWN\): some hash slots have no reachable primary/,
  );
  const redirections = new Error('Too many Cluster redirections. Last error: Error: Connection is closed.');
  assert.match(describeRedisError(redirections, where), /A primary of the Redis Cluster at .* does not answer/);
  for (const e of [moved, down, redirections]) assert.ok(isStoreUnavailable(e), e.message);
  assert.match(describeClusterReadError(new Error('Connection is closed.'), where), /A primary of the Redis Cluster/);
  assert.match(describeClusterReadError(new Error('WRONGPASS invalid'), where), /rejected the password/);
  // Seen in code-server while a SIGKILLed primary's replica took over (npm run screenshot:cluster): the per-node
  // read script met a slot that had moved. On a cluster connection that is the cluster moving, not a wrong setting.
  for (const e of [moved, new Error('ASK 3999 127.0.0.1:7002')]) {
    const said = describeClusterReadError(e, where);
    assert.doesNotMatch(said, /set "cluster": true/, said);
    assert.match(
      said,
      /^Hash slots of the Redis Cluster at redis:\/\/10\.0\.0\.1:7000 are moving \(a node answered (MOVED|ASK) 127\.0\.0\.1:7002: failing over or resharding\?\); showing the last known workers, retrying\.$/,
    );
  }
});

test("a node of a cluster is reached with the seed's scheme, user and password", () => {
  assert.equal(
    nodeUrl('rediss://viewer:s%40cret@seed:7000', '10.0.0.9', 7004),
    'rediss://viewer:s%40cret@10.0.0.9:7004',
  );
  assert.equal(nodeUrl('redis://:pw@seed:7000', 'h', 1), 'redis://:pw@h:1');
  assert.equal(nodeUrl('redis://seed:7000', '::1', 7001), 'redis://[::1]:7001');
});
