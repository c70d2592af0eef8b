import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitFor } from '../harness/freePort';
import {
  heartbeatSeed003,
  SEED_003_HEALTH,
  SETUP_SQL,
  startSeed003Stack,
  watchSupabase,
  type Seed003Stack,
} from '../fixtures/seed003';
import type { SupabaseSourceOptions } from '../../src/sources/supabase/supabaseSource';

/*
 * The heartbeat table as users really have it, on a real PostgreSQL and PostgREST 12:
 * seed 003's three columns only (its migration writes nothing else), the full table of
 * sql/supabase-setup.sql, and process details kept in a `metadata jsonb` column. Each
 * must show seed 003's five workers with the health its dashboard gives them; a column
 * the preset reads only when present is never an error.
 */
let seedOnly: Seed003Stack;
let full: Seed003Stack;

before(async () => {
  [seedOnly, full] = await Promise.all([
    startSeed003Stack(
      undefined,
      `create table new_status (like hp_worker_status including all); grant select on new_status to anon;`,
      'seed',
    ),
    startSeed003Stack(
      undefined,
      `create table worker_status_meta (worker_name text primary key, status text, last_heartbeat timestamptz, metadata jsonb);
       create table no_names (name text primary key, status text, last_heartbeat timestamptz);
       insert into no_names values ('gpu-1', 'running', now());
       create table names_only (worker_name text primary key);
       insert into names_only values ('gpu-1');
       grant select on worker_status_meta, no_names, names_only to anon;`,
    ),
  ]);
});
after(() => Promise.all([seedOnly?.stop(), full?.stop()]));

/** Polling (no Realtime at these gateways), with a short reconcile so a recheck comes soon. */
function watch(stack: Seed003Stack, opts: Partial<SupabaseSourceOptions> = {}) {
  return watchSupabase({
    url: stack.rest.url,
    key: stack.rest.anonKey,
    pollMs: 200,
    reconcileMs: 300,
    realtime: false,
    ...opts,
  });
}

async function seedFleetShown(w: ReturnType<typeof watch>): Promise<void> {
  await waitFor(() => w.fleet.size === 5 && w.fleet.get('outcome-learner')?.health === 'crashed', {
    timeoutMs: 15_000,
    message: () => `5 workers (have ${w.fleet.size}: ${w.fleet.connection.state} ${w.fleet.connection.message ?? ''})`,
  });
  assert.deepEqual(Object.fromEntries(w.fleet.workers().map((x) => [x.snapshot.id, x.health])), SEED_003_HEALTH);
  assert.equal(w.fleet.connection.state, 'connected', w.fleet.connection.message);
  assert.equal(w.fleet.counts().alive, 3, '"3/5 Running"');
}

const reads = (logs: string[]) => logs.filter((l) => /^debug: Read 5 workers/.test(l)).length;

test("seed 003's three columns only: the five workers show, the missing optional columns are said once in the log; added later, they are read without a reload", async () => {
  await heartbeatSeed003(seedOnly.rest.url, seedOnly.rest.serviceKey, undefined, 'seed');
  const w = watch(seedOnly);
  try {
    await seedFleetShown(w);
    const m = w.fleet.get('mission-worker')!.snapshot;
    assert.deepEqual(
      [m.status, m.pid, m.memoryBytes, m.completed, m.problems],
      ['running', undefined, undefined, undefined, []],
    );
    // Several reads later, the log still says it once (no warning, nothing on screen).
    const seen = reads(w.logs);
    await waitFor(() => reads(w.logs) >= seen + 3, { timeoutMs: 15_000, message: 'three more reads' });
    const said = w.logs.filter((l) => /has no/.test(l));
    assert.deepEqual(said, [
      'info: hp_worker_status at ' +
        new URL(seedOnly.rest.url).host +
        ' has no pid, uptime, memory, jobs_processed and errors columns: read without them (optional; sql/supabase-setup.sql adds them). Looked for again every reconcile.',
    ]);
    assert.deepEqual(
      w.logs.filter((l) => l.startsWith('warn')),
      [],
    );
    assert.equal(w.fleet.connection.message, undefined);

    // The user runs the setup SQL on the existing table; the workers then write their details.
    await seedOnly.pg.query(SETUP_SQL);
    // PostgREST reloads its schema cache on the SQL's NOTIFY: the first upserts may still be refused.
    await waitFor(
      () =>
        heartbeatSeed003(seedOnly.rest.url, seedOnly.rest.serviceKey, undefined, 'full').then(
          () => true,
          () => false,
        ),
      {
        timeoutMs: 15_000,
        message: 'workers writing pid, memory and counters',
      },
    );
    await waitFor(() => w.fleet.get('mission-worker')?.snapshot.pid === 4242, {
      timeoutMs: 15_000,
      message: () => `pid read (logs: ${w.logs.filter((l) => !l.startsWith('debug')).join(' | ')})`,
    });
    const after = w.fleet.get('mission-worker')!.snapshot;
    assert.deepEqual(
      [after.pid, after.uptimeSeconds, after.memoryBytes, after.completed, after.errors],
      [4242, 120, 52_428_800, 42, 1],
    );
    assert.ok(
      w.logs.some((l) =>
        /^info: hp_worker_status at .* now has pid, uptime, memory, jobs_processed and errors: read from now on$/.test(
          l,
        ),
      ),
      w.logs.join('\n'),
    );
    assert.deepEqual(Object.fromEntries(w.fleet.workers().map((x) => [x.snapshot.id, x.health])), SEED_003_HEALTH);
  } finally {
    await w.source.dispose();
  }
});

