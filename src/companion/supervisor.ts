import { hostname } from 'node:os';
import { definedOnly } from '../core/definedOnly';
import type { Redis } from 'ioredis';
import { DEFAULT_COMMANDS_STREAM, DEFAULT_RESULTS_STREAM, STREAM_MAXLEN } from '../control/redisRequester';
import { fromFields, resultFields, summary, type ControlRequest, type ResultStatus } from '../control/request';
import { redactUrl } from '../core/connectionConfig';
import { createClient } from '../sources/redis/redisClient';
import { describeRedisError } from '../sources/redis/redisErrors';
import { carryOut, type SupervisorCommonOptions } from './carryOut';
import type { Lease } from './leash';

export interface SupervisorOptions extends SupervisorCommonOptions {
  url: string;
  password?: string;
  commandsStream?: string;
  resultsStream?: string;
  /** Consumer group shared by every supervisor of this fleet. Default `workerlens-supervisors`. */
  group?: string;
  blockMs?: number;
}

/** Renews a lock only while we still own it: a lapsed lock now held by a peer is left alone. */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;

/**
 * The result, done marker, acknowledgement and unlock — only while we still hold the lock
 * (a fencing check): a supervisor that stalled past its lock must not answer for a request
 * another one took over. KEYS: lock, results, done, commands. ARGV: consumer, maxlen,
 * status, group, entry id, then the result's fields.
 */
