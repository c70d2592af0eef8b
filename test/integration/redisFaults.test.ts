import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { runFault } from './faultScenario';
import { event } from './redisFixtures';
import { waitFor } from '../harness/freePort';
import { scriptRuns } from '../harness/commandStats';

/*
 * Fault injection against a real redis-server (see faultScenario.ts for what every
 * scenario checks). Detection bounds: a closed or refused socket is seen at once; a
 * hung server only when a command times out (5 s for a read, block + 5 s for XREAD).
 */

test('kill -9 and restart: stale at once with the reason, nobody dead during a 6 s outage (dead-after 4 s), live again after the restart', async (t) => {
  await runFault(t, {
    server: ['--appendonly', 'yes', '--appendfsync', 'always'], // the fleet survives the crash, as a production Redis would
    fault: ({ redis }) => redis.kill(),
    expect: /refused the connection|Lost the connection/,
    detectMs: 0,
    holdMs: 6000,
    heal: ({ redis }) => redis.restart(),
  });
});

test('SIGSTOP with the events push path live: a hung Redis is called stale (the flapping follower no longer postpones the read), live again after SIGCONT', async (t) => {
  const blockMs = 1000;
  await runFault(t, {
    // Past every detection bound: nobody may go unresponsive while the hang is not yet detectable.
    thresholds: { unresponsiveAfterSeconds: 15, deadAfterSeconds: 20, slowTaskAfterMinutes: 15, adaptive: false },
    source: { push: 'events', pollMs: 2000, eventsBlockMs: blockMs },
    ready: async ({ admin, obs }) => {
      await event(admin, 'w-000');
      await waitFor(() => /events stream/.test(obs.fleet.connection.liveMode ?? ''), {
        timeoutMs: 10_000,
        message: 'the events push path live',
      });
    },
    fault: async ({ redis }) => redis.signal('SIGSTOP'),
    expect: /Timed out talking to Redis/,
    detectMs: blockMs + 5000 + 2000 + 5000, // the XREAD times out, the poll resumes (2 s), its read times out
    holdMs: 22_000,
    heal: async ({ redis }) => redis.signal('SIGCONT'),
  });
});

test('BUSY (a script that never ends): stale with "busy running a script"; the one-script batch read is used again after SCRIPT KILL', async (t) => {
  let scripter: Redis | undefined;
  const scripts = async (admin: Redis) => {
    const stats = await admin.info('commandstats');
    return {
      evals: scriptRuns(stats),
    };
  };
  const { ctx } = await runFault(t, {
    server: ['--busy-reply-threshold', '100'],
    fault: async ({ redis }) => {
      scripter = new Redis({ port: redis.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
      scripter.on('error', () => undefined);
      scripter.eval('while true do end', 0).catch(() => undefined);
    },
    expect: /busy running a script \(BUSY\)/,
    detectMs: 1000,
    holdMs: 6000,
    heal: async ({ redis }) => {
      // No ready check: its INFO would be refused with BUSY too.
      const killer = new Redis({ port: redis.port, host: '127.0.0.1', enableReadyCheck: false });
      try {
        await killer.script('KILL');
      } finally {
        killer.disconnect();
        scripter?.disconnect();
      }
    },
  });
  // After the fault: full reads are batches of one read-only script again, not pipelines of HGETALL.
  const before = await scripts(ctx.admin);
  const reads = ctx.obs.fullReads;
  await waitFor(() => ctx.obs.fullReads >= reads + 3, { message: 'three more full reads' });
  const after = await scripts(ctx.admin);
  assert.ok(
    after.evals - before.evals >= 3,
    `a script batch per full read (${after.evals - before.evals} for 3 reads): a passing BUSY did not turn scripts off`,
  );
});
