import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitFor } from '../harness/freePort';
import { createRealtimeStandIn, type RealtimeStandIn } from '../harness/realtimeStandIn';
import { startSeed003Stack, watchSupabase, type Seed003Stack } from '../fixtures/seed003';

/*
 * The Realtime path. No Supabase Realtime server can run here, so Realtime is played by
 * the stand-in in test/harness/realtimeStandIn.ts (Phoenix protocol, scripted by each
 * test); the snapshots still come from a real PostgREST on a real PostgreSQL, on the same
 * gateway, as on a Supabase project URL. Polls are set to a minute: whatever shows up
 * faster came through Realtime.
 */
let stack: Seed003Stack;
let standIn: RealtimeStandIn;

before(async () => {
  standIn = createRealtimeStandIn();
  stack = await startSeed003Stack(standIn);
});
after(() => stack?.stop());

const MINUTE = 60_000;
const watch = (retryMs = MINUTE) =>
  watchSupabase({
    url: stack.rest.url,
    key: stack.rest.anonKey,
    pollMs: MINUTE,
    reconcileMs: MINUTE,
    realtimeRetryMs: retryMs,
  });

/** A heartbeat as seed 003 writes it, in the database, and the change Realtime would send for it. */
async function beat(worker_name: string, status: string, jobs: number) {
  const last_heartbeat = new Date().toISOString();
  await stack.pg.query(
    `update hp_worker_status set status = '${status}', jobs_processed = ${jobs}, last_heartbeat = '${last_heartbeat}' where worker_name = '${worker_name}'`,
  );
  standIn.sendChange({
    type: 'UPDATE',
    table: 'hp_worker_status',
    record: { worker_name, status, last_heartbeat, jobs_processed: jobs, errors: 0 },
  });
}

test('trusted only after the system "subscribed" message; then a change arrives without a poll, and a delete removes the worker', async () => {
  standIn.onJoin = 'silent';
  const { fleet, source, logs } = watch();
  try {
    await waitFor(() => fleet.size === 5 && standIn.joined.length === 1, {
      timeoutMs: 15_000,
      message: 'snapshot read and channel joined',
    });
    // Joined, but Realtime has not said the change feed is on: still polling.
    assert.match(fleet.connection.liveMode ?? '', /^poll every/);

    standIn.sendSystemOk();
    await waitFor(() => /^Realtime/.test(fleet.connection.liveMode ?? ''), {
      timeoutMs: 5_000,
      message: 'live after the system message',
    });
    assert.equal(fleet.connection.message, undefined, 'no fallback reason while live');
    assert.ok(
      logs.some((l) => /Realtime postgres_changes/.test(l)),
      logs.join('\n'),
    );

    await beat('mission-worker', 'crashed', 7);
    await waitFor(() => fleet.get('mission-worker')?.health === 'crashed', {
      timeoutMs: 5_000,
      message: 'change event applied',
    });
    assert.equal(fleet.get('mission-worker')!.snapshot.completed, 7);

    standIn.sendChange({ type: 'DELETE', table: 'hp_worker_status', old_record: { worker_name: 'outcome-learner' } });
    await waitFor(() => fleet.size === 4 && !fleet.get('outcome-learner'), {
      timeoutMs: 5_000,
      message: 'delete applied',
    });
  } finally {
    await source.dispose();
    standIn.onJoin = 'subscribe';
  }
  // dispose() leaves Realtime: no channel stays joined.
  await waitFor(() => standIn.joined.length === 0, { timeoutMs: 5_000, message: 'channel left on dispose' });
});

test('an error system message (table not in the publication): polling, the reason in the view and the log, and a retry that goes live', async () => {
  standIn.onJoin = 'refuse';
  const { fleet, source, logs } = watchSupabase({
    url: stack.rest.url,
    key: stack.rest.anonKey,
    pollMs: 200,
    reconcileMs: MINUTE,
    realtimeRetryMs: 500,
  });
  try {
    await waitFor(() => /publication/.test(fleet.connection.message ?? ''), {
      timeoutMs: 15_000,
      message: () => `refusal shown (have: ${fleet.connection.message})`,
    });
    assert.equal(fleet.connection.state, 'connected');
    assert.match(
      fleet.connection.message!,
      /^Polling: Realtime refused the change feed for hp_worker_status: add it to the supabase_realtime publication/,
    );
    assert.match(fleet.connection.liveMode ?? '', /^poll every/);
    assert.ok(
      logs.some((l) => /^warn: Realtime refused.*Realtime said: Unable to subscribe to changes/.test(l)),
      logs.join('\n'),
    );
    // Polling carries changes meanwhile.
    await stack.pg.query(`update hp_worker_status set status = 'stopped' where worker_name = 'roundtable-worker'`);
    await waitFor(() => fleet.get('roundtable-worker')?.health === 'stopped', {
      timeoutMs: 5_000,
      message: 'change seen by polling',
    });

    // The user adds the table to the publication: the next try goes live.
    standIn.onJoin = 'subscribe';
    await waitFor(() => /^Realtime/.test(fleet.connection.liveMode ?? '') && !fleet.connection.message, {
      timeoutMs: 10_000,
      message: 'live after a retry',
    });
  } finally {
    await source.dispose();
    standIn.onJoin = 'subscribe';
  }
});

test('a dropped socket: polling with the reason, then rejoined, live again, and a change after it arrives', async () => {
  const { fleet, source } = watch();
  try {
    await waitFor(() => fleet.size > 0 && /^Realtime/.test(fleet.connection.liveMode ?? ''), {
      timeoutMs: 15_000,
      message: 'live',
    });
    standIn.dropSockets();
    await waitFor(
      () =>
        /^poll every/.test(fleet.connection.liveMode ?? '') && /connection lost/.test(fleet.connection.message ?? ''),
      {
        timeoutMs: 10_000,
        message: () => `fallback after the drop (have: ${fleet.connection.liveMode} / ${fleet.connection.message})`,
      },
    );
    assert.ok(fleet.size > 0, 'last known state kept');
    // realtime-js reconnects by itself; the stand-in confirms the rejoin.
    await waitFor(() => /^Realtime/.test(fleet.connection.liveMode ?? ''), {
      timeoutMs: 15_000,
      message: 'live again after reconnect',
    });
    await beat('initiative-worker', 'running', 99);
    await waitFor(() => fleet.get('initiative-worker')?.snapshot.completed === 99, {
      timeoutMs: 5_000,
      message: 'change after the reconnect applied',
    });
  } finally {
    await source.dispose();
  }
});