test('an empty three-column table (no worker has started yet): connected with no workers and no error; the first worker shows when it beats', async () => {
  const w = watch(seedOnly, { table: 'new_status' });
  try {
    await waitFor(() => w.fleet.connection.state === 'connected', {
      timeoutMs: 15_000,
      message: () => `connected (${w.fleet.connection.state} ${w.fleet.connection.message ?? ''})`,
    });
    assert.equal(w.fleet.size, 0);
    // No row to learn the columns from: each missing one was left out in turn, said once.
    assert.deepEqual(
      w.logs.filter((l) => /has no|warn/.test(l)).map((l) => l.replace(/ at \S+/, '')),
      [
        'info: new_status has no pid, uptime, memory, jobs_processed and errors columns: read without them (optional). Looked for again every reconcile.',
      ],
    );
    await seedOnly.pg.query(`insert into new_status values ('mission-worker', 'running', now())`);
    await waitFor(() => w.fleet.get('mission-worker')?.health === 'healthy', {
      timeoutMs: 15_000,
      message: 'the first worker shown',
    });
  } finally {
    await w.source.dispose();
  }
});

test('the full table of sql/supabase-setup.sql: the five workers with pid, uptime, memory and counters, nothing left out', async () => {
  await heartbeatSeed003(full.rest.url, full.rest.serviceKey);
  const w = watch(full);
  try {
    await seedFleetShown(w);
    const m = w.fleet.get('mission-worker')!.snapshot;
    assert.deepEqual([m.pid, m.uptimeSeconds, m.memoryBytes, m.completed, m.errors], [4242, 120, 52_428_800, 42, 1]);
    assert.equal(w.fleet.get('outcome-learner')!.snapshot.errors, 10);
    assert.deepEqual(
      w.logs.filter((l) => /has no|warn/.test(l)),
      [],
    );
  } finally {
    await w.source.dispose();
  }
});

test('pid and memory inside a metadata jsonb column, mapped in "columns": the five workers with their details', async () => {
  await heartbeatSeed003(full.rest.url, full.rest.serviceKey, undefined, 'metadata', 'worker_status_meta');
  const w = watch(full, { table: 'worker_status_meta', columns: { pid: 'metadata.pid', memory: 'metadata.memory' } });
  try {
    await seedFleetShown(w);
    const m = w.fleet.get('mission-worker')!.snapshot;
    assert.deepEqual([m.pid, m.memoryBytes, m.problems], [4242, 52_428_800, []]);
    assert.deepEqual(
      w.logs.filter((l) => /has no|warn/.test(l)),
      [],
    );
  } finally {
    await w.source.dispose();
  }
});

test('a column mapped by hand that goes missing is an error naming it and the table; the last known workers stay, marked stale', async () => {
  await full.pg.query(
    `create table meta_renamed as select * from worker_status_meta; alter table meta_renamed add primary key (worker_name); grant select on meta_renamed to anon;`,
  );
  const w = watch(full, { table: 'meta_renamed', columns: { pid: 'metadata.pid', memory: 'metadata.memory' } });
  try {
    await seedFleetShown(w);
    await full.pg.query(`alter table meta_renamed rename column metadata to details`);
    await waitFor(() => w.fleet.connection.state === 'error', {
      timeoutMs: 15_000,
      message: 'the missing column reported',
    });
    assert.match(
      w.fleet.connection.message ?? '',
      /^A mapped column is missing in meta_renamed: column meta_renamed\.metadata does not exist\. Check the connection's "columns"\.$/,
    );
    assert.equal(w.fleet.size, 5);
    assert.equal(w.fleet.stale, true);
  } finally {
    await w.source.dispose();
  }
});

test('a table without the column naming workers, or without both status and heartbeat, is said in words', async () => {
  const noNames = watch(full, { table: 'no_names' });
  const namesOnly = watch(full, { table: 'names_only' });
  try {
    await waitFor(() => noNames.fleet.connection.state === 'error' && namesOnly.fleet.connection.state === 'error', {
      timeoutMs: 15_000,
      message: () => `both reported (${noNames.fleet.connection.message} / ${namesOnly.fleet.connection.message})`,
    });
    assert.match(
      noNames.fleet.connection.message ?? '',
      /^The column worker_name is missing in no_names: it names each worker/,
    );
    assert.match(
      namesOnly.fleet.connection.message ?? '',
      /^names_only has neither status nor last_heartbeat: nothing tells whether a worker is alive/,
    );
    assert.equal(namesOnly.fleet.size, 0, 'no worker invented from a bare name');
  } finally {
    await Promise.all([noNames.source.dispose(), namesOnly.source.dispose()]);
  }
});
