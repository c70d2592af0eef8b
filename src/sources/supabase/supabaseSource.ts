import type { SupabaseClient } from '@supabase/supabase-js';
import { createSupabaseClient } from './supabaseClient';
import type { FieldMap } from '../../core/record';
import { parseRecord, unreadable } from '../../core/record';
import type { SourceSink, WorkerSource } from '../source';
import { RealtimeFollower } from './realtimeFollower';
import { SupabaseActivity } from './activityFeed';
import { describeSupabaseError, supabaseHost } from './supabaseErrors';
import { SUPABASE_HEARTBEAT_COLUMNS, SUPABASE_HEARTBEAT_ID, SUPABASE_HEARTBEAT_TABLE } from './supabasePreset';
import { missingColumnIn, names, TableColumns } from './tableColumns';

/** A failed PostgREST request as postgrest-js reports it, with the HTTP status. */
type ReadError = { name?: string; code?: string; message?: string; status?: number };

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
  /** Full read interval while Realtime is not live. */
  pollMs: number;
  /** Full read interval while Realtime is live (repairs whatever a missed change hid). */
  reconcileMs?: number;
  /** Follow Realtime postgres_changes (default on); off means poll only. */
  realtime?: boolean;
  /** After Realtime refused the feed, try again this much later. */
  realtimeRetryMs?: number;
  /** A read with no answer after this long is a failure (a blackholed network, a paused project). Default 10 s. */
  readTimeoutMs?: number;
  /** A table of log lines, tailed while activity is followed. */
  logTable?: string;
}

/**
 * Rows per request. Supabase answers at most 1,000 rows per request by default (its API
 * "max rows"); a fleet read in one request would silently lose every worker past that.
 */
const PAGE = 1000;

/**
 * Reads seed 003's heartbeat table (or another layout mapped in `columns`): a snapshot
 * through PostgREST (one `select` of the mapped columns), then live changes through
 * Realtime `postgres_changes`. Until Realtime confirms the feed, and whenever it is
 * lost or refused, the snapshot is repeated every `pollMs` and the reason is shown; while
 * it is live, a reconciling snapshot runs every `reconcileMs` only.
 */
export class SupabaseSource implements WorkerSource {
  readonly kind = 'supabase';
  private readonly client: SupabaseClient;
  private readonly table: string;
  private readonly fields: FieldMap;
  private readonly idColumn: string;
  /** What the read asks for: the mapped columns, less the optional ones the table lacks. */
  private readonly columns: TableColumns;
  /** When the left-out columns were last looked for again (performance.now()). */
  private lastRecheck = 0;
  private readonly where: string;
  private sink?: SourceSink;
  private timer?: NodeJS.Timeout;
  private disposed = false;
  private inFlight?: Promise<void>;
  private lastError?: string;
  /** A read has succeeded: only then can the view say "connected". */
  private hasRead = false;
  private readonly realtime?: RealtimeFollower;
  /** Why Realtime is not live, for the view and the log (undefined while joining). */
  private fallbackReason?: string;

  constructor(private readonly opts: SupabaseSourceOptions) {
    this.table = opts.table ?? SUPABASE_HEARTBEAT_TABLE;
    // Seed 003's table: the preset's columns, any of them overridden. Another table with
    // its own `columns`: only those (its layout has no reason to share the preset's names).
    const own = this.table !== SUPABASE_HEARTBEAT_TABLE && opts.columns;
    const base: FieldMap = own ? { status: 'status', lastHeartbeat: 'last_heartbeat' } : SUPABASE_HEARTBEAT_COLUMNS;
    this.fields = { ...base, ...columnNamesOnly(opts.columns) };
    this.idColumn = opts.idColumn ?? (this.fields.name || SUPABASE_HEARTBEAT_ID);
    this.columns = new TableColumns(this.fields, this.idColumn, columnNamesOnly(opts.columns));
    this.where = supabaseHost(opts.url);
    this.client = createSupabaseClient(opts.url, opts.key);
    if (opts.realtime !== false) {
      this.realtime = new RealtimeFollower(
        this.client,
        this.table,
        'public',
        {
          live: () => {
            this.fallbackReason = undefined;
            this.sink?.log('info', `Live updates for ${this.table} at ${this.where}: Realtime postgres_changes`);
            // Trusted from now on; one snapshot to cover what changed before the feed began.
            this.schedule(0);
          },
          fallback: (reason, detail) => {
            // realtime-js retries a lost socket every 1–10 s, each retry failing the same way:
            // only a new reason (or leaving live, which clears it) is logged and read at once.
            if (reason === this.fallbackReason) return;
            this.sink?.log(
              'warn',
              `${reason}. Polling every ${Math.round(this.opts.pollMs / 1000)}s meanwhile.${detail ? ` ${detail}` : ''}`,
            );
            this.fallbackReason = reason;
            this.announce();
            this.schedule(0);
          },
          row: (record) => this.sink?.update([this.toSnapshot(record, 0)]),
          deleted: (old) => {
            const raw = old[this.idColumn];
            const id = typeof raw === 'number' ? String(raw) : raw;
            if (typeof id === 'string' && id) this.sink?.update([], [id]);
            else this.schedule(0); // the table's replica identity does not send the key: re-read
          },
          resync: (reason) => {
            this.sink?.log('debug', `${reason}; re-reading ${this.table}`);
            this.schedule(0);
          },
        },
        opts.realtimeRetryMs,
      );
    }
  }

