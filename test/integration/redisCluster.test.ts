import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Cluster } from 'ioredis';
import type { ConnectionState } from '../../src/core/fleet';
import { RedisSource, type RedisSourceOptions } from '../../src/sources/redis/redisSource';
import { startRedisCluster, type RedisCluster } from '../harness/redisCluster';
import { startRedis } from '../harness/redisServer';
import { freePort, waitFor } from '../harness/freePort';
import { observe, pyIso, task } from './redisFixtures';
import { scriptRuns } from '../harness/commandStats';

/** Long enough that neither the poll nor the reconciliation can be what delivered a change. */
const NEVER = 600_000;
const FLEET = 300;
const ids = Array.from({ length: FLEET }, (_, i) => `w-${String(i).padStart(3, '0')}`);

let cluster: RedisCluster;
let writer: Cluster;
const sources: RedisSource[] = [];

/** One worker as the orchestrator writes it (hash, counters, in the active set), here routed by slot. */
async function writeWorker(id: string, status: string, title?: string, completed = 0): Promise<void> {
  await writer.hset(`worker:state:${id}`, {
    status,
    specialization: 'general',
    last_activity: pyIso(Date.now()),
    total_completed: '0',
    total_errors: '0',
    current_task: JSON.stringify(title ? task(title, Date.now()) : null),
  });
  await writer.sadd('active_workers', id);
  await writer.set(`worker:${id}:completed`, String(completed));
  await writer.set(`worker:${id}:errors`, '1');
}

before(async () => {
  cluster = await startRedisCluster();
  writer = cluster.client();
  // As a user would have them on: keyspace notifications on every node (a replica may be promoted).
  for (const n of cluster.nodes)
    await cluster.nodeClient(n.port).call('CONFIG', 'SET', 'notify-keyspace-events', 'Kh$s');
  await Promise.all(
    ids.map((id, i) => writeWorker(id, i % 2 ? 'idle' : 'working', i % 2 ? undefined : `Task ${i}`, i)),
  );
});
after(async () => {
  await Promise.all(sources.map((s) => s.dispose()));
  await cluster?.stop();
});

function startSource(opts: Partial<RedisSourceOptions> = {}) {
  const obs = observe();
  const states: ConnectionState[] = [];
  const setConnection = obs.sink.setConnection;
  obs.sink.setConnection = (s) => {
    states.push(s);
    setConnection(s);
  };
  const source = new RedisSource({ url: cluster.url, cluster: true, pollMs: NEVER, reconcileMs: NEVER, ...opts });
  sources.push(source);
  source.start(obs.sink);
  return { obs, source, states };
}

test('cluster: 300 workers spread over every slot are all read, with their fields and counters', async () => {
  const slots = new Set(await Promise.all(ids.map((id) => writer.call('CLUSTER', 'KEYSLOT', `worker:state:${id}`))));
  const owners = await cluster.primaries();
  assert.equal(owners.length, 3);
  assert.ok(slots.size > 250, `keys in ${slots.size} slots`);

  const evals = async () => {
    let n = 0;
    for (const port of owners) {
      const stats = await cluster.nodeClient(port).info('commandstats');
      n += scriptRuns(stats);
    }
    return n;
  };
  const evals0 = await evals();
  const { obs } = startSource();
  await waitFor(() => obs.fleet.size === FLEET, { message: () => `${obs.fleet.size} of ${FLEET} workers read` });
  assert.equal(obs.fleet.connection.state, 'connected');
  // 900 keys (state and two counters each) on 3 primaries: one read-only script per primary and batch of 300
  // keys, not 900 commands.
  const scripts = (await evals()) - evals0;
  assert.ok(scripts >= 3 && scripts <= 6, `${scripts} scripts for the first full read`);
  const w7 = obs.snapshot('w-007')!;
  assert.deepEqual([w7.status, w7.task, w7.completed, w7.errors], ['idle', undefined, 7, 1]);
  const w8 = obs.snapshot('w-008')!;
  assert.deepEqual([w8.status, w8.task?.title, w8.completed], ['working', 'Task 8', 8]);
  assert.equal(obs.health('w-008'), 'working');
  assert.ok(
    ids.every((id) => obs.snapshot(id)?.completed === Number(id.slice(2))),
    'every counter read from its own node',
  );
  assert.deepEqual(obs.warnings(), []);
});

