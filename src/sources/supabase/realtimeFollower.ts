import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';

/** What the follower tells its source. */
export interface RealtimeEvents {
  /** Realtime confirmed the subscription: changes will arrive. Reconcile now. */
  live(): void;
  /** Changes will not arrive (or no longer): poll, and say why (`detail` is for the log). */
  fallback(reason: string, detail?: string): void;
  /** A row was inserted or updated: its new values. */
  row(record: Record<string, unknown>): void;
  /** A row was deleted: its old values (at least the primary key). */
  deleted(oldRecord: Record<string, unknown>): void;
  /** A change arrived that cannot be applied as is (Realtime's own errors field): re-read. */
  resync(reason: string): void;
}

/**
 * Follows `postgres_changes` on one table through Supabase Realtime.
 *
 * Realtime answers a channel join before it has set up the change feed; only its
 * `system` message ("Subscribed to PostgreSQL", extension postgres_changes) says the
 * feed is on, and an error `system` message says it never will be (the table is not in
 * the supabase_realtime publication, or RLS hides it). So the source keeps polling until
 * `live()`, and goes back to polling on any error, closed channel or lost socket;
 * realtime-js rejoins by itself after a reconnect, and the next system message makes it
 * live again. After a refusal the channel is dropped and tried again later, so a
 * publication added meanwhile is picked up without a reload.
 */
export class RealtimeFollower {
  private channel?: RealtimeChannel;
  private retryTimer?: NodeJS.Timeout;
  private isLive = false;
  private disposed = false;

  constructor(
    private readonly client: SupabaseClient,
    private readonly table: string,
    private readonly schema: string,
    private readonly events: RealtimeEvents,
    private readonly retryAfterMs = 60_000,
  ) {}

  get live(): boolean {
    return this.isLive;
  }

  start(): void {
    if (this.disposed) return;
    const channel = this.client.channel(`worker-lens:${this.schema}.${this.table}`);
    this.channel = channel;
    channel
      .on('postgres_changes', { event: '*', schema: this.schema, table: this.table }, (p) =>
        this.onChange(p as unknown as ChangePayload),
      )
      .on('system', {}, (p: SystemPayload) => this.onSystem(channel, p))
      .subscribe((status, err) => {
        if (this.disposed || channel !== this.channel) return;
        // SUBSCRIBED is only the join reply: wait for the system message to trust it.
        if (status === 'SUBSCRIBED') return;
        if (status === 'TIMED_OUT') this.goFallback('Realtime did not answer the subscription in time');
        else if (status === 'CHANNEL_ERROR')
          this.goFallback(`Realtime connection lost${err?.message ? ` (${err.message})` : ''}; reconnecting`);
        else if (status === 'CLOSED') {
          // Closed by the server (we never close a channel we still follow): join again later.
          this.goFallback('Realtime closed the channel');
          this.retryLater();
        }
      });
  }

  private onSystem(channel: RealtimeChannel, p: SystemPayload): void {
    if (this.disposed || channel !== this.channel || (p.extension && p.extension !== 'postgres_changes')) return;
    if (p.status === 'ok') {
      if (!this.isLive) {
        this.isLive = true;
        this.events.live();
      }
      return;
    }
    // Refused: the feed will not start on this channel. Drop it, retry later.
    // The view gets what to do; the log gets Realtime's own words too.
    this.goFallback(
      `Realtime refused the change feed for ${this.table}: add it to the supabase_realtime publication and give the key's role a select policy (sql/supabase-setup.sql)`,
      `Realtime said: ${p.message ?? 'no reason given'}`,
    );
    this.channel = undefined;
    void this.client.removeChannel(channel).catch(() => undefined);
    this.retryLater();
  }

  private retryLater(): void {
    this.channel = undefined;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.start(), this.retryAfterMs);
  }

  private onChange(p: ChangePayload): void {
    if (this.disposed) return;
    if (p.errors?.length) {
      this.events.resync(`Realtime change with errors: ${p.errors.join('; ')}`);
      return;
    }
    if (p.eventType === 'DELETE') this.events.deleted(p.old ?? {});
    else this.events.row(p.new ?? {});
  }

  private goFallback(reason: string, detail?: string): void {
    this.isLive = false;
    this.events.fallback(reason, detail);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.retryTimer);
    await this.client.removeAllChannels().catch(() => undefined);
    // removeAllChannels leaves the socket open when nothing was joined; close it too.
    await Promise.resolve(this.client.realtime.disconnect()).catch(() => undefined);
  }
}

interface SystemPayload {
  status?: string;
  message?: string;
  extension?: string;
}

interface ChangePayload {
  eventType: 'INSERT' | 'UPDATE' | 'DELETE';
  new?: Record<string, unknown>;
  old?: Record<string, unknown>;
  errors?: string[] | null;
}
