import type { Redis } from 'ioredis';
import { redactUrl } from '../core/connectionConfig';
import { createClient } from '../sources/redis/redisClient';
import { describeRedisError } from '../sources/redis/redisErrors';
import {
  formatWait,
  NO_SUPERVISOR,
  resultFromFields,
  toFields,
  type ControlRequest,
  type ControlRequester,
  type Outcome,
  type SendOptions,
} from './request';

export const DEFAULT_COMMANDS_STREAM = 'workerlens:commands';
export const DEFAULT_RESULTS_STREAM = 'workerlens:command-results';
/** Streams are capped (approximately) so a busy fleet does not grow them forever. */
export const STREAM_MAXLEN = 10_000;

export interface RedisRequesterOptions {
  url: string;
  /** From the secret store or `secretEnv`; never from settings. */
  password?: string;
  commandsStream?: string;
  resultsStream?: string;
  /** How long to wait for a result before "no supervisor answered". */
  timeoutMs: number;
  /** One XREAD BLOCK; short so dispose() is prompt. Default 1000. */
  blockMs?: number;
}

interface Waiter {
  accepted?: string;
  settle: (o: Outcome) => void;
  onAccepted?: (message: string) => void;
}

/**
 * Store mode on Redis: each request is an XADD to the commands stream; one shared
 * blocking reader follows the results stream and hands each result to the request
 * waiting for it, so restarting twenty workers costs one reader, not twenty.
 */
export class RedisStoreRequester implements ControlRequester {
  private client?: Redis;
  private reader?: Redis;
  private readonly waiters = new Map<string, Waiter>();
  /** Resolves once the reader knows where the results stream ends; undefined while no reader runs. */
  private readerStarted?: Promise<void>;
  private cursor = '0-0';
  private disposed = false;
  private connecting?: Promise<void>;
  private readonly commands: string;
  private readonly results: string;
  private readonly where: string;

  constructor(private readonly opts: RedisRequesterOptions) {
    this.commands = opts.commandsStream || DEFAULT_COMMANDS_STREAM;
    this.results = opts.resultsStream || DEFAULT_RESULTS_STREAM;
    this.where = redactUrl(opts.url);
  }

  describe(r: ControlRequest): string {
    return `add a ${r.action} request to ${this.commands} on ${this.where} for a supervisor to carry out`;
  }

  async send(r: ControlRequest, opts: SendOptions = {}): Promise<Outcome> {
    if (this.disposed) return { status: 'failed', message: 'the connection was closed' };
    const timeoutMs = r.timeoutMs ?? this.opts.timeoutMs;
    let waiter!: Waiter;
    const outcome = new Promise<Outcome>((settle) => (waiter = { settle, onAccepted: opts.onAccepted }));
    this.waiters.set(r.id, waiter);
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () =>
      waiter.settle({ status: 'cancelled', message: 'stopped waiting; a supervisor may still carry it out' });
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // The reader must know where the results stream ends *before* the request is
      // added, or a fast supervisor's answer could land before the point it reads from.
      await this.startReader();
      await this.connected().then((c) =>
        c.xadd(this.commands, 'MAXLEN', '~', String(STREAM_MAXLEN), '*', ...toFields({ ...r, timeoutMs })),
      );
      // Counted from the write, as the supervisor counts its expiry from the entry's id:
      // once we say "no supervisor answered", no supervisor will still act on it.
      timer = setTimeout(() => {
        const wait = formatWait(timeoutMs);
        waiter.settle(
          waiter.accepted !== undefined
            ? {
                status: 'timeout',
                message: `a supervisor accepted it (${waiter.accepted}) but reported no result within ${wait}`,
              }
            : {
                status: 'timeout',
                message: `${NO_SUPERVISOR} within ${wait}: is a supervisor running and reading ${this.commands}?`,
              },
        );
      }, timeoutMs);
    } catch (err) {
      waiter.settle({ status: 'failed', message: describeRedisError(err, this.where) });
    }
    try {
      return await outcome;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      this.waiters.delete(r.id);
    }
  }

  private async connected(): Promise<Redis> {
    if (!this.client) {
      const c = createClient(this.opts.url, this.opts.password, { connectionName: 'worker-lens-control' });
      c.on('error', () => undefined); // reported per request by the command that fails
      this.client = c;
    }
    const c = this.client;
    // One connect() for concurrent sends: a second call while connecting would throw.
    if (c.status === 'wait' || c.status === 'end')
      this.connecting ??= c.connect().finally(() => (this.connecting = undefined));
    await this.connecting;
    return c;
  }

  private startReader(): Promise<void> {
    if (!this.readerStarted) {
      const started = (async () => {
        const last = (await (await this.connected()).xrevrange(this.results, '+', '-', 'COUNT', 1))[0];
        this.cursor = last ? last[0] : '0-0';
      })();
      this.readerStarted = started;
      started.then(
        () => void this.readLoop(),
        () => (this.readerStarted = undefined),
      );
    }
    return this.readerStarted;
  }

  private async readLoop(): Promise<void> {
    const blockMs = this.opts.blockMs ?? 1000;
    try {
      while (this.waiters.size > 0 && !this.disposed) {
        try {
          if (!this.reader) {
            // Blocking reads get their own connection: they would hold up the XADDs.
            this.reader = createClient(this.opts.url, this.opts.password, {
              connectionName: 'worker-lens-control-results',
              commandTimeout: blockMs + 5000,
            });
            this.reader.on('error', () => undefined);
          }
          if (this.reader.status === 'wait' || this.reader.status === 'end') await this.reader.connect();
          const res = (await this.reader.xread(
            'COUNT',
            100,
            'BLOCK',
            blockMs,
            'STREAMS',
            this.results,
            this.cursor,
          )) as [string, [string, string[]][]][] | null;
          for (const [, entries] of res ?? []) {
            for (const [id, fields] of entries) {
              this.cursor = id;
              this.deliver(fields);
            }
          }
        } catch {
          if (this.disposed) return;
          // The store is unreachable: the waiters' own timeouts tell the user; retry gently.
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    } finally {
      // Synchronous with the last size check, so a new send() always finds a reader or starts one.
      this.readerStarted = undefined;
    }
  }

  private deliver(fields: string[]): void {
    const res = resultFromFields(fields);
    const w = res && this.waiters.get(res.id);
    if (!res || !w) return;
    const who = res.supervisor ? `${res.supervisor}: ${res.message}` : res.message;
    if (res.status === 'accepted') {
      w.accepted = res.supervisor ?? 'a supervisor';
      w.onAccepted?.(who);
    } else {
      w.settle({ status: res.status, message: res.message });
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const w of this.waiters.values()) w.settle({ status: 'cancelled', message: 'the connection was closed' });
    this.client?.disconnect();
    this.reader?.disconnect();
  }
}
