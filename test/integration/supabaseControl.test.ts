import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { SupabaseSupervisor, type SupabaseSupervisorOptions } from '../../src/companion/supabaseSupervisor';
import { parseSupervisorArgs } from '../../src/companion/supervisorCli';
import { SupabaseStoreRequester } from '../../src/control/supabaseRequester';
import { newRequest } from '../../src/control/request';
import { HOSTILE } from '../fixtures/control/hostileNames';
import { startSeed003Stack, type Seed003Stack } from '../fixtures/seed003';
import { Client } from 'pg';
import { waitFor } from '../harness/freePort';
import { RECORD_ARGV, startSupervisorProcess } from '../harness/supervisorProcess';

/*
 * Store mode on Supabase, against a real PostgREST on a real PostgreSQL with the
 * repository's SQL: the editor's requester inserts a worker_commands row with a signed-in
 * user's key; a supervisor in Supabase mode (service key) claims it, runs the argv
 * template on a real child process, and writes the result the requester reads back.
 */
let stack: Seed003Stack;
const cleanups: (() => Promise<void> | void)[] = [];
before(async () => {
  stack = await startSeed003Stack();
});
after(() => stack?.stop());
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await stack.pg.query('delete from worker_commands');
});

function requester(timeoutMs: number, key = stack.rest.userKey) {
  const r = new SupabaseStoreRequester({ url: stack.rest.url, key, timeoutMs, pollMs: 50 });
  cleanups.push(() => r.dispose());
  return r;
}

async function supervisor(opts: Partial<SupabaseSupervisorOptions> = {}) {
  const s = new SupabaseSupervisor({
    url: stack.rest.url,
    key: stack.rest.serviceKey,
    pollMs: 100,
    claimIdleMs: 1000,
    ...opts,
  });
  cleanups.push(() => s.stop());
  await s.start();
  return s;
}

function recordFile(): string {
  const d = mkdtempSync(join(tmpdir(), 'wl-sb-control-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  process.env.RECORD_FILE = join(d, 'argv.jsonl');
  return process.env.RECORD_FILE;
}

async function rows(): Promise<Record<string, unknown>[]> {
  const c = new Client({ connectionString: stack.pg.url });
  await c.connect();
  try {
    return (
      await c.query(
        'select id::text, action, worker, status, message, supervisor from worker_commands order by requested_at',
      )
    ).rows;
  } finally {
    await c.end();
  }
}

test('restart round trip: a row in worker_commands, claimed by the supervisor, the argv run with the hostile name as one argument, done', async () => {
  const file = recordFile();
  const s = await supervisor({ restart: [process.execPath, RECORD_ARGV, 'restart', '${worker}'] });
  const accepted: string[] = [];
  const name = HOSTILE[0];
  const r = newRequest('restart', { worker: name }, 10_000);
  const outcome = await requester(10_000).send(r, { onAccepted: (m) => accepted.push(m) });
  assert.equal(outcome.status, 'done', outcome.message);
  assert.match(outcome.message, /exited 0|recorded|ok/i);
  const got = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l).argv as string[]);
  assert.deepEqual(got, [['restart', name]]);
  const [row] = await rows();
  assert.deepEqual(
    [row.id, row.action, row.worker, row.status, row.supervisor],
    [r.id, 'restart', name, 'done', s.consumer],
  );
});

