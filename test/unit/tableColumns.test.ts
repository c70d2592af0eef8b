import assert from 'node:assert/strict';
import { test } from 'node:test';
import { missingColumnIn, TableColumns } from '../../src/sources/supabase/tableColumns';
import { SUPABASE_HEARTBEAT_COLUMNS } from '../../src/sources/supabase/supabasePreset';

test('the column PostgreSQL or PostgREST names as missing is read from its message, quoted or not', () => {
  assert.equal(missingColumnIn({ code: '42703', message: 'column hp_worker_status.pid does not exist' }), 'pid');
  assert.equal(
    missingColumnIn({ code: '42703', message: 'column hp_worker_status."jobsDone" does not exist' }),
    'jobsDone',
  );
  assert.equal(missingColumnIn({ code: '42703', message: 'column "memory" does not exist' }), 'memory');
  assert.equal(
    missingColumnIn({
      code: 'PGRST204',
      message: "Could not find the 'uptime' column of 'hp_worker_status' in the schema cache",
    }),
    'uptime',
  );
  assert.equal(missingColumnIn({ code: '42P01', message: 'relation "public.nope" does not exist' }), undefined);
  assert.equal(missingColumnIn(undefined), undefined);
});

test("the preset's optional columns are left out one by one; the worker name and hand-mapped columns never are", () => {
  const cols = new TableColumns({ ...SUPABASE_HEARTBEAT_COLUMNS, memory: 'meta.rss' }, 'worker_name', {
    memory: 'meta.rss',
  });
  assert.equal(cols.select, 'worker_name,status,last_heartbeat,pid,uptime,meta,jobs_processed,errors');
  assert.equal(cols.leaveOut('pid'), true);
  assert.equal(cols.leaveOut('pid'), false, 'already left out: the error is not about it any more');
  assert.equal(cols.leaveOut('worker_name'), false);
  assert.equal(cols.leaveOut('meta'), false, 'mapped by hand');
  assert.equal(cols.leaveOut('not_asked_for'), false);
  assert.equal(cols.select, 'worker_name,status,last_heartbeat,uptime,meta,jobs_processed,errors');
  assert.deepEqual(cols.missing, ['pid']);
  // Added later: a row with every column brings it back.
  assert.deepEqual(cols.readmit(['worker_name', 'status', 'pid', 'extra']), ['pid']);
  assert.deepEqual(cols.missing, []);
});

test('either the status or the heartbeat column may be missing, not both', () => {
  const cols = new TableColumns(SUPABASE_HEARTBEAT_COLUMNS, 'worker_name', {});
  assert.equal(cols.leaveOut('status'), true);
  assert.equal(cols.livenessGone, undefined);
  assert.equal(cols.leaveOut('last_heartbeat'), true);
  assert.deepEqual(cols.livenessGone, ['status', 'last_heartbeat']);
  // Both inside one JSON column: named once.
  const json = new TableColumns({ status: 'meta.state', lastHeartbeat: 'meta.beat' }, 'id', {});
  json.leaveOut('meta');
  assert.deepEqual(json.livenessGone, ['meta']);
});

test('one row with every column leaves out all the optional ones it lacks at once, never a required one', () => {
  const cols = new TableColumns({ ...SUPABASE_HEARTBEAT_COLUMNS, pid: 'meta.pid' }, 'worker_name', { pid: 'meta.pid' });
  assert.deepEqual(cols.leaveOutAllBut(['worker_name', 'status', 'last_heartbeat', 'errors']), [
    'uptime',
    'memory',
    'jobs_processed',
  ]);
  assert.equal(
    cols.select,
    'worker_name,status,last_heartbeat,meta,errors',
    'meta was mapped by hand: asked for, so its absence is said',
  );
});
