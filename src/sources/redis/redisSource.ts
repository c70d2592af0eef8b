import { Redis, type RedisOptions } from 'ioredis';
import { redactUrl, type RedisKeys } from '../../core/connectionConfig';
import type { FieldMap } from '../../core/record';
import type { SourceSink, WorkerSource } from '../source';
import { ORCHESTRATOR_FIELDS, ORCHESTRATOR_KEYS } from './orchestratorPreset';
import { describeRedisError } from './redisErrors';
import { readWorkers } from './readWorkers';

export interface RedisSourceOptions {
  url: string;
  /** From the secret store or `secretEnv`; never from settings. */
  password?: string;
  keys?: Partial<RedisKeys>;
  fields?: Partial<FieldMap>;
  /** Full read every this many ms while no push path is active. */
  pollMs: number;
}

/**
 * Reads a Redis fleet (orchestrator preset by default) and keeps the sink current.
 * Polls for now; push paths plug in beside the poll, which then slows down to a
 * reconciliation pass.
 */
export class RedisSource implements WorkerSource {
  readonly kind = 'redis';
  readonly keys: RedisKeys;
  readonly fields: FieldMap;
  private client?: Redis;
  private sink?: SourceSink;
  private timer?: NodeJS.Timeout;
  private disposed = false;
  private inFlight?: Promise<void>;
  private readonly where: string;

  constructor(private readonly opts: RedisSourceOptions) {
    this.keys = { ...ORCHESTRATOR_KEYS, ...stripUndefined(opts.keys) };
    this.fields = { ...ORCHESTRATOR_FIELDS, ...stripUndefined(opts.fields) };
    this.where = redactUrl(opts.url);
  }

  start(sink: SourceSink): void {
    this.sink = sink;
    this.client = createClient(this.opts.url, this.opts.password);
    // ioredis emits 'error' on every failed reconnect; without a listener Node would throw.
    this.client.on('error', () => undefined);
    this.client.on('ready', () => {
      sink.log('info', `Connected to ${this.where}`);
      void this.refresh();
    });
    sink.setConnection({ state: 'connecting', message: `Connecting to ${this.where}…` });
    this.client.connect().catch(() => undefined); // failures surface through refresh()
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.refresh().finally(() => this.schedule(this.opts.pollMs));
    }, ms);
  }

  /** One full pipelined read. Concurrent callers share the read in flight. */
  refresh(): Promise<void> {
    if (this.disposed || !this.client || !this.sink) return Promise.resolve();
    this.inFlight ??= this.readAll().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async readAll(): Promise<void> {
    const client = this.client!;
    const sink = this.sink!;
    const started = performance.now();
    try {
      const ids = (await client.smembers(this.keys.activeSet)).sort();
      const workers = await readWorkers(client, ids, this.keys, this.fields);
      if (this.disposed) return;
      sink.replaceAll(workers);
      sink.setConnection({ state: 'connected', liveMode: `poll every ${Math.round(this.opts.pollMs / 1000)}s` });
      sink.log('debug', `Read ${workers.length} workers in ${(performance.now() - started).toFixed(1)} ms`);
    } catch (err) {
      if (this.disposed) return;
      const message = describeRedisError(err, this.where);
      sink.setConnection({ state: 'error', message });
      sink.log('warn', message);
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.timer);
    this.client?.disconnect();
  }
}

/** A client that fails fast while disconnected (a poll reports the error) and keeps reconnecting. */
export function createClient(url: string, password?: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    password: password || undefined,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 5000,
    commandTimeout: 5000,
    retryStrategy: (times) => Math.min(250 * 2 ** Math.min(times, 5), 5000),
    ...extra,
  });
}

function stripUndefined<T extends object>(o: T | undefined): Partial<T> {
  if (!o) return {};
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
