import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisStoreRequester } from '../../src/control/redisRequester';
import { newRequest, toFields } from '../../src/control/request';
import { waitFor } from '../harness/freePort';
import { startRedis, type RedisServer } from '../harness/redisServer';
import { killAllSupervisors, poolWorkerArgv, RECORD_ARGV, startSupervisorProcess } from '../harness/supervisorProcess';

/*
 * Supervisors as users run them: separate processes (`npm run supervisor`), sharing one
 * consumer group on a real redis-server. What is asserted is what the restart program
 * received — one JSON line per run, with the pid of the supervisor that ran it.
 */

let redis: RedisServer;
let dir: string;
const requesters: RedisStoreRequester[] = [];
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await killAllSupervisors();
  await redis?.stop();
});
afterEach(async () => {
  await killAllSupervisors();
  for (const r of requesters.splice(0)) await r.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
  await redis.client().flushall();
});

function setup(env: Record<string, string> = {}) {
  dir = mkdtempSync(join(tmpdir(), 'wl-sup-'));
  const file = join(dir, 'argv.jsonl');
  const doneFile = join(dir, 'done.jsonl');
  const lines = <T>(f: string) =>
    existsSync(f)
      ? readFileSync(f, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as T)
      : [];
  // sup: the supervisor that ran it; alive: runs still going when this one started.
  const runs = () => lines<{ argv: string[]; pid: number; sup: number; alive: number[] }>(file);
  /** Runs that finished (a program stopped midway never gets there). */
  const finished = () => lines<{ pid: number }>(doneFile).map((d) => d.pid);
  const start = (claimIdleMs: number) =>
    startSupervisorProcess(
      [
        '--redis',
        redis.url,
        '--restart',
        JSON.stringify([process.execPath, RECORD_ARGV, '${worker}']),
        '--claim-idle-ms',
        String(claimIdleMs),
      ],
      {
        env: { RECORD_FILE: file, DONE_FILE: doneFile, ...env },
      },
    );
  return { runs, start, finished };
}

function requester(): RedisStoreRequester {
  const r = new RedisStoreRequester({ url: redis.url, timeoutMs: 20_000, blockMs: 200 });
  requesters.push(r);
  return r;
}

/** Nothing is pending in the group any more: no supervisor can run any request again. */
async function settled(): Promise<boolean> {
  const [count] = (await redis.client().xpending('workerlens:commands', 'workerlens-supervisors')) as [number];
  return count === 0;
}

test('two supervisors, one request: exactly one execution, even when it runs longer than the takeover time', async () => {
  // Each run takes 6 s, three times the takeover time: only the keep-alive (renewed every
  // fifth of it) stops the other supervisor from taking the request over and running it a
  // second time. A takeover time of 2 s, not less: a supervisor that misses its renewals for
  // three quarters of it has its program stopped (as a stalled one must), and a busy 2-core
  // machine can stall a process for several hundred milliseconds.
  const { runs, start } = setup({ HOLD_MS: '6000' });
  const [a, b] = await Promise.all([start(2000), start(2000)]);
  const r = newRequest('restart', { worker: 'w-1' }, 20_000);
  const outcome = await requester().send(r);
  assert.equal(outcome.status, 'done', outcome.message);
  await waitFor(settled, { message: 'no request pending in the group' });
  assert.equal(runs().length, 1);
  assert.ok([a.child.pid, b.child.pid].includes(runs()[0].sup));
});

test('many requests over two supervisors, and a duplicated id: each request id runs once', async () => {
  const { runs, start } = setup();
  // A takeover time of 4 s: eight programs started at once on a busy machine can hold a
  // supervisor's renewals up for a second or more, and a late renewal stops the program.
  const [a, b] = await Promise.all([start(4000), start(4000)]);
  const req = requester();
  const workers = ['w-1', 'w-2', 'w-3', 'w-4', 'w-5', 'w-6', 'w-7', 'w-8'];
  const outcomes = await Promise.all(workers.map((worker) => req.send(newRequest('restart', { worker }, 20_000))));
  assert.deepEqual(
    outcomes.map((o) => `${o.status}: ${o.message}`).filter((o) => !o.startsWith('done')),
    [],
  );
  // The same request written twice (a retried XADD): carried out once, both entries acknowledged.
  const dup = newRequest('restart', { worker: 'w-dup' }, 20_000);
  const c = redis.client();
  await c.xadd('workerlens:commands', '*', ...toFields(dup));
  await c.xadd('workerlens:commands', '*', ...toFields(dup));
  await waitFor(async () => (await c.exists(`workerlens:command-done:${dup.id}`)) === 1, {
    message: 'the duplicated request done',
  });
  await waitFor(settled, { timeoutMs: 15_000, message: 'both copies acknowledged' });
  const got = runs()
    .map((r) => r.argv[0])
    .sort();
  assert.deepEqual(got, [...workers, 'w-dup'].sort());
  const by = new Set(runs().map((r) => r.sup));
  assert.ok([...by].every((pid) => pid === a.child.pid || pid === b.child.pid));
});

