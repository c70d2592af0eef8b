import type { SupabaseClient } from '@supabase/supabase-js';
import { createSupabaseClient } from '../sources/supabase/supabaseClient';
import { describeSupabaseError, supabaseHost } from '../sources/supabase/supabaseErrors';
import { DEFAULT_COMMANDS_TABLE, toRow, type CommandRow } from './commandRow';
import {
  formatWait,
  NO_SUPERVISOR,
  type ControlRequest,
  type ControlRequester,
  type Outcome,
  type SendOptions,
} from './request';

export interface SupabaseRequesterOptions {
  url: string;
  /** A signed-in user's key (or the service key): the anon key may not request (see the SQL). */
  key: string;
  table?: string;
  timeoutMs: number;
  /** How often the request's row is read back while waiting. Default 250. */
  pollMs?: number;
}

/**
 * Store mode on Supabase: each request is one row of `worker_commands`; the row is read
 * back by its primary key until a supervisor has answered. One small select every
 * 250 ms for at most the wait (30 s by default), only while a request is outstanding.
 */
export class SupabaseStoreRequester implements ControlRequester {
  private readonly client: SupabaseClient;
  private readonly table: string;
  private readonly where: string;
  private disposed = false;
  private readonly aborts = new Set<AbortController>();

  constructor(private readonly opts: SupabaseRequesterOptions) {
    this.table = opts.table || DEFAULT_COMMANDS_TABLE;
    this.where = supabaseHost(opts.url);
    this.client = createSupabaseClient(opts.url, opts.key);
  }

  describe(r: ControlRequest): string {
    return `add a ${r.action} request to the ${this.table} table at ${this.where} for a supervisor to carry out`;
  }

  async send(r: ControlRequest, opts: SendOptions = {}): Promise<Outcome> {
    if (this.disposed) return { status: 'failed', message: 'the connection was closed' };
    const timeoutMs = r.timeoutMs ?? this.opts.timeoutMs;
    const stop = new AbortController();
    this.aborts.add(stop);
    const onAbort = () => stop.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const ins = await this.client.from(this.table).insert(toRow({ ...r, timeoutMs }));
      if (ins.error) return { status: 'failed', message: this.describeWrite(ins.error, ins.status) };
      const deadline = Date.now() + timeoutMs;
      let accepted: string | undefined;
      while (!stop.signal.aborted) {
        const { data, error } = await this.client
          .from(this.table)
          .select('status,message,supervisor')
          .eq('id', r.id)
          .maybeSingle<Pick<CommandRow, 'status' | 'message' | 'supervisor'>>();
        if (!error && data) {
          if (data.status === 'done' || data.status === 'failed')
            return { status: data.status, message: data.message ?? '' };
          if (data.status === 'accepted' && accepted === undefined) {
            accepted = data.supervisor ?? 'a supervisor';
            opts.onAccepted?.(`${accepted}: ${data.message ?? 'accepted'}`);
          }
        }
        if (Date.now() >= deadline) return await this.giveUp(r.id, timeoutMs, accepted);
        await sleep(Math.min(this.opts.pollMs ?? 250, Math.max(0, deadline - Date.now())), stop.signal);
      }
      return {
        status: 'cancelled',
        message: this.disposed ? 'the connection was closed' : 'stopped waiting; a supervisor may still carry it out',
      };
    } catch (err) {
      return { status: 'failed', message: describeSupabaseError(err as Error, this.table, this.where) };
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      this.aborts.delete(stop);
    }
  }

  /**
   * Out of time. If nobody claimed it, mark it expired — only while still pending — so
   * no supervisor starts it late; if one claimed it meanwhile, say so instead.
   */
  private async giveUp(id: string, timeoutMs: number, accepted: string | undefined): Promise<Outcome> {
    const wait = formatWait(timeoutMs);
    if (accepted === undefined) {
      const { data, error, status } = await this.client
        .from(this.table)
        .update({ status: 'expired', message: `${NO_SUPERVISOR} within ${wait}` })
        .eq('id', id)
        .eq('status', 'pending')
        .select('id');
      if (error) {
        // The store went away while we waited: we cannot know, or stop, what happens to it.
        const why = describeSupabaseError({ ...error, status }, this.table, this.where);
        return {
          status: 'timeout',
          message: `${NO_SUPERVISOR} within ${wait}, and the request could not be marked expired (${why}): a supervisor may still carry it out`,
        };
      }
      if (data?.length)
        return {
          status: 'timeout',
          message: `${NO_SUPERVISOR} within ${wait}: is a supervisor running and reading the ${this.table} table?`,
        };
      // Not pending any more: a supervisor claimed it just as the wait ended.
    }
    return {
      status: 'timeout',
      message: `a supervisor accepted it${accepted ? ` (${accepted})` : ''} but reported no result within ${wait}`,
    };
  }

  private describeWrite(err: { code?: string; message?: string }, status: number): string {
    if (err.code === '42501' || status === 403 || (status === 401 && !/JWT/i.test(err.message ?? ''))) {
      return `this key may not add requests to ${this.table} at ${this.where} (${err.code || status}): requests need a signed-in user's key or the service key, and the insert policy in sql/supabase-setup.sql`;
    }
    return describeSupabaseError({ ...err, status }, this.table, this.where);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const a of this.aborts) a.abort();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
