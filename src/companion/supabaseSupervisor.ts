import { hostname } from 'node:os';
import { definedOnly } from '../core/definedOnly';
import type { SupabaseClient } from '@supabase/supabase-js';
import { createSupabaseClient } from '../sources/supabase/supabaseClient';
import { DEFAULT_COMMANDS_TABLE, fromRow, type CommandRow } from '../control/commandRow';
import { summary, type ControlRequest } from '../control/request';
import { describeSupabaseError, supabaseHost } from '../sources/supabase/supabaseErrors';
import { carryOut, type SupervisorCommonOptions } from './carryOut';
import type { Lease } from './leash';

export interface SupabaseSupervisorOptions extends SupervisorCommonOptions {
  url: string;
  /** The service_role key: it reads every request and writes results past RLS. */
  key: string;
  table?: string;
  /** How often pending rows are looked for. Default 1000. */
  pollMs?: number;
}

const COLUMNS = 'id,action,worker,count,requested_by,requested_at,timeout_ms,status,supervisor,updated_at';

/**
 * The supervisor's Supabase mode: carries out the rows of `worker_commands`.
 *
 * - Claims a pending row by moving it to `accepted` with a compare-and-set on its status
 *   (an UPDATE … WHERE status = 'pending'): of several supervisors exactly one gets it,
 *   and never one the editor has already marked `expired`.
 * - While running it renews `updated_at`; a row left `accepted` by a supervisor that
 *   went silent for `claimIdleMs` is taken over, again by compare-and-set (on the
 *   `updated_at` it saw), and is refused once older than `maxRetryAgeMs`.
 * - Polls (one small select a second): a daemon should not depend on Realtime being
 *   enabled for the commands table.
 * Clocks: ages compare the database's `requested_at` with this machine's clock, so keep
 * it roughly right (NTP); the editor's own expiry does not depend on it.
 */
export class SupabaseSupervisor {
  readonly consumer: string;
  private readonly client: SupabaseClient;
  private readonly table: string;
  private readonly where: string;
  private readonly o: Required<
    Pick<
      SupabaseSupervisorOptions,
      'claimIdleMs' | 'runTimeoutMs' | 'maxRetryAgeMs' | 'maxCount' | 'concurrency' | 'pollMs'
    >
  > &
    SupabaseSupervisorOptions;
  private readonly inflight = new Map<string, Promise<void>>();
  private stopping = false;
  private loopDone?: Promise<void>;
  private wake?: () => void;

  constructor(opts: SupabaseSupervisorOptions) {
    this.o = {
      claimIdleMs: 10_000,
      runTimeoutMs: 120_000,
      maxRetryAgeMs: 600_000,
      maxCount: 100,
      concurrency: 4,
      pollMs: 1000,
      ...definedOnly(opts),
      url: opts.url,
      key: opts.key,
    };
    this.consumer = opts.consumer ?? `${hostname()}:${process.pid}`;
    this.table = opts.table || DEFAULT_COMMANDS_TABLE;
    this.where = supabaseHost(opts.url);
    this.client = createSupabaseClient(opts.url, opts.key);
  }

  /** Starts the pool and the loop; resolves once the table has been read once (or the failure logged). */
  async start(): Promise<void> {
    this.o.pool?.start();
    let first!: () => void;
    const firstRead = new Promise<void>((r) => (first = r));
    this.loopDone = this.loop(first);
    await firstRead;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loopDone;
    await Promise.all(this.inflight.values());
    await this.o.pool?.stop();
  }

