import type { Redis } from 'ioredis';
import type { FrameworkName, WorkerSnapshot } from '../../../core/model';
import type { SourceSink } from '../../../core/sourceSink';

/** Named in the model (a worker carries its framework); the layouts are keyed by it. */
export type FrameworkId = FrameworkName;

export const FRAMEWORK_IDS: readonly FrameworkId[] = ['rq', 'sidekiq', 'celery', 'bullmq'];

/** One client of `CLIENT LIST`: its name (set by the worker with CLIENT SETNAME) and address. */
export interface NamedClient {
  name: string;
  addr: string;
}

/** What one read of the framework layouts shares. */
export interface ReadContext {
  now: number;
  /** Named clients from `CLIENT LIST`; undefined when the server refused it (ACL) or it failed. */
  clients?: NamedClient[];
}

/** What a layout read: the workers it found, and those its framework still lists but whose record is gone. */
export interface FrameworkRead {
  workers: WorkerSnapshot[];
  /** Worker id → why it is gone (a record expired while still listed). Shown dead with the last data we had. */
  gone: Map<string, string>;
}

/**
 * Where one framework keeps its workers, and the little code reading it needs. Created
 * per source: a layout may remember what it saw (which workers were ever connected by name).
 */
export interface FrameworkLayout {
  id: FrameworkId;
  /** The framework's name as people write it ("RQ", "Sidekiq"). */
  label: string;
  /**
   * What a worker leaving the listing means. RQ and Sidekiq remove a worker from their set
   * only on a clean stop (a killed one stays listed until its record expires, and is then
   * `gone`): 'stopped'. A BullMQ connection closes alike on a clean stop and a kill: 'dead'.
   */
  leftListingMeans: 'stopped' | 'dead';
  /** What detection looks for, in words (said in the log). */
  lookedFor: string;
  /** Whether this Redis holds the framework's layout now. */
  detect(client: Redis): Promise<boolean>;
  read(client: Redis, ctx: ReadContext): Promise<FrameworkRead>;
  /** Throughput, queue depths and failed jobs from the framework's own keys, read while the dashboard is open. */
  activity?: FrameworkActivity;
  /** Starts anything the layout follows by push (Celery's event channel). */
  start?(
    url: string,
    password: string | undefined,
    db: number,
    log: (level: 'info' | 'warn', message: string) => void,
  ): void;
  /** What the ACL keeps this layout from doing, in words, while it does (shown with the live mode). */
  limitation?(): string | undefined;
  dispose?(): void;
}

/** Where a framework's activity goes: the activity half of the source's sink. */
export type ActivityOut = Pick<SourceSink, 'logs' | 'event' | 'queueDepth'>;

/**
 * One framework's activity reader. Keeps its own cursors (failures already told, counters last
 * read), so each poll reads only what is new, and every read is bounded.
 */
export interface FrameworkActivity {
  /** What it reads, in words, for the dashboard's activity line ("RQ: failed job registries, queues"). */
  reads(): string;
  /** One bounded read on the source's connection: new failures, counter increases, queue depths. */
  poll(client: Redis, out: ActivityOut, now: number): Promise<void>;
  /** Pushed activity (Celery's task events) goes to `out` while set; undefined stops it. */
  follow?(out: ActivityOut | undefined): void;
}

/** Failures already told, by a key of the reader's choosing: bounded, oldest forgotten first. */
export class SeenSet {
  private readonly seen = new Set<string>();
  constructor(private readonly max = 2000) {}
  /** True the first time a key is seen. */
  add(key: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    if (this.seen.size > this.max) this.seen.delete(this.seen.values().next().value as string);
    return true;
  }
}

/** `CLIENT LIST` output → its named clients. */
export function parseClientList(text: string): NamedClient[] {
  const out: NamedClient[] = [];
  for (const line of text.split('\n')) {
    const name = /(?:^| )name=(\S*)/.exec(line)?.[1];
    const addr = /(?:^| )addr=(\S*)/.exec(line)?.[1] ?? '';
    if (name) out.push({ name, addr });
  }
  return out;
}

/** A whole number from a store field, or undefined (an absent or garbled count is left out, never 0). */
export function intOf(v: string | null | undefined): number | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** Epoch ms from an ISO time; RQ writes UTC with a `Z`. Undefined when it does not parse. */
export function isoMs(v: string | null | undefined): number | undefined {
  if (!v) return undefined;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The host part of a `CLIENT LIST` address ("127.0.0.1:50412" → "127.0.0.1", IPv6 kept whole). */
export function hostOfAddr(addr: string): string | undefined {
  const i = addr.lastIndexOf(':');
  return i > 0 ? addr.slice(0, i) : addr || undefined;
}

/**
 * Scans for at least one key matching a pattern, giving up after `budget` SCAN steps (a huge keyspace is not walked).
 */
export async function anyKey(client: Redis, pattern: string, budget = 20): Promise<boolean> {
  let cursor = '0';
  for (let i = 0; i < budget; i++) {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length) return true;
    cursor = next;
    if (cursor === '0') return false;
  }
  return false;
}
