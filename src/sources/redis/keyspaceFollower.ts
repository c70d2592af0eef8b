import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../core/connectionConfig';
import { escapeGlob, globFor, idFromKey } from './keyTemplate';
import { isRefusedCommand } from './redisErrors';
import { createClient } from './redisClient';

export interface KeyspaceProbe {
  available: boolean;
  /** The server's `notify-keyspace-events` flags as we found (or left) them. */
  flags: string;
  /** In words, for the log. */
  reason: string;
}

/** The flags we add when the user opted in: keyspace (K) for hashes, strings, sets, DEL and expiry. */
const OPT_IN_FLAGS = 'Kh$sgx';

/**
 * Keyspace events cover worker state when K (keyspace channel) is on together with
 * h (hash commands), $ (string commands) or A (all of them).
 */
export function coversWorkerState(flags: string): boolean {
  return flags.includes('K') && /[h$A]/.test(flags);
}

export type StoredAs = 'hash' | 'string';

/** What the flags miss for workers stored as `kinds`, in words; undefined when covered. */
export function uncovered(flags: string, kinds: ReadonlySet<StoredAs>): string | undefined {
  if (flags.includes('A')) return undefined;
  const missing: string[] = [];
  if (kinds.has('string') && !flags.includes('$')) missing.push('workers stored as JSON strings need "$"');
  if (kinds.has('hash') && !flags.includes('h')) missing.push('workers stored as hashes need "h"');
  return missing.length ? `but ${missing.join(' and ')} (or "A")` : undefined;
}

/**
 * Asks the server whether keyspace notifications are on. Changes the server's
 * configuration only when `enable` is true (the user opted in): this is a
 * production store, and notifications cost every client of it some CPU.
 * A refused CONFIG (ACL NOPERM, managed Redis renaming it) means "not available";
 * a connection error is thrown so the caller can ask again after reconnecting.
 */
export async function probeKeyspace(client: Redis, enable: boolean): Promise<KeyspaceProbe> {
  let flags: string;
  try {
    const reply = (await client.call('CONFIG', 'GET', 'notify-keyspace-events')) as string[];
    flags = reply?.[1] ?? '';
  } catch (err) {
    if (isRefusedCommand(err))
      return { available: false, flags: '', reason: `CONFIG GET is not allowed here (${firstLine(err)})` };
    throw err;
  }
  if (coversWorkerState(flags)) return { available: true, flags, reason: `notify-keyspace-events is "${flags}"` };
  if (!enable)
    return { available: false, flags, reason: `notify-keyspace-events is "${flags}" (off for hashes and strings)` };
  const merged = [...new Set((flags + OPT_IN_FLAGS).split(''))].join('');
  try {
    await client.call('CONFIG', 'SET', 'notify-keyspace-events', merged);
  } catch (err) {
    if (isRefusedCommand(err))
      return { available: false, flags, reason: `CONFIG SET is not allowed here (${firstLine(err)})` };
    throw err;
  }
  return {
    available: true,
    flags: merged,
    reason: `notify-keyspace-events set to "${merged}" (enableKeyspaceNotifications)`,
  };
}

export interface KeyspaceFollowerOptions {
  url: string;
  password?: string;
  db: number;
  keys: RedisKeys;
  /** The probed flags: counters are followed only when string events ($ or A) are on. */
  flags: string;
  onIds(ids: string[]): void;
  onMembership(): void;
  /** up: the subscription is live. resumed: it came back after a drop, so events may have been missed. */
  onStatus(up: boolean, resumed: boolean): void;
}

/**
 * Subscribes to the keyspace channels of the worker keys on a dedicated connection
 * (a subscribed connection can run nothing else) and reports which worker ids were
 * touched. The message only says which command ran, so the worker is re-read.
 */
export class KeyspaceFollower {
  private client?: Redis;
  private readonly prefix: string;
  private everUp = false;

  constructor(private readonly opts: KeyspaceFollowerOptions) {
    this.prefix = `__keyspace@${opts.db}__:`;
  }

  /** Resolves once subscribed; rejects when the server refuses (NOPERM on channels) or cannot be reached. */
  async start(): Promise<void> {
    const { keys, flags } = this.opts;
    const templates = [keys.state];
    // Counter keys are strings: only worth following when string events are on.
    if (/[$A]/.test(flags)) for (const t of [keys.completedCounter, keys.errorsCounter]) if (t) templates.push(t);
    const patterns = [...templates.map((t) => this.prefix + globFor(t)), this.prefix + escapeGlob(keys.activeSet)];

    const client = createClient(this.opts.url, this.opts.password, { connectionName: 'worker-lens:keyspace' });
    this.client = client;
    client.on('error', () => undefined); // reconnects on its own; the main connection reports errors
    client.on('pmessage', (_pattern: string, channel: string) => this.onMessage(channel, templates));
    client.on('close', () => this.opts.onStatus(false, false));
    client.on('ready', () => {
      // ioredis re-subscribes by itself before 'ready'; only later readies are resumptions.
      if (this.everUp) this.opts.onStatus(true, true);
    });
    await client.connect();
    await client.psubscribe(...patterns);
    this.everUp = true;
    this.opts.onStatus(true, false);
  }

  private onMessage(channel: string, templates: string[]): void {
    if (!channel.startsWith(this.prefix)) return;
    const key = channel.slice(this.prefix.length);
    if (key === this.opts.keys.activeSet) return this.opts.onMembership();
    for (const t of templates) {
      const id = idFromKey(t, key);
      if (id) return this.opts.onIds([id]);
    }
  }

  dispose(): void {
    this.client?.removeAllListeners('close');
    this.client?.disconnect();
    this.client = undefined;
  }
}

function firstLine(err: unknown): string {
  return ((err as { message?: string })?.message ?? String(err)).split('\n')[0];
}