test('a supervisor killed mid-request: another picks the request up and carries it out', async () => {
  // The first run of the restart program hangs (BLOCK_FIRST): supervisor A is killed
  // while it waits, taking the hung program with it (its whole process group).
  const { runs, start } = setup({ BLOCK_FIRST: '1' });
  const a = await start(1000);
  const accepted: string[] = [];
  const r = newRequest('restart', { worker: 'w-1' }, 20_000);
  const pending = requester().send(r, { onAccepted: (m) => accepted.push(m) });
  await waitFor(() => runs().length === 1 && accepted.length === 1, { message: 'A accepted and started the program' });
  assert.equal(runs()[0].sup, a.child.pid);
  assert.match(accepted[0], new RegExp(`^${a.consumer.replace(/[.:]/g, '\\$&')}: restart w-1 accepted$`));
  await a.kill();

  const b = await start(1000);
  const outcome = await pending;
  assert.equal(outcome.status, 'done', outcome.message);
  assert.deepEqual(
    runs().map((x) => x.sup),
    [a.child.pid, b.child.pid],
    'run once by A (killed), then once by B',
  );
  assert.deepEqual(runs()[1].argv, ['w-1']);
  await waitFor(settled, { message: 'the request acknowledged by B' });
  assert.match(b.output(), /restart w-1 \(request .* taken over\)/);
});

test('kill -9 of a supervisor (itself, not its group) mid-restart: its program stops with it; the takeover runs it once, never alongside', async () => {
  // Each run takes 4 s. A is killed 1 s in, as `kill -9 <pid>` does: the restart program,
  // orphaned, used to finish anyway while the takeover ran it a second time.
  const { runs, start, finished } = setup({ HOLD_MS: '4000' });
  const a = await start(2000);
  const r = newRequest('restart', { worker: 'w-1' }, 40_000);
  const pending = requester().send(r);
  await waitFor(() => runs().length === 1, { message: 'A started the program' });
  assert.equal(runs()[0].sup, a.child.pid);
  process.kill(a.child.pid!, 'SIGKILL');
  const b = await start(2000);
  const outcome = await pending;
  assert.equal(outcome.status, 'done', outcome.message);
  await waitFor(settled, { message: 'the request acknowledged by B' });
  assert.deepEqual(
    runs().map((x) => x.sup),
    [a.child.pid, b.child.pid],
  );
  assert.deepEqual(runs()[1].alive, [], "A's program was stopped before B started its own");
  await waitFor(() => finished().length >= 1, { message: "B's run finished" });
  assert.deepEqual(finished(), [runs()[1].pid], "only B's run finished: A's was stopped midway");
});

test('a supervisor stalled (SIGSTOP) past its lock: its program is stopped before the takeover starts, and it does not answer when it wakes', async () => {
  const { runs, start, finished } = setup({ HOLD_MS: '8000' });
  const both = await Promise.all([start(2000), start(2000)]);
  const r = newRequest('restart', { worker: 'w-1' }, 40_000);
  const pending = requester().send(r);
  await waitFor(() => runs().length === 1, { message: 'one supervisor started the program' });
  // A: the one that took it, stalled at once, with its program 8 s from finishing.
  const [a, b] = runs()[0].sup === both[0].child.pid ? both : [both[1], both[0]];
  process.kill(a.child.pid!, 'SIGSTOP');
  try {
    await waitFor(() => runs().length === 2, { timeoutMs: 30_000, message: 'B took the request over' });
  } finally {
    process.kill(a.child.pid!, 'SIGCONT');
  }
  const outcome = await pending;
  assert.equal(outcome.status, 'done', outcome.message);
  assert.equal(runs()[1].sup, b.child.pid);
  assert.deepEqual(runs()[1].alive, [], "A's program was stopped before B started its own");
  // A wakes up to a program its leash stopped and a lock that is B's: it writes no result.
  await waitFor(() => /not answered from here/.test(a.output()), {
    timeoutMs: 20_000,
    message: 'A noticed it lost the request',
  });
  await waitFor(settled, { message: 'acknowledged' });
  const results = (await redis.client().xrange('workerlens:command-results', '-', '+')).map(([, f]) =>
    Object.fromEntries(chunk(f)),
  );
  const final = results.filter((x) => x.id === r.id && x.status !== 'accepted');
  assert.deepEqual(
    final.map((x) => [x.status, x.supervisor]),
    [['done', b.consumer]],
    'one answer, from B',
  );
  assert.deepEqual(finished(), [runs()[1].pid], "only B's run finished");
});