test('cluster: a change to one worker shows live through keyspace notifications from its primary', async () => {
  const { obs, source } = startSource({ push: 'auto' });
  // Subscriptions come up one primary at a time: "on 2 of 3 primaries" may be said first.
  await waitFor(() => obs.fleet.size === FLEET && /\(3 primaries\)/.test(obs.fleet.connection.liveMode ?? ''), {
    message: () => `keyspace path live (${obs.fleet.connection.liveMode})`,
  });
  assert.match(source.liveMode, /^keyspace notifications \(3 primaries\), reconcile every 600s$/);
  const pushedBefore = obs.updates.length;
  // One worker on each primary: every node's subscription delivers.
  for (const id of ['w-001', 'w-002', 'w-003', 'w-004', 'w-005']) await writeWorker(id, 'working', `Live ${id}`);
  await waitFor(
    () => ['w-001', 'w-002', 'w-003', 'w-004', 'w-005'].every((id) => obs.snapshot(id)?.task?.title === `Live ${id}`),
    {
      message: 'changes pushed',
    },
  );
  // Each change came by push (a re-read of that worker), whatever full read the start-up may still have run.
  const pushed = new Set(obs.updates.slice(pushedBefore).flatMap((u) => u.ids));
  for (const id of ['w-001', 'w-002', 'w-003', 'w-004', 'w-005']) assert.ok(pushed.has(id), `${id} pushed`);
  await writer.srem('active_workers', 'w-299');
  await waitFor(() => !obs.fleet.get('w-299'), { message: 'a worker leaving the set is removed' });
  await writer.sadd('active_workers', 'w-299');
  await waitFor(() => obs.fleet.get('w-299'), { message: 'and comes back' });
});

test('cluster: a node URL used without "cluster": true says to set it', async () => {
  for (const port of await cluster.primaries()) {
    const obs = observe();
    const source = new RedisSource({ url: `redis://127.0.0.1:${port}`, pollMs: NEVER, push: 'off' });
    sources.push(source);
    source.start(obs.sink);
    await waitFor(() => obs.fleet.connection.state === 'error', { message: `an error for node ${port}` });
    assert.match(
      obs.fleet.connection.message ?? '',
      // MOVED when the node does not serve the active set; when it does, the read script meets the others' keys.
      new RegExp(
        `redis://127.0.0.1:${port}/? is a Redis Cluster node \\((MOVED to 127.0.0.1:\\d+|it serves only some of the workers' keys)\\): set "cluster": true`,
      ),
    );
    assert.equal(obs.fleet.size, 0, 'no worker shown as unreadable');
  }
});

test('a single Redis given "cluster": true says it is not a cluster, not that it is unreachable', async () => {
  const single = await startRedis();
  const obs = observe();
  const source = new RedisSource({ url: single.url, cluster: true, pollMs: NEVER, push: 'off' });
  try {
    source.start(obs.sink);
    await waitFor(() => obs.fleet.connection.state === 'error', { message: 'an error for the single Redis' });
    assert.match(
      obs.fleet.connection.message ?? '',
      /is not a Redis Cluster \(cluster support disabled\): leave "cluster" out of this connection/,
    );
  } finally {
    await source.dispose();
    await single.stop();
  }
});

test('cluster: a seed that does not answer says to list other nodes; with one more node in "nodes" the fleet is read', async () => {
  const dead = `redis://127.0.0.1:${await freePort()}`;
  const alone = startSource({ url: dead, push: 'off' });
  await waitFor(() => alone.obs.fleet.connection.state === 'error', { message: 'an error for the dead seed' });
  assert.match(
    alone.obs.fleet.connection.message ?? '',
    /No node of the Redis Cluster at redis:\/\/127.0.0.1:\d+\/? answered \(seed nodes unreachable\): if that node is down, list other nodes of the cluster in "nodes"/,
  );
  assert.equal(alone.obs.fleet.size, 0, 'nothing invented for a cluster never read');
  const helped = startSource({ url: dead, nodes: [cluster.url], push: 'off' });
  await waitFor(() => helped.obs.fleet.size === FLEET && helped.obs.fleet.connection.state === 'connected', {
    message: () => `the fleet read through the second node (${JSON.stringify(helped.states.at(-1))})`,
  });
});

