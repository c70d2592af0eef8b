import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { LogPipeline } from '../../src/core/logLines';
import { MetricsStore } from '../../src/core/metrics';
import type { ParsedStreamEntry } from '../../src/sources/redis/streamEntry';
import { LogStreamFollower, type LogStreamState } from '../../src/sources/redis/logStreams';
import { waitFor } from '../harness/freePort';
import { startRedis, type RedisServer } from '../harness/redisServer';

/** A follower that records every line it delivers, in order. */
function follow(
  server: RedisServer,
  streams: string[],
  extra: { lastIds?: Record<string, string>; backfill?: number } = {},
) {
  const got: ParsedStreamEntry[] = [];
  const states: LogStreamState[] = [];
  const f = new LogStreamFollower({
    url: server.url,
    streams,
    blockMs: 500,
    ...extra,
    onEntries: (b) => got.push(...b),
    onState: (s) => states.push(s),
  });
  f.start();
  return { f, got, states, messages: () => got.map((g) => g.entry.message) };
}

async function write(client: Redis, stream: string, from: number, to: number, id = '*'): Promise<void> {
  for (let i = from; i <= to; i++)
    await client.xadd(stream, id === '*' ? '*' : `1-${i}`, 'message', `line ${i}`, 'worker_id', `w${i % 3}`);
}