const FINISH = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 6))
redis.call('SET', KEYS[3], ARGV[3], 'EX', 86400)
redis.call('XACK', KEYS[4], ARGV[4], ARGV[5])
redis.call('DEL', KEYS[1])
return 1`;

/**
 * Carries out restart/scale requests from `workerlens:commands` on the workers' side.
 *
 * - A consumer group spreads requests over every running supervisor; each entry is
 *   acknowledged only after its result is written (one MULTI), so a crash loses nothing.
 * - Entries left pending by a silent supervisor are taken over with XAUTOCLAIM once
 *   idle for `claimIdleMs`. A supervisor still working keeps its entry fresh (XCLAIM
 *   JUSTID) and its lock alive, so a slow restart is never taken over and run twice.
 * - Idempotent by request id: `workerlens:command-lock:{id}` (SET NX PX, renewed while
 *   running) lets one supervisor act; `workerlens:command-done:{id}` makes any later
 *   copy of the same id a no-op.
 * - The lock is a lease the program runs on (leash.ts): it is stopped when this process
 *   dies or stops renewing (stalled, cut off) a margin before the lock can lapse, and the
 *   result is written only while the lock is still ours. So a request taken over is never
 *   run by two supervisors at once, nor answered by the one that lost it.
 */
export class Supervisor {
  readonly consumer: string;
  private readonly o: Required<
    Pick<
      SupervisorOptions,
      | 'commandsStream'
      | 'resultsStream'
      | 'group'
      | 'claimIdleMs'
      | 'runTimeoutMs'
      | 'maxRetryAgeMs'
      | 'maxCount'
      | 'concurrency'
      | 'blockMs'
    >
  > &
    SupervisorOptions;
  private client!: Redis;
  private reader!: Redis;
  private stopping = false;
  private loopDone?: Promise<void>;
  private readonly inflight = new Set<Promise<void>>();
  private nextClaim = 0;
  private readonly where: string;

  constructor(opts: SupervisorOptions) {
    this.o = {
      commandsStream: DEFAULT_COMMANDS_STREAM,
      resultsStream: DEFAULT_RESULTS_STREAM,
      group: 'workerlens-supervisors',
      claimIdleMs: 10_000,
      runTimeoutMs: 120_000,
      maxRetryAgeMs: 600_000,
      maxCount: 100,
      concurrency: 4,
      blockMs: 2000,
      ...definedOnly(opts),
      url: opts.url,
    };
    this.consumer = opts.consumer ?? `${hostname()}:${process.pid}`;
    this.where = redactUrl(opts.url);
  }

  /** Connects and joins the group; resolves when requests are being read. */
  async start(): Promise<void> {
    this.client = createClient(this.o.url, this.o.password, {
      connectionName: `workerlens-supervisor:${this.consumer}`,
      enableOfflineQueue: true,
      maxRetriesPerRequest: 1,
    });
    this.reader = createClient(this.o.url, this.o.password, {
      connectionName: `workerlens-supervisor-read:${this.consumer}`,
      commandTimeout: this.o.blockMs + 5000,
    });
    for (const c of [this.client, this.reader]) c.on('error', () => undefined); // reported by waitReady and the loop
    await this.waitReady(this.client);
    await this.waitReady(this.reader);
    await this.ensureGroup();
    this.o.pool?.start();
    this.loopDone = this.loop();
  }

  /** A daemon waits for its Redis (started later, restarting) instead of exiting; it says why it waits. */
  private async waitReady(c: Redis): Promise<void> {
    let failures = 0;
    const onError = (err: unknown) => {
      if (failures++ % 10 === 0) this.log('warn', `waiting for Redis: ${describeRedisError(err, this.where)}`);
    };
    c.on('error', onError);
    try {
      await new Promise<void>((resolve, reject) => {
        c.once('ready', resolve);
        c.once('end', () => reject(new Error('stopped before Redis was reachable')));
        c.connect().catch(() => undefined); // failures arrive as 'error' events; ioredis keeps retrying
      });
    } finally {
      c.off('error', onError);
    }
  }

  /** Stops reading, lets requests in progress finish, stops the pool's workers. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loopDone;
    await Promise.all(this.inflight);
    await this.o.pool?.stop();
    await this.leaveGroup();
    this.client?.disconnect();
    this.reader?.disconnect();
  }

  /** Every process is a new consumer (host:pid): one that stops with nothing pending removes itself. */
  private async leaveGroup(): Promise<void> {
    try {
      const pending = (await this.client.xpending(
        this.o.commandsStream,
        this.o.group,
        '-',
        '+',
        1,
        this.consumer,
      )) as unknown[];
      if (pending.length === 0)
        await this.client.xgroup('DELCONSUMER', this.o.commandsStream, this.o.group, this.consumer);
    } catch {
      // Not connected or never started: nothing to tidy, and nothing lost by leaving it.
    }
  }

  /**
   * `$` the first time: requests older than every supervisor were already answered with
   * "no supervisor answered". `0` when the group vanished under us (Redis restarted
   * without persistence): the stream then holds only requests written since, and a
   * request is never carried out once older than its timeout anyway (see expired()).
   */
  private async ensureGroup(from: '$' | '0' = '$'): Promise<void> {
    try {
      await this.client.xgroup('CREATE', this.o.commandsStream, this.o.group, from, 'MKSTREAM');
    } catch (err) {
      if (!/BUSYGROUP/.test(String(err))) throw err;
    }
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        if (Date.now() >= this.nextClaim) {
          this.nextClaim = Date.now() + Math.max(50, this.o.claimIdleMs / 2);
          await this.claimStale();
        }
        const room = this.o.concurrency - this.inflight.size;
        if (room <= 0) {
          await Promise.race(this.inflight);
          continue;
        }
        const block = Math.max(10, Math.min(this.o.blockMs, this.nextClaim - Date.now()));
        const res = (await this.reader.xreadgroup(
          'GROUP',
          this.o.group,
          this.consumer,
          'COUNT',
          room,
          'BLOCK',
          block,
          'STREAMS',
          this.o.commandsStream,
          '>',
        )) as [string, [string, string[]][]][] | null;
        for (const [, entries] of res ?? [])
          for (const [id, fields] of entries) this.track(this.handle(id, fields, true));
        failures = 0;
      } catch (err) {
        if (this.stopping) break;
        if (/NOGROUP/.test(String(err))) {
          this.log('warn', `the consumer group ${this.o.group} is gone (Redis restarted?); joining it again`);
          await this.ensureGroup('0').catch(() => undefined);
        } else if (failures++ % 20 === 0) {
          this.log('warn', describeRedisError(err, this.where));
        }
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** Math.min(failures, 6))));
      }
    }
  }

  private track(p: Promise<void>): void {
    const t = p
      .catch((err) => this.log('error', `request handling failed: ${String(err)}`))
      .finally(() => this.inflight.delete(t));
    this.inflight.add(t);
  }

  /** Takes over entries a silent supervisor (crashed, hung, partitioned) left pending. */
  private async claimStale(): Promise<void> {
    let cursor = '0-0';
    do {
      const [next, entries, deleted] = (await this.client.xautoclaim(
        this.o.commandsStream,
        this.o.group,
        this.consumer,
        this.o.claimIdleMs,
        cursor,
        'COUNT',
        10,
      )) as [string, ([string, string[]] | null)[], string[]?];
      cursor = next;
      // Trimmed away while pending (stream MAXLEN): nothing left to do but forget them.
      if (deleted?.length) await this.client.xack(this.o.commandsStream, this.o.group, ...deleted);
      for (const e of entries) if (e) this.track(this.handle(e[0], e[1], false));
    } while (cursor !== '0-0' && !this.stopping);
  }

  /** One request. `fresh`: first delivery; otherwise taken over from another supervisor. */
  private async handle(entryId: string, fields: string[], fresh: boolean): Promise<void> {
    const parsed = fromFields(fields);
    if (!parsed.request) {
      if (parsed.id) await this.finish(entryId, parsed.id, 'failed', `refused: ${parsed.error}`);
      else await this.client.xack(this.o.commandsStream, this.o.group, entryId);
      this.log('warn', `refused entry ${entryId}: ${parsed.error}`);
      return;
    }
    const r = parsed.request;
    const lockKey = `workerlens:command-lock:${r.id}`;
    const doneKey = `workerlens:command-done:${r.id}`;
    if (await this.client.exists(doneKey)) {
      await this.client.xack(this.o.commandsStream, this.o.group, entryId);
      return;
    }
    const lockMs = this.o.claimIdleMs;
    // Held surely until a quarter of the lock's time before it could lapse, counted from when we asked.
    const margin = lockMs / 4;
    const asked = Date.now();
    if ((await this.client.set(lockKey, this.consumer, 'PX', lockMs, 'NX')) !== 'OK') {
      // Another supervisor is on this request id. Leave the entry pending: if that one
      // finishes, the done marker acks it next time; if it crashes, we take it over.
      return;
    }
    const lease: Lease = { validUntil: asked + lockMs - margin };
    const renew = async (): Promise<boolean> => {
      const sent = Date.now();
      const ours = (await this.client.eval(RENEW, 1, lockKey, this.consumer, lockMs)) === 1;
      if (ours) lease.validUntil = Math.max(lease.validUntil, sent + lockMs - margin);
      lease.onChange?.(ours ? lease.validUntil : undefined);
      return ours;
    };
    const keepAlive = setInterval(
      () => {
        void renew().catch(() => undefined); // not renewed in time, the leash stops the program
        void this.client
          .xclaim(this.o.commandsStream, this.o.group, this.consumer, 0, entryId, 'JUSTID')
          .catch(() => undefined);
      },
      Math.max(20, lockMs / 5),
    );
    try {
      if (await this.client.exists(doneKey)) {
        await this.client.multi().xack(this.o.commandsStream, this.o.group, entryId).del(lockKey).exec();
        return;
      }
      const expired = await this.expired(entryId, r, fresh);
      if (expired) {
        await this.finish(entryId, r.id, 'failed', expired, lockKey);
        return;
      }
      if (!(await renew())) {
        this.log(
          'warn',
          `request ${r.id}: the lock lapsed before it started (this supervisor stalled); left to the one that took it over`,
        );
        return;
      }
      this.log('info', `${summary(r)} (request ${r.id} by ${r.requestedBy}${fresh ? '' : ', taken over'})`);
      await this.accept(r);
      const { ok, message } = await this.execute(r, lease);
      this.log(ok ? 'info' : 'warn', `${summary(r)}: ${ok ? 'done' : 'failed'} — ${message}`);
      await this.finish(entryId, r.id, ok ? 'done' : 'failed', message, lockKey);
    } finally {
      clearInterval(keepAlive);
    }
  }

  /**
   * Too old to act on, by the store's clock (the requester's may be off): why, or undefined.
   * A request some supervisor accepted and did not finish (it crashed mid-run) may be carried
   * out late, up to the retry age: the user saw "accepted". One never accepted is held to its
   * own timeout like a fresh one: its requester already said "no supervisor answered".
   */
  private async expired(entryId: string, r: ControlRequest, fresh: boolean): Promise<string | undefined> {
    const [sec, micro] = await this.client.time();
    const age = Number(sec) * 1000 + Math.floor(Number(micro) / 1000) - Number(entryId.split('-')[0]);
    const acceptedBefore = !fresh && (await this.client.exists(acceptedKey(r.id))) === 1;
    // Requests from other tools may carry no timeout: they get the retry age, never forever.
    const limit = acceptedBefore
      ? Math.max(r.timeoutMs ?? 0, this.o.maxRetryAgeMs)
      : (r.timeoutMs ?? this.o.maxRetryAgeMs);
    if (age < limit) return undefined;
    return `expired: first picked up ${Math.round(age / 1000)} s after it was sent; the requester had already stopped waiting`;
  }

  private execute(r: ControlRequest, lease: Lease): Promise<{ ok: boolean; message: string }> {
    return carryOut(r, { ...this.o, name: this.consumer, lease, log: (line) => this.log('info', line) });
  }

  /** "accepted" to the requester, and a marker that it was: a takeover may then still carry it out. */
  private async accept(r: ControlRequest): Promise<void> {
    await this.client
      .multi()
      .xadd(
        this.o.resultsStream,
        'MAXLEN',
        '~',
        String(STREAM_MAXLEN),
        '*',
        ...resultFields({ id: r.id, status: 'accepted', message: `${summary(r)} accepted`, supervisor: this.consumer }),
      )
      .set(acceptedKey(r.id), this.consumer, 'PX', this.o.maxRetryAgeMs + 60_000)
      .exec();
  }

  /**
   * Result, done marker, acknowledgement and unlock in one MULTI: all or nothing. Tried a
   * few times (about 15 s) before giving up: without the done marker a takeover would run
   * the request a second time. The caller's keep-alive holds the lock meanwhile.
   */
  private async finish(
    entryId: string,
    id: string,
    status: ResultStatus,
    message: string,
    lockKey?: string,
  ): Promise<void> {
    const fields = resultFields({ id, status, message, supervisor: this.consumer });
    const doneKey = `workerlens:command-done:${id}`;
    for (let attempt = 0; ; attempt++) {
      try {
        if (!lockKey) {
          await this.client
            .multi()
            .xadd(this.o.resultsStream, 'MAXLEN', '~', String(STREAM_MAXLEN), '*', ...fields)
            .set(doneKey, status, 'EX', 86_400)
            .xack(this.o.commandsStream, this.o.group, entryId)
            .exec();
          return;
        }
        const keys = [lockKey, this.o.resultsStream, doneKey, this.o.commandsStream];
        const wrote = await this.client.eval(
          FINISH,
          keys.length,
          ...keys,
          this.consumer,
          String(STREAM_MAXLEN),
          status,
          this.o.group,
          entryId,
          ...fields,
        );
        if (wrote !== 1)
          this.log(
            'warn',
            `request ${id}: not answered from here — the lock lapsed while it ran (this supervisor stalled) and another supervisor holds it now`,
          );
        return;
      } catch (err) {
        if (attempt >= 4 || this.stopping) throw err;
        this.log('warn', `recording the result of ${id} failed (${(err as Error).message}); trying again`);
        await new Promise((r) => setTimeout(r, 1000 * 2 ** attempt));
      }
    }
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.o.log?.(level, message);
  }
}

/** Set when a supervisor tells the requester it accepted the request. */
function acceptedKey(id: string): string {
  return `workerlens:command-accepted:${id}`;
}