test('cluster: the CLI with --cluster prints the fleet', async () => {
  const root = resolve(__dirname, '../..');
  const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--import',
      tsx,
      join(root, 'src/cli/main.ts'),
      'status',
      '--redis',
      cluster.url,
      '--cluster',
      '--node',
      cluster.nodes[1].url,
    ],
    { cwd: root, env: { ...process.env, NO_COLOR: '1' } },
  ).catch((err: { stdout: string; stderr: string; code: number }) => {
    throw new Error(`exit ${err.code}: ${err.stderr}`);
  });
  assert.match(stdout, new RegExp(`^${FLEET}/${FLEET} alive`, 'm'));
  assert.match(stdout, /^w-008\s+working\s+Task 8/m);
});

test('cluster: a primary that refuses SUBSCRIBE: its workers change with the reconciliation read, said once; the others still push', async (t) => {
  const [port] = await cluster.primaries();
  const node = cluster.nodeClient(port);
  const ranges = ((await node.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][]).filter(
    ([, , [, p]]) => Number(p) === port,
  );
  // A worker is three keys (its hash and two counters), each in its own slot: "on the node" is all
  // three there, "elsewhere" none of them, so no other primary's event can carry a change of it.
  const onNode = async (id: string) => {
    const keys = [`worker:state:${id}`, `worker:${id}:completed`, `worker:${id}:errors`];
    const slots = await Promise.all(keys.map(async (k) => Number(await node.call('CLUSTER', 'KEYSLOT', k))));
    const here = slots.filter((slot) => ranges.some(([from, to]) => slot >= from && slot <= to)).length;
    return here === 3 ? 'all' : here === 0 ? 'none' : 'some';
  };
  const candidates = ids.slice(100);
  const placed = await Promise.all(candidates.map(onNode));
  const refusedId = candidates.find((_, i) => placed[i] === 'all')!;
  const pushedId = candidates.find((_, i) => placed[i] === 'none')!;
  assert.ok(refusedId && pushedId, `a worker wholly on ${port} and one wholly elsewhere among ${candidates.length}`);
  // ACLs are per node: only this primary refuses Pub/Sub (as a managed Redis may).
  await node.call('ACL', 'SETUSER', 'default', '-@pubsub');
  t.after(async () => void (await node.call('ACL', 'SETUSER', 'default', '+@all')));

  const { obs, source } = startSource({ push: 'auto', reconcileMs: 1000 });
  t.after(() => source.dispose()); // its reads every second are no part of the tests after this one
  await waitFor(() => obs.fleet.size === FLEET && /on 2 of 3 primaries/.test(obs.fleet.connection.liveMode ?? ''), {
    message: () => `live on the two other primaries (${obs.fleet.connection.liveMode})`,
  });
  const pushedBefore = obs.updates.length;
  await writeWorker(refusedId, 'working', 'By reconcile');
  await writeWorker(pushedId, 'working', 'By push');
  await waitFor(
    () => obs.snapshot(refusedId)?.task?.title === 'By reconcile' && obs.snapshot(pushedId)?.task?.title === 'By push',
    { message: 'both changes shown' },
  );
  const pushed = new Set(obs.updates.slice(pushedBefore).flatMap((u) => u.ids));
  assert.ok(pushed.has(pushedId), `${pushedId} pushed by its primary`);
  assert.ok(!pushed.has(refusedId), `${refusedId} read by the reconciliation, its primary sends nothing`);
  const reads = obs.fullReads;
  await waitFor(() => obs.fullReads >= reads + 2, { message: 'two more reconciliation reads' });
  const said = obs.logs.filter((l) => new RegExp(`Keyspace subscription refused on 127.0.0.1:${port}`).test(l.message));
  assert.equal(said.length, 1, `said once: ${JSON.stringify(said)}`);
  assert.match(said[0].message, /NOPERM.*its workers change with the reconciliation read/);
  assert.equal(obs.fleet.connection.state, 'connected');
});