  start(sink: SourceSink): void {
    this.sink = sink;
    sink.setConnection({ state: 'connecting', message: `Connecting to ${this.where}…` });
    this.schedule(0);
    this.realtime?.start();
    if (this.followingActivity) this.followActivity(true);
  }

  private activity?: SupabaseActivity;
  private followingActivity = false;

  followActivity(on: boolean): void {
    this.followingActivity = on;
    if (this.disposed || !this.sink) return; // start() begins it when asked before
    if (on) {
      this.activity ??= new SupabaseActivity(
        { url: this.opts.url, key: this.opts.key, table: this.opts.logTable },
        this.sink,
      );
      this.activity.start();
    } else void this.activity?.stop();
  }

  /** How often the snapshot runs now: rarely while Realtime is live, else every poll. */
  private get intervalMs(): number {
    return this.realtime?.live ? (this.opts.reconcileMs ?? 15_000) : this.opts.pollMs;
  }

  private get liveMode(): string {
    const every = (ms: number) => `${Math.round(ms / 1000)}s`;
    if (this.realtime?.live) return `Realtime (postgres_changes), reconcile every ${every(this.intervalMs)}`;
    return `poll every ${every(this.opts.pollMs)} (PostgREST)`;
  }

  /** Connected: say how updates arrive, and why not live when Realtime is off. */
  private announce(): void {
    if (this.lastError !== undefined || !this.hasRead || !this.sink) return;
    const reason = !this.realtime?.live && this.fallbackReason ? `Polling: ${this.fallbackReason}.` : undefined;
    this.sink.setConnection({ state: 'connected', liveMode: this.liveMode, message: reason });
  }

