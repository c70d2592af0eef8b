import type { RedisOptions } from 'ioredis';
import { redactUrl } from '../../core/connectionConfig';
import { parseStreamEntry, type ParsedStreamEntry } from './streamEntry';
import { nonStreams } from './streamTypes';
import { describeRedisError } from './redisErrors';
import { createClient, createClusterClient, isClusterClient, type RedisLike } from './redisClient';

/** The orchestrator preset's log streams (seeds 000/001). */
export const ORCHESTRATOR_LOG_STREAMS = ['work_completions', 'work_errors', 'stream:worker_events', 'events:stream'];

export interface LogStreamState {
  state: 'connecting' | 'following' | 'error';
  message?: string;
}

export interface LogStreamOptions {
  url: string;
  /** From the secret store or `secretEnv`; never from settings. */
  password?: string;
  /** Seed URLs of a Redis Cluster: the streams (in different slots) are read one by one, see readEach. */
  cluster?: string[];
  streams: string[];
  /** Newest entries read per stream when starting (XREVRANGE). */
  backfill?: number;
  /** Epoch ms: the starting read reaches back no further (the charts' longest window). */
  since?: number;
  /** How long one XREAD waits for new entries. */
  blockMs?: number;
  /** Entries per XREAD while catching up. */
  count?: number;
  /** Where a previous follower stopped (dashboard reopened): only newer entries are read. */
  lastIds?: Record<string, string>;
  onEntries(entries: ParsedStreamEntry[]): void;
  onState?(state: LogStreamState): void;
  redisOptions?: RedisOptions;
}

type Entry = [id: string, fields: string[]];

/** How often the streams of a Redis Cluster are read while none has news (see readEach). */
const CLUSTER_POLL_MS = 1000;

/**
 * Tails Redis streams as log lines. Backfills the newest entries with XREVRANGE,
 * then follows with XREAD BLOCK from the last id it delivered, on its own connection
 * (a blocked connection cannot serve the source's reads). After a disconnect it
 * resumes from those ids — never `$`, which would skip what was written meanwhile —
 * so a Redis restart loses and duplicates nothing. A stream restored from an older
 * snapshot resumes after its newest entry (read already: nothing is delivered or
 * counted twice); one that came back empty or re-numbered with a writer's own small
 * ids is read again from its start.
 */
export class LogStreamFollower {
  private readonly ids = new Map<string, string>();
  /** Named keys that turned out not to be streams, with their type (said in the state message). */
  private readonly notStreams = new Map<string, string>();
  private client?: RedisLike;
  private disposed = false;
  private running?: Promise<void>;
  private readonly where: string;

  constructor(private readonly opts: LogStreamOptions) {
    this.where = redactUrl(opts.url);
    for (const [s, id] of Object.entries(opts.lastIds ?? {})) if (opts.streams.includes(s)) this.ids.set(s, id);
  }

  /** Last delivered id per stream, to hand to the next follower. */
  get lastIds(): Record<string, string> {
    return Object.fromEntries(this.ids);
  }

  start(): void {
    if (this.running || this.disposed || this.opts.streams.length === 0) return;
    const blockMs = this.opts.blockMs ?? 5000;
    const options: RedisOptions = {
      commandTimeout: blockMs + 10_000, // a dead peer must not hang a BLOCK forever
      connectionName: 'worker-lens-logs',
      ...this.opts.redisOptions,
    };
    this.client = this.opts.cluster
      ? createClusterClient(this.opts.cluster, this.opts.password, options)
      : createClient(this.opts.url, this.opts.password, options);
    this.client.on('error', () => undefined); // reported through the loop below
    this.client.connect().catch(() => undefined);
    this.running = this.loop(this.client, blockMs);
  }

  private async loop(client: RedisLike, blockMs: number): Promise<void> {
    const state = (s: LogStreamState) => this.opts.onState?.(s);
    state({ state: 'connecting', message: `Connecting to ${this.where}…` });
    let first = true;
    let lastError = '';
    while (!this.disposed) {
      try {
        await this.whenReady(client);
        if (this.disposed) break;
        if (first) await this.backfill(client);
        else await this.detectResets(client);
        first = false;
        lastError = '';
        state({ state: 'following', message: this.followingMessage() });
        for (;;) {
          if (this.disposed) return;
          await this.readOnce(client, blockMs);
        }
      } catch (err) {
        if (this.disposed) break;
        // A key of another type under a stream's name: that one is left out, said in words,
        // and the others go on (one XREAD over all of them would otherwise fail for ever).
        if (/WRONGTYPE/.test((err as Error).message) && (await this.dropNonStreams(client).catch(() => false))) {
          state({ state: 'following', message: this.followingMessage() });
          continue;
        }
        const message = describeRedisError(err, this.where);
        if (message !== lastError) state({ state: 'error', message });
        lastError = message;
        await sleep(200);
      }
    }
  }

  /** Streams named by the connection that are streams (or do not exist yet). */
  private following(): string[] {
    return this.opts.streams.filter((s) => !this.notStreams.has(s));
  }

  private followingMessage(): string {
    const n = this.following().length;
    const others = [...this.notStreams].map(([s, type]) => `"${s}" is a ${type}, not a stream`);
    return `Following ${n} stream(s)${others.length ? `; not followed: ${others.join(', ')}` : ''}`;
  }

  /** Finds the named keys that are not streams; true if any was newly left out. */
  private async dropNonStreams(client: RedisLike): Promise<boolean> {
    const wrong = await nonStreams(client, this.following());
    for (const [s, type] of wrong) this.notStreams.set(s, type);
    return wrong.size > 0;
  }