test('cluster: a primary SIGKILLed: stale while its slots fail over, then the whole fleet is live again by itself', async () => {
  const { obs, states } = startSource({ push: 'auto', pollMs: 500 });
  await waitFor(() => obs.fleet.size === FLEET && /keyspace/.test(obs.fleet.connection.liveMode ?? ''), {
    message: 'fleet read, keyspace path live',
  });
  const killedAt = Date.now();
  const killed = await cluster.killPrimary('worker:state:w-000');
  const failoverMs = Date.now() - killedAt;
  await waitFor(() => states.some((s) => s.state === 'error'), { timeoutMs: 20_000, message: 'marked stale' });
  const down = states.find((s) => s.state === 'error')!;
  assert.match(
    down.message ?? '',
    // Which one comes first depends on whether a read meets the dead node or the slots' new owner.
    /A primary of the Redis Cluster at redis:\/\/127.0.0.1:\d+\/? does not answer|is down \((CLUSTERDOWN|cluster_state:fail)\)|Hash slots of the Redis Cluster at redis:\/\/127.0.0.1:\d+\/? are moving/,
    down.message,
  );
  assert.equal(obs.fleet.size, FLEET, 'the last known workers kept while down');
  await waitFor(
    () =>
      obs.fleet.connection.state === 'connected' &&
      obs.fleet.size === FLEET &&
      /keyspace notifications \(3 primaries\)/.test(obs.fleet.connection.liveMode ?? ''),
    { timeoutMs: 30_000, message: () => `live again (${JSON.stringify(obs.fleet.connection)})` },
  );
  const liveAgainMs = Date.now() - killedAt;
  // A slot answering MOVED mid-failover is the cluster moving, not a connection missing "cluster": true.
  const said = states.map((s) => s.message ?? '').filter(Boolean);
  assert.ok(!said.some((m) => /set "cluster": true/.test(m)), said.join('\n'));
  // w-000's slot now lives on the promoted replica: its change arrives through the new subscription.
  const pushed = obs.updates.length;
  await writeWorker('w-000', 'working', 'After failover');
  await waitFor(() => obs.snapshot('w-000')?.task?.title === 'After failover', { message: 'change after failover' });
  assert.ok(
    obs.updates.slice(pushed).some((u) => u.ids.includes('w-000')),
    'pushed by the promoted primary, not only read by the poll',
  );
  console.log(`primary ${killed} killed: failover ${failoverMs} ms, fleet live again ${liveAgainMs} ms after SIGKILL`);
});

// Last in this file: it leaves the cluster without a shard.
test('cluster: a shard lost (primary and replica killed, cluster_state:fail): every last known worker stays, stale, and the view says the cluster is down', async () => {
  // The failover test above may have killed the seed node: seed from the nodes still running.
  const alive = cluster.nodes.filter((n) => n.alive).map((n) => n.url);
  const { obs, states } = startSource({ url: alive[0], nodes: alive.slice(1), push: 'auto', pollMs: 500 });
  await waitFor(() => obs.fleet.size === FLEET && obs.fleet.connection.state === 'connected', {
    message: () => `fleet read (${obs.fleet.size}, ${JSON.stringify(states.at(-1))})`,
  });
  const before = new Map(ids.map((id) => [id, obs.snapshot(id)?.status]));
  const killed = await cluster.killShard('worker:state:w-001');
  // A read may first meet a node answering MOVED to the dead one ("slots are moving"); once the survivors
  // agree (cluster_state:fail), a failed read says the cluster is down.
  await waitFor(
    () =>
      obs.fleet.connection.state === 'error' &&
      /The Redis Cluster at redis:\/\/127.0.0.1:\d+\/? is down \((CLUSTERDOWN|cluster_state:fail)\): some hash slots have no reachable primary/.test(
        obs.fleet.connection.message ?? '',
      ),
    {
      timeoutMs: 20_000,
      message: () => `said the cluster cannot be read (${JSON.stringify(states.at(-1))})`,
    },
  );
  // Blind, not judging: nobody removed, nobody's status or problems invented from the missing slots.
  assert.equal(obs.fleet.size, FLEET, `every worker kept after ${killed.join(', ')} died`);
  for (const id of ids) {
    const w = obs.snapshot(id)!;
    assert.equal(w.status, before.get(id), `${id} keeps its last known status`);
    assert.deepEqual(w.problems, [], `${id} is not called unreadable`);
  }
});