  private schedule(ms: number): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh().finally(() => this.schedule(this.intervalMs)), ms);
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
      await this.recheckColumns();
      let rows = await this.readPages();
      // A missing optional column is left out and the read repeated, once per connection (the
      // recheck finds it again if it is added later). One row with every column names the
      // other missing ones at once: a round trip each would slow the first read on a far project.
      const left: string[] = [];
      let sampled = false;
      while (!Array.isArray(rows) && !this.disposed) {
        const column = missingColumnIn(rows);
        if (!column || !this.columns.leaveOut(column)) break;
        left.push(column);
        if (!sampled) {
          sampled = true;
          const present = await this.sampleColumns();
          if (present) left.push(...this.columns.leaveOutAllBut(present));
        }
        this.lastRecheck = performance.now();
        if (this.columns.livenessGone) break;
        rows = await this.readPages();
      }
      if (this.disposed) return;
      const gone = this.columns.livenessGone;
      if (left.length && !gone) {
        sink.log(
          'info',
          `${this.table} at ${this.where} has no ${names(left)} column${left.length > 1 ? 's' : ''}: read without ${left.length > 1 ? 'them' : 'it'} (optional${this.table === SUPABASE_HEARTBEAT_TABLE ? '; sql/supabase-setup.sql adds them' : ''}). Looked for again every reconcile.`,
        );
      }
      if (gone)
        message = `${this.table} has ${gone.length > 1 ? `neither ${names(gone, 'nor')}` : `no ${gone[0]} column`}: nothing tells whether a worker is alive. Map "status" or "lastHeartbeat" in the connection's "columns", or add them with sql/supabase-setup.sql.`;
      else if (!Array.isArray(rows)) message = this.describeRead(rows);
      else {
        sink.replaceAll(rows.map((r, i) => this.toSnapshot(r, i)));
        this.lastError = undefined;
        this.hasRead = true;
        this.announce();
        sink.log(
          'debug',
          `Read ${rows.length} workers from ${this.table} in ${(performance.now() - started).toFixed(1)} ms`,
        );
        return;
      }
    } catch (err) {
      message = this.describe(err as Error);
    }
    if (this.disposed) return;
    sink.setConnection({ state: 'error', message });
    if (message !== this.lastError) sink.log('warn', message!);
    this.lastError = message;
  }

  /** While optional columns are left out, once a reconcile interval: were any added since? */
  private async recheckColumns(): Promise<void> {
    if (this.columns.missing.length === 0 || performance.now() - this.lastRecheck < (this.opts.reconcileMs ?? 15_000))
      return;
    this.lastRecheck = performance.now();
    const back = this.columns.readmit((await this.sampleColumns()) ?? []);
    if (back.length) this.sink?.log('info', `${this.table} at ${this.where} now has ${names(back)}: read from now on`);
  }

  /**
   * The table's columns, from one row read with all of them (`select=*` cannot fail on a
   * missing one); undefined for an empty table or a failure, which the read reports.
   */
  private async sampleColumns(): Promise<string[] | undefined> {
    try {
      const { data } = await this.client
        .from(this.table)
        .select('*')
        .limit(1)
        .abortSignal(AbortSignal.timeout(this.opts.readTimeoutMs ?? 10_000))
        .retry(false);
      const row = (data as Record<string, unknown>[] | null)?.[0];
      return row ? Object.keys(row) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The whole table, a page at a time in id order (a stable order, so no row is skipped or
   * read twice between pages), each request given up after `readTimeoutMs`. The first
   * page asks for the exact count, so a server capping pages below PAGE is read to the end
   * too. A PostgREST error comes back as it is.
   */
  private async readPages(): Promise<Record<string, unknown>[] | ReadError> {
    const rows: Record<string, unknown>[] = [];
    let total: number | undefined;
    for (let from = 0; ;) {
      const { data, error, status, count } = await this.client
        .from(this.table)
        .select(this.columns.select, from === 0 ? { count: 'exact' } : undefined)
        .order(this.idColumn)
        .range(from, from + PAGE - 1)
        .abortSignal(AbortSignal.timeout(this.opts.readTimeoutMs ?? 10_000))
        .retry(false);
      if (error) return { ...error, status };
      const page = (data ?? []) as unknown as Record<string, unknown>[];
      if (from === 0 && typeof count === 'number') total = count;
      rows.push(...page);
      from += page.length;
      if (this.disposed || page.length === 0 || (total !== undefined ? from >= total : page.length < PAGE)) return rows;
    }
  }

  /** A failed read in words; a missing column that is not optional names itself and the table. */
  private describeRead(err: ReadError): string {
    const column = missingColumnIn(err);
    if (column === this.idColumn && !this.opts.columns?.name && !this.opts.idColumn) {
      return `The column ${column} is missing in ${this.table}: it names each worker (one row per worker). Create the table with sql/supabase-setup.sql, or map "name" in the connection's "columns".`;
    }
    return this.describe(err);
  }

  /** postgrest-js returns a timed-out fetch as an error ("TimeoutError: …"); said as what it means. */
  private describe(err: ReadError): string {
    if (/TimeoutError|AbortError|aborted due to timeout/i.test(`${err.name ?? ''} ${err.message ?? ''}`)) {
      const s = Math.round((this.opts.readTimeoutMs ?? 10_000) / 1000);
      return `Supabase at ${this.where} did not answer within ${s}s (network, VPN or a paused project?)`;
    }
    return describeSupabaseError(err, this.table, this.where);
  }

  private toSnapshot(row: Record<string, unknown>, i: number) {
    const raw = row[this.idColumn];
    // A number or bigint key is a name too (an integer id column).
    const id = typeof raw === 'number' || typeof raw === 'bigint' ? String(raw) : raw;
    if (typeof id !== 'string' || !id)
      return unreadable(`row-${i + 1}`, `${this.table} row ${i + 1} has no ${this.idColumn}`);
    return parseRecord(id, row, this.fields);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.timer);
    void this.activity?.stop();
    // Leaving the channel waits for Realtime's reply (up to its 10 s timeout on a bad
    // network): a switch of connection should not. The leave finishes on its own.
    const left = this.realtime?.dispose();
    await Promise.race([left, new Promise((r) => setTimeout(r, 1000).unref())]);
  }
}

/** Column names only (settings are user input: anything but a non-empty string is ignored). */
function columnNamesOnly<T extends object>(o: T | undefined): Partial<T> {
  return o ? (Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === 'string' && v)) as Partial<T>) : {};
}