test('with no supervisor running: "no supervisor answered", and the row is marked expired so a supervisor that turns up later never runs it', async () => {
  const file = recordFile();
  const outcome = await requester(400).send(newRequest('restart', { worker: 'mission-worker' }, 400));
  assert.equal(outcome.status, 'timeout');
  assert.match(
    outcome.message,
    /^no supervisor answered within 400 ms: is a supervisor running and reading the worker_commands table\?$/,
  );
  assert.equal((await rows())[0].status, 'expired');
  await supervisor({ restart: [process.execPath, RECORD_ARGV, '${worker}'] });
  // A later request done proves the supervisor has read past the expired one.
  const later = await requester(10_000).send(newRequest('restart', { worker: 'later-worker' }, 10_000));
  assert.equal(later.status, 'done', later.message);
  assert.deepEqual(
    (await rows()).map((r) => [r.worker, r.status]),
    [
      ['mission-worker', 'expired'],
      ['later-worker', 'done'],
    ],
  );
  const ran = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l).argv as string[]);
  assert.deepEqual(ran, [['later-worker']], 'the expired restart never ran');
});

test('two supervisors, many requests: each carried out exactly once', async () => {
  const file = recordFile();
  // A takeover time of 4 s: eight programs started at once on a busy machine can hold a
  // supervisor's renewals up for a second or more, and a late renewal stops the program.
  await supervisor({ restart: [process.execPath, RECORD_ARGV, '${worker}'], consumer: 'sup-a', claimIdleMs: 4000 });
  await supervisor({ restart: [process.execPath, RECORD_ARGV, '${worker}'], consumer: 'sup-b', claimIdleMs: 4000 });
  const req = requester(15_000);
  const names = Array.from({ length: 8 }, (_, i) => `w-${i}`);
  const outcomes = await Promise.all(names.map((worker) => req.send(newRequest('restart', { worker }, 15_000))));
  assert.deepEqual(
    outcomes.map((o) => `${o.status}: ${o.message}`).filter((o) => !o.startsWith('done')),
    [],
  );
  const ran = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l).argv as string[])[0])
    .sort();
  assert.deepEqual(ran, names);
});

test('a supervisor process killed mid-restart: another takes the row over once it goes silent, and the request is done', async () => {
  const file = recordFile();
  const a = await startSupervisorProcess(
    [
      '--supabase',
      stack.rest.url,
      '--key-env',
      'WL_SERVICE_KEY',
      '--restart',
      JSON.stringify([process.execPath, RECORD_ARGV, '${worker}']),
      '--claim-idle-ms',
      '1000',
      '--consumer',
      'sup-crashes',
    ],
    { env: { WL_SERVICE_KEY: stack.rest.serviceKey, BLOCK_FIRST: '1', RECORD_FILE: file } },
  );
  cleanups.push(() => a.kill());
  assert.match(a.output(), /supervisor ready: sup-crashes reading the worker_commands table at 127\.0\.0\.1:\d+/);
  const r = newRequest('restart', { worker: 'mission-worker' }, 20_000);
  const outcome = requester(20_000).send(r);
  // A has claimed it and its restart program hangs (BLOCK_FIRST): A crashes.
  await waitFor(async () => (await rows())[0]?.status === 'accepted' && existsSync(file), {
    timeoutMs: 10_000,
    message: 'accepted by the first supervisor',
  });
  await a.kill();
  const b = await supervisor({ restart: [process.execPath, RECORD_ARGV, '${worker}'], consumer: 'sup-b' });
  const done = await outcome;
  assert.equal(done.status, 'done', done.message);
  assert.equal((await rows())[0].supervisor, b.consumer);
  assert.equal(readFileSync(file, 'utf8').split('\n').filter(Boolean).length, 2, 'run once by each supervisor');
});

