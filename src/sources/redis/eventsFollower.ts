import type { Redis } from 'ioredis';
import { workerIdsFromEntry } from './eventEntry';
import { isRefusedCommand } from './redisErrors';
import { createClient } from './redisClient';
import { nonStreams } from './streamTypes';

/**
 * - `down`: not connected (yet), or not yet initialised;
 * - `listening`: reading, but no entry so far named a worker;
 * - `active`: reading, and the streams do name workers — a push path worth relying on;
 * - `unavailable`: refused (ACL, no usable stream): stopped for good.
 */
export type FollowerStatus = 'down' | 'listening' | 'active' | 'unavailable';

export interface EventsFollowerOptions {
  url: string;
  password?: string;
  streams: string[];
  stateTemplate: string;
  onIds(ids: string[]): void;
  onStatus(status: FollowerStatus): void;
  log(level: 'info' | 'warn' | 'debug', message: string): void;
  /** How long one XREAD blocks. Longer = fewer idle commands; each ends a blocking read, nothing more. */
  blockMs?: number;
  count?: number;
}

type XReadReply = [stream: string, entries: [id: string, fields: string[]][]][];

/**
 * Follows the workers' own event streams with XREAD BLOCK on a dedicated
 * connection (a blocked connection can run nothing else).
 *
 * Resuming: the position in each stream is a concrete id — the stream's last entry
 * when we first connect (read with XREVRANGE), then the last entry we saw. We never
 * read from `$`: after a reconnect that would silently skip every entry written
 * while we were away. A stream that does not exist yet starts at `0-0`, which is
 * exactly "everything written from now on".
 */
export class EventsFollower {
  private client?: Redis;
  private streams: string[];
  private readonly positions = new Map<string, string>();
  private initialised = false;
  private namesWorkers = false;
  private disposed = false;
  private status: FollowerStatus = 'down';
  private wake?: () => void;
  /** Entries read since start (for tests and the benchmark). */
  entriesSeen = 0;

  constructor(private readonly opts: EventsFollowerOptions) {
    this.streams = [...new Set(opts.streams)]; // XREAD rejects a stream named twice
  }

  /** Last id read per stream: where a reconnect resumes. */
  get lastIds(): ReadonlyMap<string, string> {
    return this.positions;
  }

  get state(): FollowerStatus {
    return this.status;
  }

  start(): void {
    const blockMs = this.opts.blockMs ?? 5000;
    // The command timeout must outlast the block, or every quiet period looks like a failure.
    const client = createClient(this.opts.url, this.opts.password, {
      connectionName: 'worker-lens:events',
      commandTimeout: blockMs + 5000,
    });
    this.client = client;
    client.on('error', () => undefined); // reconnects on its own; the main connection reports errors
    client.on('ready', () => this.wake?.());
    client.on('close', () => this.setStatus('down'));
    client.connect().catch(() => undefined);
    void this.loop(client, blockMs);
  }

  private async loop(client: Redis, blockMs: number): Promise<void> {
    let wasDown = false;
    while (!this.disposed) {
      if (client.status !== 'ready') {
        wasDown = this.initialised;
        await this.untilReady(client);
        continue;
      }
      try {
        if (!this.initialised && !(await this.init(client))) {
          this.opts.log('debug', 'Events stream: none of the configured keys is a stream; not following.');
          return this.setStatus('unavailable');
        }
        if (wasDown && this.initialised)
          this.opts.log('debug', `Events stream: resuming after reconnect from ${this.describePositions()}`);
        wasDown = false;
        this.setStatus(this.namesWorkers ? 'active' : 'listening');
        const ids = this.streams.map((s) => this.positions.get(s) ?? '0-0');
        const reply = (await client.call(
          'XREAD',
          'COUNT',
          String(this.opts.count ?? 1000),
          'BLOCK',
          String(blockMs),
          'STREAMS',
          ...this.streams,
          ...ids,
        )) as XReadReply | null;
        if (reply) this.handle(reply);
      } catch (err) {
        if (this.disposed) return;
        if (isRefusedCommand(err)) {
          this.opts.log('debug', `Events stream not available: ${(err as Error).message}`);
          return this.setStatus('unavailable');
        }
        if (/WRONGTYPE/.test((err as Error).message) && (await this.dropWrongTypes(client))) continue;
        this.setStatus('down');
        // A connection error: the next turn waits for 'ready'. Anything else: back off, don't spin.
        if (client.status === 'ready') await this.pause(1000);
      }
    }
  }

  /** Where each stream ends now, and whether its last entry already names a worker. False: nothing to follow. */
  private async init(client: Redis): Promise<boolean> {
    const pipe = client.pipeline();
    for (const s of this.streams) pipe.xrevrange(s, '+', '-', 'COUNT', 1);
    const res = (await pipe.exec()) ?? [];
    if (res.length === 0) throw new Error('Connection is closed.');
    const usable: string[] = [];
    res.forEach(([err, entries], i) => {
      const stream = this.streams[i];
      if (err) {
        if (/WRONGTYPE/.test(err.message))
          this.opts.log('warn', `Events stream: "${stream}" is not a stream; not following it.`);
        else throw err;
        return;
      }
      usable.push(stream);
      const last = (entries as [string, string[]][])[0];
      this.positions.set(stream, last?.[0] ?? '0-0');
      if (last && workerIdsFromEntry(last[1], this.opts.stateTemplate).length) this.namesWorkers = true;
    });
    this.streams = usable;
    this.initialised = usable.length > 0;
    return this.initialised;
  }

  private handle(reply: XReadReply): void {
    const ids = new Set<string>();
    for (const [stream, entries] of reply) {
      for (const [id, fields] of entries) {
        this.positions.set(stream, id);
        this.entriesSeen++;
        for (const w of workerIdsFromEntry(fields, this.opts.stateTemplate)) ids.add(w);
      }
    }
    if (ids.size && !this.namesWorkers) {
      this.namesWorkers = true;
      this.setStatus('active');
    }
    if (ids.size) this.opts.onIds([...ids]);
  }

  /** A followed key was replaced by a non-stream: stop following that one only. */
  private async dropWrongTypes(client: Redis): Promise<boolean> {
    try {
      const wrong = await nonStreams(client, this.streams);
      const keep = this.streams.filter((s) => !wrong.has(s));
      if (wrong.size === 0 || keep.length === 0) return false;
      for (const s of wrong.keys()) this.opts.log('warn', `Events stream: "${s}" is not a stream; not following it.`);
      this.streams = keep;
      return true;
    } catch {
      return false;
    }
  }

  private describePositions(): string {
    return this.streams.map((s) => `${s}@${this.positions.get(s) ?? '0-0'}`).join(', ');
  }

  private setStatus(s: FollowerStatus): void {
    if (s === this.status || this.disposed) return;
    this.status = s;
    this.opts.onStatus(s);
  }

  private untilReady(client: Redis): Promise<void> {
    return new Promise((resolve) => {
      if (this.disposed || client.status === 'ready') return resolve();
      this.wake = () => {
        this.wake = undefined;
        resolve();
      };
    });
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }

  dispose(): void {
    this.disposed = true;
    this.wake?.();
    this.client?.disconnect();
    this.client = undefined;
  }
}
