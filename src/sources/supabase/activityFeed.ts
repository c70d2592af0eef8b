import type { SourceSink } from '../source';
import { LogTableFollower } from './logTable';

/** The charts' longest window: how far back the log table is read when the dashboard opens. */
const HISTORY_MS = 6 * 60 * 60_000;

export interface SupabaseActivityOptions {
  url: string;
  key: string;
  /** The connection's `logTable`; without one there is no activity to follow. */
  table?: string;
}

/**
 * A Supabase store's activity: its log table, tailed by polling (see LogTableFollower)
 * while asked. The resume point survives a stop/start.
 */
export class SupabaseActivity {
  private follower?: LogTableFollower;
  private resumeId?: string;

  constructor(
    private readonly opts: SupabaseActivityOptions,
    private readonly sink: SourceSink,
  ) {}

  start(): void {
    const table = this.opts.table;
    if (!table) {
      this.sink.activityStatus('Logs: this supabase connection has no log table ("logTable" in its settings).');
      return;
    }
    if (this.follower) return;
    this.follower = new LogTableFollower({
      url: this.opts.url,
      key: this.opts.key,
      table,
      lastId: this.resumeId,
      // The dashboard opens on the table's recent history (its newest 1000 rows of the last 6 h), counted in the
      // charts.
      backfill: 1000,
      since: Date.now() - HISTORY_MS,
      onEntries: (entries) => this.sink.logs(entries),
      onEvents: (events) => events.forEach((e) => this.sink.event(e)),
      onState: (s) =>
        this.sink.activityStatus(
          s.state === 'following' ? `Logs: the ${table} table` : `Logs: ${s.message ?? s.state}`,
        ),
    });
    this.follower.start();
  }

  async stop(): Promise<void> {
    const f = this.follower;
    this.follower = undefined;
    if (!f) return;
    this.resumeId = f.resumeId ?? this.resumeId;
    await f.dispose();
  }
}