test('a request read but never accepted (its supervisor died at once) is not carried out after its requester gave up', async () => {
  const { runs, start } = setup();
  const c = redis.client();
  // Sent a minute ago with a 30 s timeout: the editor has long said "no supervisor answered".
  const r = newRequest('restart', { worker: 'w-1' }, 30_000);
  await c.xgroup('CREATE', 'workerlens:commands', 'workerlens-supervisors', '0', 'MKSTREAM');
  await c.xadd('workerlens:commands', `${Date.now() - 60_000}-0`, ...toFields(r));
  // A supervisor that read it and vanished before answering anything.
  await c.xreadgroup(
    'GROUP',
    'workerlens-supervisors',
    'vanished',
    'COUNT',
    '1',
    'STREAMS',
    'workerlens:commands',
    '>',
  );
  await start(300);
  const results = async () =>
    (await c.xrange('workerlens:command-results', '-', '+')).map(([, f]) => Object.fromEntries(chunk(f)));
  await waitFor(async () => (await results()).some((x) => x.id === r.id && x.status === 'failed'), {
    timeoutMs: 15_000,
    message: 'the taken-over request answered',
  });
  assert.match(
    (await results()).find((x) => x.id === r.id)!.message,
    /^expired: first picked up 6\d s after it was sent/,
  );
  assert.deepEqual(runs(), [], 'the restart program never ran');
  await waitFor(settled, { message: 'acknowledged' });
});

test('the supervisor running its own workers: scale from 3 to 5 adds two heartbeating workers; stopping it stops them', async () => {
  const sup = await startSupervisorProcess(
    ['--redis', redis.url, '--pool', JSON.stringify(poolWorkerArgv()), '--pool-size', '3', '--pool-prefix', 'w'],
    {
      env: { REDIS_URL: redis.url, HEARTBEAT_MS: '100', WARMUP_MS: '0' },
    },
  );
  const c = redis.client();
  const status = (w: string) => c.hget(`worker:state:${w}`, 'status');
  const idle = async (names: string[]) => (await Promise.all(names.map(status))).every((s) => s === 'idle');
  await waitFor(() => idle(['w-1', 'w-2', 'w-3']), { timeoutMs: 20_000, message: 'three workers heartbeating' });
  const outcome = await requester().send(newRequest('scale', { count: 5 }, 20_000));
  assert.deepEqual(outcome, { status: 'done', message: 'scaled from 3 to 5; started w-4, w-5' });
  const all = ['w-1', 'w-2', 'w-3', 'w-4', 'w-5'];
  await waitFor(() => idle(all), { timeoutMs: 20_000, message: 'five workers heartbeating' });
  assert.deepEqual((await c.smembers('active_workers')).sort(), all);
  const since = Date.now();
  await waitFor(async () => Date.parse((await c.hget('worker:state:w-5', 'last_activity')) ?? '') > since, {
    message: 'w-5 keeps beating',
  });

  // Stopping the supervisor stops its workers, gracefully (they say so) and for good (no orphans).
  const children = spawnSync('ps', ['-o', 'pid=', '--ppid', String(sup.child.pid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .map(Number)
    .filter(Boolean);
  assert.equal(children.length, 5);
  await sup.stop();
  assert.deepEqual(
    await Promise.all(all.map(status)),
    all.map(() => 'stopped'),
  );
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  await waitFor(() => children.every((p) => !alive(p)), { message: 'every pool worker stopped with the supervisor' });
  // A supervisor that stopped with nothing pending leaves the group tidy.
  const consumers = (await c.xinfo('CONSUMERS', 'workerlens:commands', 'workerlens-supervisors')) as string[][];
  assert.deepEqual(
    consumers.map((f) => f[1]),
    [],
  );
});

function chunk(f: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < f.length; i += 2) out.push([f[i]!, f[i + 1]!]);
  return out;
}
