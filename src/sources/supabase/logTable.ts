import type { SupabaseClient } from '@supabase/supabase-js';
import { normaliseLevel, type LogEntry } from '../../core/logEntry';
import { workEventOf } from '../../core/logEvents';
import type { WorkEvent } from '../../core/metrics';
import { createSupabaseClient } from './supabaseClient';
import { describeSupabaseError, supabaseHost } from './supabaseErrors';

export interface LogTableOptions {
  url: string;
  key: string;
  /** Columns `id` (increasing), `worker`, `level`, `message`, `created_at` (sql/supabase-setup.sql). */
  table: string;
  /** Newest rows read when starting. Default 200. */
  backfill?: number;
  /** Epoch ms: the starting read reaches back no further (the charts' longest window). */
  since?: number;
  /** How often new rows are looked for. Default 2000. */
  pollMs?: number;
  /** Where a previous follower stopped (dashboard reopened): only newer rows are read. */
  lastId?: string;
  onEntries(entries: LogEntry[]): void;
  /** Finished tasks told in rows with a `created_at` ("Task 12 completed in 3s"), for the charts. */
  onEvents?(events: WorkEvent[]): void;
  onState?(state: { state: 'following' | 'error'; message?: string }): void;
}

const PAGE = 500;
/** How long an id skipped over is still looked for: longer than a log insert's transaction. */
const GAP_WAIT_MS = 30_000;
/** A jump larger than this is a sequence jump (cache, restart), not rows in flight. */
const MAX_GAP = 100;
/** At most this many ids looked for again (the list goes into the request URL). */
const MAX_GAPS = 200;

/**
 * Tails a Supabase log table in the dashboard, as the Redis log streams are tailed:
 * the newest rows first, then every row with a larger id, in id order, a page at a time.
 * Polls (one small select every 2 s while the dashboard is open) rather than Realtime,
 * so it works on tables not in the publication.
 *
 * Ids come from an identity column, handed out at insert but visible only at commit: two
 * writers can commit out of order, so "id > last seen" alone would skip the one that
 * committed second with the smaller id. Ids skipped over are remembered as gaps and asked
 * for again (`id=in.(…)`) until they show up or `GAP_WAIT_MS` passes — a gap that never
 * fills was a rolled-back insert or a sequence jump.
 */
export class LogTableFollower {
  private readonly client: SupabaseClient;
  private readonly where: string;
  private lastId?: number;
  /** Ids below `lastId` not seen yet, with when they were first missed. */
  private readonly gaps = new Map<number, number>();
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
    const since = this.opts.since;
    const rows = await this.select((q) =>
      (since !== undefined ? q.gte('created_at', new Date(since).toISOString()) : q)
        .order('id', { ascending: false })
        .limit(this.opts.backfill ?? 200),
    );
    this.deliver(rows.reverse());
    // Ids skipped over here are rows from before the window, not rows in flight: asking for them
    // again would bring the old rows back as late ones.
    if (since !== undefined) this.gaps.clear();
    if (this.lastId === undefined && since !== undefined) {
      // Nothing in the window: the tail starts after the newest row, not at the table's first.
      const newest = Number((await this.select((q) => q.order('id', { ascending: false }).limit(1)))[0]?.id);
      if (Number.isInteger(newest)) this.lastId = newest;
    }
    this.lastId ??= 0; // an empty table: follow from the start
  }

  private async follow(): Promise<void> {
    const now = Date.now();
    for (const [id, since] of this.gaps) if (now - since > GAP_WAIT_MS) this.gaps.delete(id);
    for (;;) {
      const late = [...this.gaps.keys()];
      const rows = await this.select((q) =>
        (late.length ? q.or(`id.gt.${this.lastId!},id.in.(${late.join(',')})`) : q.gt('id', this.lastId!))
          .order('id')
          .limit(PAGE),
      );
      this.deliver(rows);
      if (rows.length < PAGE || this.disposed) return;
    }
  }

  /** Notes the ids between the last one seen and `id` as gaps; `id` itself is no longer one. */
  private noteId(id: number): void {
    this.gaps.delete(id);
    const last = this.lastId;
    if (last !== undefined && id <= last) return;
    if (last !== undefined && id - last - 1 <= MAX_GAP) {
      const now = Date.now();
      for (let missing = last + 1; missing < id; missing++) this.gaps.set(missing, now);
    }
    for (const old of this.gaps.keys()) {
      if (this.gaps.size <= MAX_GAPS) break;
      this.gaps.delete(old);
    }
    this.lastId = id;
  }

  private async select(
    shape: (
      q: ReturnType<ReturnType<SupabaseClient['from']>['select']>,
    ) => PromiseLike<{ data: unknown; error: unknown; status: number }>,
  ): Promise<Row[]> {
    const { data, error, status } = await shape(
      this.client.from(this.opts.table).select('id,worker,level,message,created_at'),
    );
    if (error)
      throw Object.assign(new Error((error as { message?: string }).message ?? String(error)), {
        code: (error as { code?: string }).code,
        status,
      });
    return (data ?? []) as Row[];
  }

  private deliver(rows: Row[]): void {
    if (!rows.length || this.disposed) return;
    const entries: LogEntry[] = [];
    const events: WorkEvent[] = [];
    for (const r of rows) {
      const id = Number(r.id);
      if (Number.isInteger(id)) this.noteId(id);
      const ts = Date.parse(String(r.created_at ?? ''));
      entries.push({
        ts: Number.isFinite(ts) ? ts : Date.now(),
        worker: typeof r.worker === 'string' && r.worker ? r.worker : undefined,
        level: normaliseLevel(r.level),
        message: typeof r.message === 'string' ? r.message : r.message == null ? '' : JSON.stringify(r.message),
        source: this.opts.table,
        id: String(r.id),
      });
      // Only a row with its own time counts: one without would be counted at the reading time.
      const event = Number.isFinite(ts) ? workEventOf(entries[entries.length - 1]!) : undefined;
      if (event) events.push(event);
    }
    this.opts.onEntries(entries);
    if (events.length) this.opts.onEvents?.(events);
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
