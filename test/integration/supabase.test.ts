import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client } from 'pg';
import type { LogEntry } from '../../src/core/logEntry';
import type { WorkEvent } from '../../src/core/metrics';
import { LogTableFollower } from '../../src/sources/supabase/logTable';
import { waitFor } from '../harness/freePort';
import { type PostgRest } from '../harness/postgrest';
import { heartbeatSeed003, startSeed003Stack, watchSupabase, type Seed003Stack } from '../fixtures/seed003';

/*
 * Seed 003 against real servers: PostgreSQL (Debian) and PostgREST 12 behind a /rest/v1
 * gateway, with this repository's SQL. Workers heartbeat through supabase-js exactly as
 * seed 003's helper does (an upsert per beat, with the service key); Worker Lens reads
 * with the anon key, as the README tells users to.
 */
let stack: Seed003Stack;
let rest: PostgRest;

before(async () => {
  // Another team's layout: process metadata inside a JSON column.
  stack = await startSeed003Stack(
    undefined,
    `create table gpu_workers (name text primary key, state text, meta jsonb);
     grant select on gpu_workers to anon;
     insert into gpu_workers values
       ('gpu-1', 'running', jsonb_build_object('beat', now(), 'pid', 7001, 'rss', 1073741824, 'done', 12)),
       ('gpu-2', 'running', jsonb_build_object('beat', now() - interval '10 minutes', 'pid', 7002)),
       ('gpu-3', 'running', jsonb_build_object('beat', 'not a time', 'pid', 'seven'));
     -- A fleet larger than one page (the gateway answers at most 1,000 rows per request).
     create table big_fleet (like hp_worker_status including defaults);
     insert into big_fleet (worker_name, status, last_heartbeat) select 'w-' || lpad(g::text, 4, '0'), 'running', now() from generate_series(1, 2500) g;
     grant select on big_fleet to anon;`,
  );
  rest = stack.rest;
});
after(() => stack?.stop());

/** Polling only here: no Realtime runs at this gateway (see supabaseRealtime.test.ts). */
const watch = (key: string, table?: string) =>
  watchSupabase({ url: rest.url, key, table, pollMs: 200, realtime: false });

test('seed 003 workers heartbeating through supabase-js show running, stopped and crashed', async () => {
  await heartbeatSeed003(rest.url, rest.serviceKey);

  const { fleet, source } = watch(rest.anonKey);
  try {
    await waitFor(() => fleet.size === 5 && fleet.get('outcome-learner')?.health === 'crashed', {
      timeoutMs: 15_000,
      message: () => `5 workers (have ${fleet.size}: ${fleet.connection.message ?? ''})`,
    });
    const h = Object.fromEntries(fleet.workers().map((w) => [w.snapshot.id, w.health]));
    assert.deepEqual(h, {
      'initiative-worker': 'healthy',
      'mission-worker': 'healthy',
      'objective-proposal-worker': 'dead',
      'outcome-learner': 'crashed',
      'roundtable-worker': 'healthy',
    });
    const m = fleet.get('mission-worker')!.snapshot;
    assert.deepEqual(
      [m.status, m.completed, m.errors, m.pid, m.uptimeSeconds, m.memoryBytes],
      ['running', 42, 1, 4242, 120, 52_428_800],
    );
    assert.equal(fleet.counts().alive, 3, '"3/5 Running"');
  } finally {
    await source.dispose();
  }
});

