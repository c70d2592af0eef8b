import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import type { FieldMap } from '../../core/record';
import { parseRecord, unreadable } from '../../core/record';
import type { SourceSink, WorkerSource } from '../source';
import { describeSupabaseError } from './supabaseErrors';
import { SUPABASE_HEARTBEAT_COLUMNS, SUPABASE_HEARTBEAT_ID, SUPABASE_HEARTBEAT_TABLE } from './supabasePreset';

export interface SupabaseSourceOptions {
  /** The project URL (https://<project>.supabase.co); supabase-js adds /rest/v1. */
  url: string;
  /** Service or anon key, from the secret store or `secretEnv`; never from settings. */
  key: string;
  table?: string;
  /** Where each field lives; a dotted name reads inside a JSON column ("meta.pid"). */
  columns?: Partial<FieldMap>;
  /** The column naming the worker (one row per worker). */
  idColumn?: string;
  pollMs: number;
}

/**
 * Reads seed 003's heartbeat table (or another layout mapped in `columns`) through
 * PostgREST, one `select` of the mapped columns per poll.
 *
 * Live updates through Realtime `postgres_changes` are the next step (issue 7); until
 * then this polls, and says so in the view.
 */
export class SupabaseSource implements WorkerSource {
  readonly kind = 'supabase';
  private readonly client: SupabaseClient;
  private readonly table: string;
  private readonly fields: FieldMap;
  private readonly idColumn: string;
  private readonly select: string;
  private readonly where: string;
  private sink?: SourceSink;
  private timer?: NodeJS.Timeout;
  private disposed = false;
  private inFlight?: Promise<void>;
  private lastError?: string;

  constructor(private readonly opts: SupabaseSourceOptions) {
    this.table = opts.table ?? SUPABASE_HEARTBEAT_TABLE;
    this.fields = { ...SUPABASE_HEARTBEAT_COLUMNS, ...definedOnly(opts.columns) };
    this.idColumn = opts.idColumn ?? (this.fields.name || SUPABASE_HEARTBEAT_ID);
    // Top-level column names only: a dotted mapping reads inside a JSON column.
    const cols = new Set([this.idColumn, ...Object.values(this.fields).filter((c): c is string => Boolean(c)).map((c) => c.split('.')[0])]);
    this.select = [...cols].join(',');
    this.where = safeHost(opts.url);
    this.client = createClient(opts.url, opts.key, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      // Node 20 (VS Code's extension host) has no global WebSocket.
      realtime: { transport: WebSocket as never },
    });
  }

  start(sink: SourceSink): void {
    this.sink = sink;
    sink.setConnection({ state: 'connecting', message: `Connecting to ${this.where}…` });
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh().finally(() => this.schedule(this.opts.pollMs)), ms);
  }

  refresh(): Promise<void> {
    if (this.disposed || !this.sink) return Promise.resolve();
    this.inFlight ??= this.readAll().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async readAll(): Promise<void> {
    const sink = this.sink!;
    const started = performance.now();
    let message: string | undefined;
    try {
      const { data, error, status } = await this.client.from(this.table).select(this.select).retry(false);
      if (this.disposed) return;
      if (error) message = describeSupabaseError({ ...error, status }, this.table, this.where);
      else {
        const rows = (data ?? []) as unknown as Record<string, unknown>[];
        sink.replaceAll(rows.map((r, i) => this.toSnapshot(r, i)));
        sink.setConnection({ state: 'connected', liveMode: `poll every ${Math.round(this.opts.pollMs / 1000)}s (PostgREST)` });
        sink.log('debug', `Read ${rows.length} workers from ${this.table} in ${(performance.now() - started).toFixed(1)} ms`);
        this.lastError = undefined;
        return;
      }
    } catch (err) {
      message = describeSupabaseError(err as Error, this.table, this.where);
    }
    if (this.disposed) return;
    sink.setConnection({ state: 'error', message });
    if (message !== this.lastError) sink.log('warn', message!);
    this.lastError = message;
  }

  private toSnapshot(row: Record<string, unknown>, i: number) {
    const id = row[this.idColumn];
    if (typeof id !== 'string' || !id) return unreadable(`row-${i + 1}`, `${this.table} row ${i + 1} has no ${this.idColumn}`);
    return parseRecord(id, row, this.fields);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.timer);
    await this.client.removeAllChannels().catch(() => undefined);
  }
}

function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  return o ? (Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === 'string' && v)) as Partial<T>) : {};
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