  private async loop(firstRead: () => void): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        await this.takeOverStale();
        const room = this.o.concurrency - this.inflight.size;
        if (room > 0) {
          const { data, error, status } = await this.client
            .from(this.table)
            .select(COLUMNS)
            .eq('status', 'pending')
            .order('requested_at')
            .limit(room + this.inflight.size);
          if (error) throw Object.assign(new Error(error.message), { code: error.code, status });
          for (const row of (data ?? []) as unknown as CommandRow[])
            if (!this.inflight.has(row.id)) this.track(row.id, this.claim(row));
        }
        if (failures) this.log('info', `reading ${this.table} at ${this.where} again`);
        failures = 0;
      } catch (err) {
        if (failures++ % 20 === 0) this.log('warn', describeSupabaseError(err as Error, this.table, this.where));
      }
      firstRead();
      await new Promise<void>((r) => {
        const t = setTimeout(
          r,
          failures ? Math.min(10_000, this.o.pollMs * 2 ** Math.min(failures, 4)) : this.o.pollMs,
        );
        this.wake = () => (clearTimeout(t), r());
      });
    }
  }

  private track(id: string, p: Promise<void>): void {
    const t = p
      .catch((err) => this.log('error', `request ${id} failed: ${String(err)}`))
      .finally(() => this.inflight.delete(id));
    this.inflight.set(id, t);
  }

  /** Moves the row to `accepted` only if it is still pending: the one winner carries it out. */
  private async claim(row: CommandRow): Promise<void> {
    const parsed = fromRow(row);
    const expired = parsed.request && this.tooOld(row, row.timeout_ms ?? this.o.maxRetryAgeMs);
    const refusal = parsed.error ? `refused: ${parsed.error}` : expired;
    const next = refusal
      ? { status: 'failed', message: refusal }
      : { status: 'accepted', message: `${summary(parsed.request!)} accepted` };
    const asked = Date.now();
    const won = await this.move(row.id, 'pending', { ...next, supervisor: this.consumer });
    if (!won) return; // another supervisor, or the editor's expiry, got there first
    if (refusal) {
      this.log('warn', `request ${row.id}: ${refusal}`);
      return;
    }
    await this.run(parsed.request!.id, parsed.request!, row.requested_by, false, asked);
  }

  /** Rows accepted by a supervisor that stopped renewing them: take them over (or refuse them when too old). */
  private async takeOverStale(): Promise<void> {
    const cutoff = new Date(Date.now() - this.o.claimIdleMs).toISOString();
    const { data } = await this.client
      .from(this.table)
      .select(COLUMNS)
      .eq('status', 'accepted')
      .lt('updated_at', cutoff)
      .limit(10);
    for (const row of (data ?? []) as unknown as CommandRow[]) {
      if (this.inflight.has(row.id)) continue;
      const parsed = fromRow(row);
      const refusal = parsed.error
        ? `refused: ${parsed.error}`
        : this.tooOld(row, Math.max(row.timeout_ms ?? 0, this.o.maxRetryAgeMs));
      // Compare-and-set on the updated_at we saw: a supervisor that renewed it meanwhile keeps it.
      const asked = Date.now();
      const q = this.client
        .from(this.table)
        .update(
          refusal
            ? { status: 'failed', message: refusal, supervisor: this.consumer, updated_at: new Date().toISOString() }
            : { supervisor: this.consumer, updated_at: new Date().toISOString() },
        )
        .eq('id', row.id)
        .eq('status', 'accepted')
        .eq('updated_at', row.updated_at!)
        .select('id');
      const { data: won } = await q;
      if (!won?.length || refusal || !parsed.request) continue;
      this.track(row.id, this.run(row.id, parsed.request, row.requested_by, true, asked));
    }
  }

  /**
   * Carries out a row we hold. The hold is a lease (leash.ts): `updated_at` renewed while the
   * program runs; a peer takes the row over only once it is `claimIdleMs` old, and the
   * program is stopped a quarter of that before — when this process dies or stops renewing.
   */
  private async run(id: string, r: ControlRequest, by: string, takenOver: boolean, asked: number): Promise<void> {
    const holdMs = this.o.claimIdleMs;
    const margin = holdMs / 4;
    const lease: Lease = { validUntil: asked + holdMs - margin };
    const renew = async (): Promise<boolean | undefined> => {
      const sent = Date.now();
      const { data, error } = await this.client
        .from(this.table)
        .update({ updated_at: new Date(sent).toISOString() })
        .eq('id', id)
        .eq('supervisor', this.consumer)
        .eq('status', 'accepted')
        .select('id');
      if (error) return undefined; // not renewed this time; the leash stops the program if it lasts
      const ours = Boolean(data?.length);
      if (ours) lease.validUntil = Math.max(lease.validUntil, sent + holdMs - margin);
      lease.onChange?.(ours ? lease.validUntil : undefined);
      return ours;
    };
    const keepAlive = setInterval(() => void renew().catch(() => undefined), Math.max(20, holdMs / 5));
    try {
      if ((await renew().catch(() => undefined)) !== true) {
        this.log(
          'warn',
          `request ${id}: no longer held by this supervisor before it started (stalled or cut off); left to the one that holds it`,
        );
        return;
      }
      this.log('info', `${summary(r)} (request ${id} by ${by}${takenOver ? ', taken over' : ''})`);
      const { ok, message } = await carryOut(r, {
        ...this.o,
        name: this.consumer,
        lease,
        log: (line) => this.log('info', line),
      });
      this.log(ok ? 'info' : 'warn', `${summary(r)}: ${ok ? 'done' : 'failed'} — ${message}`);
      await this.finish(id, ok ? 'done' : 'failed', message);
    } finally {
      clearInterval(keepAlive);
    }
  }

  /**
   * The result, retried while the store is away: the user is waiting for it. Written only
   * while the row is still ours (a fencing check): one taken over meanwhile is answered by
   * the supervisor that holds it.
   */
  private async finish(id: string, status: 'done' | 'failed', message: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const { data, error } = await this.client
        .from(this.table)
        .update({ status, message, updated_at: new Date().toISOString() })
        .eq('id', id)
        .eq('supervisor', this.consumer)
        .eq('status', 'accepted')
        .select('id');
      if (!error && !data?.length)
        this.log(
          'warn',
          `request ${id}: not answered from here — another supervisor took it over while this one stalled`,
        );
      if (!error) return;
      if (attempt >= 5 || this.stopping) {
        this.log(
          'error',
          `could not record the result of ${id}: ${describeSupabaseError(error, this.table, this.where)}`,
        );
        return;
      }
      await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
    }
  }

  /** Compare-and-set on status; true when this call made the change. */
  private async move(id: string, from: string, to: Record<string, unknown>): Promise<boolean> {
    const { data, error } = await this.client
      .from(this.table)
      .update({ ...to, updated_at: new Date().toISOString() })
      .eq('id', id)
      .eq('status', from)
      .select('id');
    if (error) throw Object.assign(new Error(error.message), { code: error.code });
    return Boolean(data?.length);
  }

  private tooOld(row: CommandRow, limitMs: number): string | undefined {
    const age = Date.now() - Date.parse(row.requested_at ?? '');
    if (!(age >= limitMs)) return undefined;
    return `expired: first picked up ${Math.round(age / 1000)} s after it was sent; the requester had already stopped waiting`;
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.o.log?.(level, message);
  }
}