const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`);

/**
 * Waits for the expected lines and compares them all. A line read twice (a re-read after
 * a reconnect) arrives before any line written later, so each test ends by writing one
 * more line and expecting it: any duplicate would show up before it, with no sleeping.
 */
async function expectLines(got: () => string[], expected: string[], message: string): Promise<void> {
  await waitFor(() => got().length >= expected.length, {
    timeoutMs: 30_000,
    message: `${message}: ${expected.length} lines (have ${got().length})`,
  });
  assert.deepEqual(got(), expected, message);
}

describe('LogStreamFollower against a real redis-server', () => {
  const servers: RedisServer[] = [];
  after(async () => {
    for (const s of servers) await s.stop();
  });

  it('backfills the newest entries across streams, then follows new ones in order', async () => {
    const server = await startRedis();
    servers.push(server);
    const c = server.client();
    await write(c, 'work_completions', 1, 5);
    await c.xadd('work_errors', '*', 'worker_id', 'w1', 'error', 'boom');
    const t = follow(server, ['work_completions', 'work_errors', 'events:stream'], { backfill: 3 });
    await waitFor(() => t.got.length === 4, { message: 'backfill' });
    assert.deepEqual(t.messages(), [
      'Completed task — line 3',
      'Completed task — line 4',
      'Completed task — line 5',
      'Failed task: boom',
    ]);
    assert.equal(t.got[3]!.event?.kind, 'failed');
    await c.xadd('events:stream', '*', 'event_type', 'worker_started', 'worker_id', 'w9');
    await write(c, 'work_completions', 6, 7);
    await waitFor(() => t.got.length === 7, { message: 'followed lines' });
    assert.deepEqual(t.messages().slice(4), ['worker_started', 'Completed task — line 6', 'Completed task — line 7']);
    assert.equal(t.states.at(-1)?.state, 'following');
    await t.f.dispose();
  });

  it('a key that is not a stream is left out and said so; the other streams still flow, before and after it appears', async () => {
    const server = await startRedis();
    servers.push(server);
    const c = server.client();
    await c.hset('work_errors', { note: 'a hash someone left under a stream name' });
    await write(c, 'work_completions', 1, 2);
    const t = follow(server, ['work_completions', 'work_errors', 'events:stream']);
    await waitFor(() => t.got.length === 2, {
      message: () => `backfill of the real stream (states: ${t.states.map((x) => x.message).join(' | ')})`,
    });
    assert.match(
      t.states.at(-1)?.message ?? '',
      /Following 2 stream\(s\); not followed: "work_errors" is a hash, not a stream/,
    );
    await write(c, 'work_completions', 3, 3);
    await waitFor(() => t.got.length === 3, { message: 'a new line while one key is not a stream' });
    // A stream name that becomes a string while followed: dropped the same way.
    await c.set('events:stream', 'oops');
    await write(c, 'work_completions', 4, 4);
    await waitFor(() => t.got.length === 4 && /"events:stream" is a string/.test(t.states.at(-1)?.message ?? ''), {
      message: () =>
        `still following after events:stream became a string (states: ${t.states.map((x) => x.message).join(' | ')})`,
    });
    await t.f.dispose();
  });

  it('resumes after a Redis restart (no persistence) without losing or duplicating lines', async () => {
    const server = await startRedis();
    servers.push(server);
    const t = follow(server, ['events:stream']);
    const got = () => t.got.map((g) => g.entry.message.replace(/^\(event\) message=/, ''));
    await waitFor(() => t.states.some((s) => s.state === 'following'), { message: 'following' });
    await write(server.client(), 'events:stream', 1, 50);
    await expectLines(got, lines(1, 50), 'before the restart');

    await server.kill();
    await waitFor(() => t.states.at(-1)?.state === 'error', { message: 'the follower notices' });
    await server.restart();
    // Written at once, most likely before the follower is back: it must catch up from its last id.
    await write(server.client(), 'events:stream', 51, 100);
    await expectLines(got, lines(1, 100), 'after the restart');
    await write(server.client(), 'events:stream', 101, 101);
    await expectLines(got, lines(1, 101), 'nothing read twice');
    await t.f.dispose();
  });

  it('resumes after a restart with persistence: the old entries come back and are not read twice', async () => {
    const server = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
    servers.push(server);
    await write(server.client(), 'work_completions', 1, 20);
    const t = follow(server, ['work_completions']);
    const got = () => t.got.map((g) => g.entry.message.replace('Completed task — ', ''));
    await expectLines(got, lines(1, 20), 'backfill');
    await write(server.client(), 'work_completions', 21, 30);
    await expectLines(got, lines(1, 30), 'followed');

    await server.kill();
    await server.restart();
    const c = server.client();
    assert.equal(await c.xlen('work_completions'), 30, 'the stream came back from the append-only file');
    await write(c, 'work_completions', 31, 40);
    await expectLines(got, lines(1, 40), 'after the restart');
    await write(c, 'work_completions', 41, 41);
    await expectLines(got, lines(1, 41), 'nothing read twice');
    await t.f.dispose();
  });

  it('reads a stream re-created below its last id (a writer with its own ids) from the start', async () => {
    const server = await startRedis();
    servers.push(server);
    const t = follow(server, ['stream:worker_events']);
    const got = () => t.got.map((g) => g.entry.message.replace(/^\(event\) message=/, ''));
    await waitFor(() => t.states.some((s) => s.state === 'following'), { message: 'following' });
    await write(server.client(), 'stream:worker_events', 1, 10);
    await expectLines(got, lines(1, 10), 'before');
    await server.kill();
    await server.restart();
    await write(server.client(), 'stream:worker_events', 11, 15, '1-x'); // ids 1-11 … 1-15: far below the old ones
    await expectLines(got, lines(1, 15), 'after the reset');
    await write(server.client(), 'stream:worker_events', 16, 16, '1-x');
    await expectLines(got, lines(1, 16), 'nothing read twice');
    await t.f.dispose();
  });

  it('a Redis restored from an older snapshot re-delivers and re-counts nothing; newer entries still arrive', async () => {
    const server = await startRedis(); // no automatic saves: the only snapshot is the SAVE below
    servers.push(server);
    const c = server.client();
    // The dashboard's path: entries into the log pipeline, their events into the metrics (clock
    // a minute ahead, so the buckets written now are complete in its view).
    const metrics = new MetricsStore({ clock: () => Date.now() + 60_000 });
    const logs = new LogPipeline({ maxLines: 100_000 });
    const ids: string[] = [];
    const states: LogStreamState[] = [];
    const f = new LogStreamFollower({
      url: server.url,
      streams: ['work_completions'],
      blockMs: 500,
      onEntries: (b) => {
        for (const e of b) {
          ids.push(e.entry.id ?? '');
          if (e.event) metrics.recordEvent(e.event);
        }
        logs.add(b.map((e) => e.entry));
      },
      onState: (st) => states.push(st),
    });
    f.start();
    await waitFor(() => states.some((st) => st.state === 'following'), { message: 'following' });
    const pipe = async (from: number, to: number) => {
      const p = c.pipeline();
      for (let i = from; i <= to; i++)
        p.xadd('work_completions', '*', 'message', `line ${i}`, 'worker_id', `w${i % 3}`, 'duration_ms', '5');
      await p.exec();
    };
    await pipe(1, 2000);
    await c.save(); // the snapshot: 2,000 entries
    await pipe(2001, 4000);
    await waitFor(() => ids.length >= 4000, { timeoutMs: 30_000, message: `4,000 entries read (have ${ids.length})` });

    await server.kill();
    await waitFor(() => states.at(-1)?.state === 'error', { message: 'the follower notices' });
    await server.restart(); // loads the older dump.rdb
    const c2 = server.client();
    assert.equal(await c2.xlen('work_completions'), 2000, 'the stream came back as the snapshot had it');
    // Back on the restored stream before anything newer is written: it sees the rewind.
    await waitFor(() => states.at(-1)?.state === 'following', { timeoutMs: 30_000, message: 'following again' });
    for (let i = 4001; i <= 4010; i++)
      await c2.xadd('work_completions', '*', 'message', `line ${i}`, 'worker_id', 'w1', 'duration_ms', '5');
    await waitFor(() => ids.length >= 4010, { timeoutMs: 30_000, message: `the 10 new entries (have ${ids.length})` });
    // A duplicate would have arrived before the last new entry: write one more and wait for it.
    await c2.xadd('work_completions', '*', 'message', 'line 4011', 'worker_id', 'w1', 'duration_ms', '5');
    await waitFor(() => ids.length >= 4011, { timeoutMs: 30_000, message: 'the last entry' });
    assert.equal(
      new Set(ids).size,
      ids.length,
      `no entry delivered twice (${ids.length - new Set(ids).size} duplicates)`,
    );
    assert.equal(ids.length, 4011);
    assert.equal(logs.size, 4011, 'the log panel holds each line once');
    assert.equal(metrics.view('1h').totals.completed, 4011, 'each completion counted once');
    await f.dispose();
  });

  it('a new follower given the last ids (dashboard reopened) reads only what came after', async () => {
    const server = await startRedis();
    servers.push(server);
    const c = server.client();
    await write(c, 'events:stream', 1, 5);
    const first = follow(server, ['events:stream']);
    await waitFor(() => first.got.length === 5, { message: 'first follower' });
    await first.f.dispose();
    const lastIds = first.f.lastIds;
    await write(c, 'events:stream', 6, 8);
    const second = follow(server, ['events:stream'], { lastIds });
    const got = () => second.got.map((g) => g.entry.message.replace(/^\(event\) message=/, ''));
    await expectLines(got, lines(6, 8), 'reopened');
    await write(c, 'events:stream', 9, 9);
    await expectLines(got, lines(6, 9), 'following again');
    await second.f.dispose();
  });
});