test('npx worker-lens status --supabase prints the same fleet, exit 1 for the crashed and the stopped worker', async () => {
  // Not spawnSync: the /rest/v1 gateway runs in this process and must keep answering.
  const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((done) =>
    execFile(
      process.execPath,
      [
        '--import',
        'tsx',
        join(__dirname, '../../src/cli/main.ts'),
        'status',
        '--supabase',
        rest.url,
        '--key-env',
        'WL_KEY',
        '--json',
      ],
      { env: { ...process.env, WL_KEY: rest.anonKey } },
      (err, stdout, stderr) =>
        done({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    ),
  );
  assert.equal(r.status, 1, r.stderr);
  const names = JSON.stringify(JSON.parse(r.stdout));
  for (const w of [
    'mission-worker',
    'roundtable-worker',
    'initiative-worker',
    'objective-proposal-worker',
    'outcome-learner',
  ])
    assert.ok(names.includes(w), w);
  assert.match(names, /"crashed"/);
});

test('another layout: columns mapped into a JSON column, with a wrong type said in words', async () => {
  const { fleet, source } = watchSupabase({
    url: rest.url,
    key: rest.anonKey,
    table: 'gpu_workers',
    columns: {
      name: 'name',
      status: 'state',
      lastHeartbeat: 'meta.beat',
      pid: 'meta.pid',
      memory: 'meta.rss',
      completed: 'meta.done',
    },
    pollMs: 200,
    realtime: false,
  });
  try {
    await waitFor(() => fleet.size === 3, {
      timeoutMs: 15_000,
      message: () => `3 gpu workers (have ${fleet.size}: ${fleet.connection.message ?? ''})`,
    });
    const g1 = fleet.get('gpu-1')!;
    assert.equal(g1.health, 'healthy');
    assert.deepEqual([g1.snapshot.pid, g1.snapshot.memoryBytes, g1.snapshot.completed], [7001, 1073741824, 12]);
    assert.equal(fleet.get('gpu-2')!.health, 'dead', '10 minutes without a heartbeat');
    const g3 = fleet.get('gpu-3')!;
    assert.equal(g3.health, 'unknown');
    assert.match(g3.snapshot.problems.join('; '), /beat|pid/);
  } finally {
    await source.dispose();
  }
});

test('a wrong key, a missing table and a missing column are said in words', async () => {
  const bad = watch('not-a-valid-key');
  try {
    await waitFor(() => bad.fleet.connection.state === 'error', { timeoutMs: 15_000, message: 'bad key reported' });
    assert.match(bad.fleet.connection.message ?? '', /rejected the key/);
  } finally {
    await bad.source.dispose();
  }
  const missing = watch(rest.anonKey, 'no_such_table');
  try {
    await waitFor(() => missing.fleet.connection.state === 'error', {
      timeoutMs: 15_000,
      message: 'missing table reported',
    });
    assert.match(missing.fleet.connection.message ?? '', /no_such_table does not exist/);
  } finally {
    await missing.source.dispose();
  }
  const column = watchSupabase({
    url: rest.url,
    key: rest.anonKey,
    columns: { memory: 'rss_bytes' },
    pollMs: 200,
    realtime: false,
  });
  try {
    await waitFor(() => column.fleet.connection.state === 'error', {
      timeoutMs: 15_000,
      message: 'missing column reported',
    });
    assert.match(
      column.fleet.connection.message ?? '',
      /^A mapped column is missing in hp_worker_status: .*rss_bytes.*Check the connection's "columns"/,
    );
  } finally {
    await column.source.dispose();
  }
});

test('Realtime unavailable at the project URL: polls the real PostgREST and says why', async () => {
  const { fleet, source, logs } = watchSupabase({
    url: rest.url,
    key: rest.anonKey,
    pollMs: 200,
    realtimeRetryMs: 60_000,
  });
  try {
    await waitFor(() => fleet.size === 5 && /Polling: Realtime/.test(fleet.connection.message ?? ''), {
      timeoutMs: 15_000,
      message: () => `fallback reason shown (have: ${fleet.connection.message})`,
    });
    assert.equal(fleet.connection.state, 'connected', 'polling still works: not an error');
    assert.match(fleet.connection.liveMode ?? '', /^poll every/);
    assert.ok(
      logs.some((l) => /^warn: Realtime .*Polling every/.test(l)),
      logs.join('\n'),
    );
    // Still live by polling: a change in the table shows up.
    await stack.pg.query(`update hp_worker_status set status = 'crashed' where worker_name = 'mission-worker'`);
    await waitFor(() => fleet.get('mission-worker')?.health === 'crashed', {
      timeoutMs: 5_000,
      message: 'change seen by polling',
    });
  } finally {
    await source.dispose();
  }
});

test('a log table is tailed: newest rows first, then new rows in order, resumed where it stopped; a missing one is said in words', async () => {
  await stack.pg.query(
    `insert into worker_logs (worker, level, message) select 'mission-worker', 'info', 'old ' || g from generate_series(1, 5) g`,
  );
  const seen: LogEntry[] = [];
  const states: string[] = [];
  const follow = (lastId?: string, table = 'worker_logs') =>
    new LogTableFollower({
      url: rest.url,
      key: rest.anonKey,
      table,
      backfill: 3,
      pollMs: 100,
      lastId,
      onEntries: (e) => seen.push(...e),
      onState: (st) => states.push(`${st.state} ${st.message ?? ''}`),
    });
  const f = follow();
  f.start();
  try {
    await waitFor(() => seen.length === 3, { timeoutMs: 10_000, message: 'backfill' });
    assert.deepEqual(
      seen.map((e) => e.message),
      ['old 3', 'old 4', 'old 5'],
    );
    await stack.pg.query(
      `insert into worker_logs (worker, level, message) values ('outcome-learner', 'ERROR', 'circuit breaker open'), (null, 'warn', 'slow poll')`,
    );
    await waitFor(() => seen.length === 5, {
      timeoutMs: 10_000,
      message: () =>
        `new rows (seen ${seen.map((e) => e.id + ':' + e.message).join(' | ')}; states ${states.join(' | ')})`,
    });
    assert.deepEqual(
      seen.slice(3).map((e) => [e.worker, e.level, e.message, e.source]),
      [
        ['outcome-learner', 'error', 'circuit breaker open', 'worker_logs'],
        [undefined, 'warn', 'slow poll', 'worker_logs'],
      ],
    );
  } finally {
    await f.dispose();
  }
  // The dashboard reopened: only what came after.
  await stack.pg.query(`insert into worker_logs (message) values ('while closed')`);
  const again = follow(f.resumeId);
  again.start();
  try {
    await waitFor(() => seen.length === 6, { timeoutMs: 10_000, message: 'resumed' });
    assert.equal(seen[5].message, 'while closed');
  } finally {
    await again.dispose();
  }
  const missing = follow(undefined, 'no_such_logs');
  missing.start();
  try {
    await waitFor(() => states.some((x) => /^error The table no_such_logs does not exist/.test(x)), {
      timeoutMs: 10_000,
      message: 'missing table reported',
    });
  } finally {
    await missing.dispose();
  }
});

test('a log row whose insert commits after a newer one is still shown, not skipped', async () => {
  await stack.pg.query(`insert into worker_logs (message) values ('before')`);
  const seen: LogEntry[] = [];
  const f = new LogTableFollower({
    url: rest.url,
    key: rest.anonKey,
    table: 'worker_logs',
    backfill: 1,
    pollMs: 100,
    onEntries: (e) => seen.push(...e),
  });
  f.start();
  const slowWriter = new Client({ connectionString: stack.pg.url });
  await slowWriter.connect();
  try {
    await waitFor(() => seen.length === 1, { timeoutMs: 10_000, message: 'backfill' });
    // Two writers: the first takes its id, then commits only after the second has.
    await slowWriter.query('begin');
    await slowWriter.query(
      `insert into worker_logs (worker, level, message) values ('mission-worker', 'error', 'taken first, committed late')`,
    );
    await stack.pg.query(
      `insert into worker_logs (worker, level, message) values ('outcome-learner', 'info', 'taken second, committed first')`,
    );
    await waitFor(() => seen.some((e) => e.message === 'taken second, committed first'), {
      timeoutMs: 10_000,
      message: 'the newer row',
    });
    await slowWriter.query('commit');
    await waitFor(() => seen.some((e) => e.message === 'taken first, committed late'), {
      timeoutMs: 10_000,
      message: () => `the row committed late (seen: ${seen.map((e) => e.message).join(' | ')})`,
    });
    assert.equal(seen.filter((e) => e.message === 'taken second, committed first').length, 1, 'each row once');
  } finally {
    await slowWriter.end();
    await f.dispose();
  }
});

test('a log table is read back over the window: its completions count for the charts, older rows are left out, the tail goes on from the last row', async () => {
  await stack.pg.query(
    `insert into worker_logs (worker, level, message, created_at) select 'history-worker', 'info', 'Task ancient-' || g || ' completed in 1s', now() - interval '8 hours' from generate_series(1, 5) g`,
  );
  await stack.pg.query(
    `insert into worker_logs (worker, level, message, created_at) select 'history-worker', 'info', 'Task H-' || g || ' completed in 2s', now() - (g || ' minutes')::interval from generate_series(1, 30) g`,
  );
  const seen: LogEntry[] = [];
  const events: WorkEvent[] = [];
  const states: string[] = [];
  const f = new LogTableFollower({
    url: rest.url,
    key: rest.anonKey,
    table: 'worker_logs',
    backfill: 1000,
    since: Date.now() - 6 * 3_600_000,
    pollMs: 100,
    onEntries: (e) => seen.push(...e),
    onEvents: (e) => events.push(...e),
    onState: (st) => states.push(`${st.state} ${st.message ?? ''}`),
  });
  f.start();
  try {
    // Other tests' writers may log completions into the same table: these rows' worker is this test's own.
    const mine = () => events.filter((e) => e.worker === 'history-worker');
    await waitFor(() => mine().length >= 30, {
      timeoutMs: 10_000,
      message: () =>
        `the window's completions (${mine().length}; ${seen.length} rows: ${seen
          .slice(-2)
          .map((e) => e.message)
          .join(' | ')}; ${states.join(' | ')})`,
    });
    assert.ok(
      !seen.some((e) => e.message.startsWith('Task ancient-')),
      'rows from before the window are not read back',
    );
    assert.equal(mine().length, 30);
    assert.ok(mine().every((e) => e.kind === 'completed' && e.durationMs === 2000 && e.ts < Date.now() - 30_000));
    await stack.pg.query(
      `insert into worker_logs (worker, level, message) values ('live-worker', 'error', 'Task L-1 failed after 0.5s: boom')`,
    );
    const live = () => events.filter((e) => e.worker === 'live-worker');
    await waitFor(() => live().length > 0, {
      timeoutMs: 10_000,
      message: () => `the live row (${events.length} events; ${states.join(' | ')})`,
    });
    assert.deepEqual(
      live().map((e) => ({ ...e, ts: 0 })),
      [{ kind: 'failed', worker: 'live-worker', durationMs: 500, ts: 0 }],
    );
    assert.equal(mine().length, 30, 'nothing read back again');
    assert.equal(new Set(seen.map((e) => e.id)).size, seen.length, 'each row once');
  } finally {
    await f.dispose();
  }
});

test('a fleet larger than the 1,000 rows Supabase answers per request is read whole, page by page', async () => {
  const { fleet, source } = watch(rest.anonKey, 'big_fleet');
  try {
    await waitFor(() => fleet.connection.state === 'connected', {
      timeoutMs: 15_000,
      message: () => `read (${fleet.connection.message})`,
    });
    assert.equal(fleet.size, 2500);
    assert.ok(fleet.get('w-0001') && fleet.get('w-2500'), 'first and last rows');
    assert.equal(fleet.counts().alive, 2500);
  } finally {
    await source.dispose();
  }
});

test('an endpoint that accepts but never answers is an error in words after the timeout, never "connected"', async () => {
  const sockets = new Set<Socket>();
  const silent = createServer((s) => void sockets.add(s)); // accepts, reads, never replies
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  const states: string[] = [];
  const { fleet, source } = watchSupabase({
    url,
    key: rest.anonKey,
    pollMs: 200,
    realtime: false,
    readTimeoutMs: 1000,
  });
  const off = fleet.onChange(() => states.push(fleet.connection.state));
  try {
    await waitFor(() => fleet.connection.state === 'error', {
      timeoutMs: 10_000,
      message: () => `timeout reported (states: ${states.join(', ')})`,
    });
    assert.match(fleet.connection.message ?? '', /^Supabase at 127\.0\.0\.1:\d+ did not answer within 1s/);
    assert.ok(!states.includes('connected'), `never said connected: ${states.join(', ')}`);
  } finally {
    off();
    await source.dispose();
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  }
});

test('PostgREST going away keeps the fleet, marked stale', async () => {
  const { fleet, source } = watch(rest.anonKey);
  try {
    await waitFor(() => fleet.size === 5 && !fleet.stale, { timeoutMs: 15_000, message: 'fleet read' });
    await rest.stop();
    await waitFor(() => fleet.connection.state === 'error', { timeoutMs: 15_000, message: 'outage reported' });
    assert.equal(fleet.size, 5);
    assert.ok(fleet.workers().every((w) => w.stale));
    assert.match(fleet.connection.message ?? '', /Cannot reach Supabase|Supabase error/);
  } finally {
    await source.dispose();
  }
});
