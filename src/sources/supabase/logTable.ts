import type { SupabaseClient } from '@supabase/supabase-js';
import { normaliseLevel, type LogEntry } from '../../core/logEntry';
import { createSupabaseClient } from './supabaseClient';
import { describeSupabaseError, supabaseHost } from './supabaseErrors';

export interface LogTableOptions {
  url: string;
  key: string;
  /** Columns `id` (increasing), `worker`, `level`, `message`, `created_at` (sql/supabase-setup.sql). */
  table: string;
  /** Newest rows read when starting. Default 200. */
  backfill?: number;
  /** How often new rows are looked for. Default 2000. */
  pollMs?: number;
  /** Where a previous follower stopped (dashboard reopened): only newer rows are read. */
  lastId?: string;
  onEntries(entries: LogEntry[]): void;
  onState?(state: { state: 'following' | 'error'; message?: string }): void;
}

const PAGE = 500;

/**
 * Tails a Supabase log table in the dashboard, as the Redis log streams are tailed:
 * the newest rows first, then every row with a larger id, in id order, a page at a time.
 * Polls (one small select every 2 s while the dashboard is open) rather than Realtime,
 * so it works on tables not in the publication. Ids come from an identity column: a row
 * committed late with a smaller id than one already seen would be missed (rare: two
 * writers inserting in the same instant); the worker table itself never depends on this.
 */
export class LogTableFollower {
  private readonly client: SupabaseClient;
  private readonly where: string;
  private lastId?: number;
  private timer?: NodeJS.Timeout;
  private disposed = false;
  private lastError?: string;
  private started = false;

  constructor(private readonly opts: LogTableOptions) {
    this.client = createSupabaseClient(opts.url, opts.key);
    this.where = supabaseHost(opts.url);
    const resume = Number(opts.lastId);
    if (opts.lastId !== undefined && Number.isFinite(resume)) this.lastId = resume;
  }

  /** The last row delivered, to hand to the next follower. */
  get resumeId(): string | undefined {
    return this.lastId === undefined ? undefined : String(this.lastId);
  }

  start(): void {
    void this.tick();
  }

  private async tick(): Promise<void> {
    if (this.disposed) return;
    try {
      await (this.lastId === undefined ? this.backfill() : this.follow());
      if (this.lastError !== undefined || !this.started) this.opts.onState?.({ state: 'following' });
      this.started = true;
      this.lastError = undefined;
    } catch (err) {
      const message = describeSupabaseError(err as Error, this.opts.table, this.where);
      if (message !== this.lastError) this.opts.onState?.({ state: 'error', message });
      this.lastError = message;
    }
    if (!this.disposed) this.timer = setTimeout(() => void this.tick(), this.opts.pollMs ?? 2000);
  }

  private async backfill(): Promise<void> {
    const rows = await this.select((q) => q.order('id', { ascending: false }).limit(this.opts.backfill ?? 200));
    this.deliver(rows.reverse());
    this.lastId ??= 0; // an empty table: follow from the start
  }

  private async follow(): Promise<void> {
    for (;;) {
      const rows = await this.select((q) => q.gt('id', this.lastId!).order('id').limit(PAGE));
      this.deliver(rows);
      if (rows.length < PAGE || this.disposed) return;
    }
  }

  private async select(shape: (q: ReturnType<ReturnType<SupabaseClient['from']>['select']>) => PromiseLike<{ data: unknown; error: unknown; status: number }>): Promise<Row[]> {
    const { data, error, status } = await shape(this.client.from(this.opts.table).select('id,worker,level,message,created_at'));
    if (error) throw Object.assign(new Error((error as { message?: string }).message ?? String(error)), { code: (error as { code?: string }).code, status });
    return (data ?? []) as Row[];
  }

  private deliver(rows: Row[]): void {
    if (!rows.length || this.disposed) return;
    const entries: LogEntry[] = [];
    for (const r of rows) {
      const id = Number(r.id);
      if (Number.isFinite(id)) this.lastId = Math.max(this.lastId ?? 0, id);
      const ts = Date.parse(String(r.created_at ?? ''));
      entries.push({
        ts: Number.isFinite(ts) ? ts : Date.now(),
        worker: typeof r.worker === 'string' && r.worker ? r.worker : undefined,
        level: normaliseLevel(r.level),
        message: typeof r.message === 'string' ? r.message : r.message == null ? '' : JSON.stringify(r.message),
        source: this.opts.table,
        id: String(r.id),
      });
    }
    this.opts.onEntries(entries);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.timer);
  }
}

interface Row {
  id: unknown;
  worker?: unknown;
  level?: unknown;
  message?: unknown;
  created_at?: unknown;
}
