import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Fleet } from '../../src/core/fleet';
import { heartbeatSeed003, startSeed003Stack, watchSupabase, type Seed003Stack } from '../fixtures/seed003';
import { waitFor } from '../harness/freePort';

/*
 * Faults of the Supabase path, against the real PostgREST and PostgreSQL: PostgREST
 * restarted (the gateway answers 502 meanwhile), PostgreSQL restarted behind it, and its JWT secret rotated (the key
 * the
 * editor holds is refused with 401). Each time: nothing escapes, the connection state says
 * what is wrong in words, the last-known workers stay (stale), and the view is live again
 * once the store is back. How long each step took is printed, not asserted.
 */
let stack: Seed003Stack;
let beats: { stop(): void };
before(async () => {
  stack = await startSeed003Stack();
  beats = await heartbeatSeed003(stack.rest.url, stack.rest.serviceKey, 1000);
});
after(async () => {
  beats?.stop();
  await stack?.stop();
});

const live = (fleet: Fleet) =>
  fleet.connection.state === 'connected' && fleet.size === 5 && fleet.workers().every((w) => !w.stale);

/** The store is down (or refusing us): said in words, nothing dropped. */
async function expectBlind(fleet: Fleet, words: RegExp, since: number): Promise<void> {
  await waitFor(() => fleet.connection.state === 'error', {
    timeoutMs: 20_000,
    message: () => `an error state (have ${fleet.connection.state})`,
  });
  console.log(`    said after ${Date.now() - since} ms: ${fleet.connection.message}`);
  assert.match(fleet.connection.message ?? '', words);
  assert.doesNotMatch(fleet.connection.message ?? '', /\n\s+at /, 'words, not a stack trace');
  assert.equal(fleet.size, 5, 'the last-known workers stay');
  assert.ok(
    fleet.workers().every((w) => w.stale),
    'marked stale',
  );
}

test('PostgREST restarted: said in words while it is down (it was "Supabase error at host: " and nothing more), last-known workers kept (stale), live again after', async () => {
  const { fleet, source } = watchSupabase({
    url: stack.rest.url,
    key: stack.rest.anonKey,
    pollMs: 200,
    realtime: false,
  });
  try {
    await waitFor(() => live(fleet), { timeoutMs: 20_000, message: 'five live workers' });
    await stack.rest.restart({ whileDown: () => expectBlind(fleet, /not answering \(HTTP 502\)/, Date.now()) });
    const back = Date.now();
    await waitFor(() => live(fleet), {
      timeoutMs: 20_000,
      message: () => `live again (${fleet.connection.message ?? ''})`,
    });
    console.log(`    live again ${Date.now() - back} ms after PostgREST answered`);
  } finally {
    await source.dispose();
  }
});

test('PostgreSQL restarted behind PostgREST: said in words while it is down, workers kept (stale), live again after', async () => {
  const { fleet, source } = watchSupabase({
    url: stack.rest.url,
    key: stack.rest.anonKey,
    pollMs: 200,
    realtime: false,
  });
  try {
    await waitFor(() => live(fleet), { timeoutMs: 20_000, message: 'five live workers' });
    await stack.pg.restart({
      whileDown: () => expectBlind(fleet, /not answering|cannot reach|database|connection/i, Date.now()),
    });
    const back = Date.now();
    await waitFor(() => live(fleet), {
      timeoutMs: 30_000,
      message: () => `live again (${fleet.connection.message ?? ''})`,
    });
    console.log(`    live again ${Date.now() - back} ms after PostgreSQL accepted connections`);
  } finally {
    await source.dispose();
  }
});

test('the key revoked (JWT secret rotated): 401 said in words, workers kept (stale); live again once the key is valid', async () => {
  const { fleet, source } = watchSupabase({
    url: stack.rest.url,
    key: stack.rest.anonKey,
    pollMs: 200,
    realtime: false,
  });
  try {
    await waitFor(() => live(fleet), { timeoutMs: 20_000, message: 'five live workers' });
    const rotated = Date.now();
    await stack.rest.restart({ secret: 'a-rotated-secret-that-is-at-least-32-characters' });
    await expectBlind(fleet, /key|JWT|401|refused|not allowed|permission|unauthori/i, rotated);
    await stack.rest.restart(); // the old secret again: the editor's key is valid once more
    const back = Date.now();
    await waitFor(() => live(fleet), {
      timeoutMs: 20_000,
      message: () => `live again (${fleet.connection.message ?? ''})`,
    });
    console.log(`    live again ${Date.now() - back} ms after the key was valid again`);
  } finally {
    await source.dispose();
  }
});