test('kill -9 of a supervisor process (itself, not its group) mid-restart: its program stops with it; the takeover runs it once, never alongside', async () => {
  const file = recordFile();
  const doneFile = join(dirname(file), 'done.jsonl');
  // Every run takes 4 s and notes when it finished (the in-process supervisor's children read these too).
  Object.assign(process.env, { HOLD_MS: '4000', DONE_FILE: doneFile });
  cleanups.push(
    () => void delete process.env.HOLD_MS,
    () => void delete process.env.DONE_FILE,
  );
  const argv = [process.execPath, RECORD_ARGV, '${worker}'];
  const a = await startSupervisorProcess(
    [
      '--supabase',
      stack.rest.url,
      '--key-env',
      'WL_SERVICE_KEY',
      '--restart',
      JSON.stringify(argv),
      '--claim-idle-ms',
      '2000',
      '--consumer',
      'sup-a',
    ],
    {
      env: { WL_SERVICE_KEY: stack.rest.serviceKey },
    },
  );
  cleanups.push(() => a.kill());
  const outcome = requester(40_000).send(newRequest('restart', { worker: 'w-1' }, 40_000));
  await waitFor(() => existsSync(file), { timeoutMs: 15_000, message: 'A started the program' });
  process.kill(a.child.pid!, 'SIGKILL'); // as `kill -9 <pid>` does: its process group is left alone
  const b = await supervisor({ restart: argv, consumer: 'sup-b', claimIdleMs: 2000 });
  const done = await outcome;
  assert.equal(done.status, 'done', done.message);
  assert.equal((await rows())[0].supervisor, b.consumer);
  const runs = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { pid: number; alive: number[] });
  assert.equal(runs.length, 2, 'run by A (stopped midway), then by B');
  assert.deepEqual(runs[1].alive, [], "A's program was stopped before B started its own");
  await waitFor(() => existsSync(doneFile), { message: "B's run finished" });
  const finished = readFileSync(doneFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { pid: number }).pid);
  assert.deepEqual(finished, [runs[1].pid], "only B's run finished");
});

test('the anon key may not request changes: said in words, nothing written', async () => {
  const outcome = await requester(2000, stack.rest.anonKey).send(newRequest('scale', { count: 3 }, 2000));
  assert.equal(outcome.status, 'failed');
  assert.match(outcome.message, /may not add requests to worker_commands.*signed-in user's key or the service key/);
  assert.equal((await rows()).length, 0);
});

test('a failing command and a refused scale come back as failed, with the reason', async () => {
  recordFile();
  process.env.EXIT_CODE = '3';
  cleanups.push(() => void delete process.env.EXIT_CODE);
  await supervisor({
    restart: [process.execPath, RECORD_ARGV, '${worker}'],
    scale: [process.execPath, RECORD_ARGV, '${count}'],
    maxCount: 5,
  });
  const req = requester(10_000);
  const failed = await req.send(newRequest('restart', { worker: 'w-1' }, 10_000));
  assert.equal(failed.status, 'failed');
  assert.match(failed.message, /3/);
  const refused = await req.send(newRequest('scale', { count: 50 }, 10_000));
  assert.equal(refused.status, 'failed');
  assert.match(refused.message, /refused: at most 5 workers/);
});

test('supervisor CLI: --supabase needs the service key in the environment, and says so', () => {
  assert.match(
    parseSupervisorArgs(['--supabase', 'https://x.supabase.co', '--restart', 'pm2 restart ${worker}'], {}).error!,
    /SUPABASE_SERVICE_KEY/,
  );
  const ok = parseSupervisorArgs(
    ['--supabase', 'https://x.supabase.co', '--restart', 'pm2 restart ${worker}', '--key-env', 'K'],
    { K: 'secret' },
  );
  assert.equal(ok.supabase?.key, 'secret');
  assert.deepEqual(ok.supabase?.restart, ['pm2', 'restart', '${worker}']);
});

// Last: it stops PostgREST.
test('the store going away during the wait: said in words, not "a supervisor accepted it"', async () => {
  const r = newRequest('restart', { worker: 'mission-worker' }, 1500);
  const outcome = requester(1500).send(r);
  await waitFor(async () => (await rows()).length === 1, { message: 'the request row written' });
  await stack.rest.stop();
  const o = await outcome;
  assert.equal(o.status, 'timeout');
  assert.match(
    o.message,
    /^no supervisor answered within 2 s, and the request could not be marked expired \(Cannot reach Supabase at .+\): a supervisor may still carry it out$/,
  );
});