  private async backfill(client: RedisLike): Promise<void> {
    const n = this.opts.backfill ?? 1000;
    const all: ParsedStreamEntry[] = [];
    await this.dropNonStreams(client);
    for (const s of this.following()) {
      const known = this.ids.get(s);
      // Exclusive start `(id` (Redis ≥ 6.2): entries after where a previous follower stopped.
      // A stream id's first part is its time in ms, so "since" is a lower bound on ids.
      const oldest = known
        ? `(${known}`
        : this.opts.since !== undefined
          ? String(Math.max(0, Math.floor(this.opts.since)))
          : '-';
      const rows = n > 0 ? ((await client.call('XREVRANGE', s, '+', oldest, 'COUNT', String(n))) as Entry[]) : [];
      if (rows.length) this.ids.set(s, rows[0]![0]);
      else if (!known) this.ids.set(s, n > 0 ? '0-0' : await newestId(client, s));
      for (let i = rows.length - 1; i >= 0; i--) all.push(parseStreamEntry(s, rows[i]![0], rows[i]![1]));
    }
    all.sort((a, b) => a.entry.ts - b.entry.ts);
    if (all.length && !this.disposed) this.opts.onEntries(all);
  }

  /** After a reconnect: is each stream still the history we were reading? */
  private async detectResets(client: RedisLike): Promise<void> {
    for (const s of this.following()) {
      const last = this.ids.get(s) ?? '0-0';
      if (last === '0-0') continue;
      const newest = (await client.call('XREVRANGE', s, '+', '-', 'COUNT', '1')) as Entry[];
      if (!newest.length) {
        this.ids.set(s, '0-0'); // emptied or gone: whatever arrives next is new
        continue;
      }
      const top = newest[0]![0];
      if (compareIds(top, last) >= 0) continue; // our place still exists, or was passed: resume there
      const ours = (await client.call('XRANGE', s, last, last)) as Entry[];
      if (ours.length) continue;
      // Rewound below our place. Time-stamped ids (Redis's own) mean the same history restored
      // from an older snapshot: everything up to its newest entry was read already, and what
      // comes next is newer than that (even from a server whose clock is behind ours).
      // Small ids a writer chose itself mean another history: all of it is new to us.
      this.ids.set(s, isTimeId(top) ? top : '0-0');
    }
  }

  private async readOnce(client: RedisLike, blockMs: number): Promise<void> {
    const streams = this.following();
    if (!streams.length) return sleep(blockMs); // nothing left to follow: idle, not a busy loop
    if (isClusterClient(client)) return this.readEach(client, streams, blockMs);
    const args = [
      'COUNT',
      String(this.opts.count ?? 1000),
      'BLOCK',
      String(blockMs),
      'STREAMS',
      ...streams,
      ...streams.map((s) => this.ids.get(s) ?? '0-0'),
    ];
    const res = (await client.call('XREAD', ...args)) as [string, Entry[]][] | null;
    if (res) this.deliver(res);
  }

  /**
   * On a Redis Cluster one XREAD over streams in different slots is refused (CROSSSLOT), and a
   * blocking XREAD per stream would queue behind each other on a node's one connection: each
   * stream is read without blocking, all at once, and the loop waits a second when none had news.
   */
  private async readEach(client: RedisLike, streams: string[], blockMs: number): Promise<void> {
    const count = String(this.opts.count ?? 1000);
    const replies = await Promise.all(
      streams.map(
        (s) =>
          client.call('XREAD', 'COUNT', count, 'STREAMS', s, this.ids.get(s) ?? '0-0') as Promise<
            [string, Entry[]][] | null
          >,
      ),
    );
    const res = replies.flatMap((r) => r ?? []);
    if (res.length) this.deliver(res);
    else await sleep(Math.min(blockMs, CLUSTER_POLL_MS));
  }

  private deliver(res: [string, Entry[]][]): void {
    if (this.disposed) return;
    const batch: ParsedStreamEntry[] = [];
    for (const [stream, rows] of res) {
      for (const [id, fields] of rows) batch.push(parseStreamEntry(stream, id, fields));
      if (rows.length) this.ids.set(stream, rows[rows.length - 1]![0]);
    }
    if (res.length > 1) batch.sort((a, b) => a.entry.ts - b.entry.ts);
    if (batch.length) this.opts.onEntries(batch);
  }

  private whenReady(client: RedisLike): Promise<void> {
    if (client.status === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        client.off('ready', done);
        client.off('end', ended);
        resolve();
      };
      const ended = () => {
        client.off('ready', done);
        reject(new Error('Connection is closed.'));
      };
      client.on('ready', done);
      client.once('end', ended);
      if (client.status === 'end' && !this.disposed) client.connect().catch(() => undefined);
    });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.client?.disconnect();
    await this.running?.catch(() => undefined);
  }
}

async function newestId(client: RedisLike, stream: string): Promise<string> {
  const rows = (await client.call('XREVRANGE', stream, '+', '-', 'COUNT', '1')) as Entry[];
  return rows[0]?.[0] ?? '0-0';
}

/** Ids from Redis's `*` (or a writer's own clock) start with ms since 1970: after 2001 is ≥ 1e12. */
function isTimeId(id: string): boolean {
  return Number(id.split('-')[0]) >= 1e12;
}

/** Orders stream ids `ms-seq` numerically (string order is wrong for ids of different lengths). */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map((x) => BigInt(x || '0'));
  const [bm, bs] = b.split('-').map((x) => BigInt(x || '0'));
  if (am! !== bm!) return am! < bm! ? -1 : 1;
  const sa = as ?? 0n;
  const sb = bs ?? 0n;
  return sa === sb ? 0 : sa < sb ? -1 : 1;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
