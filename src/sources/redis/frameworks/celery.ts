import type { Redis } from 'ioredis';
import type { WorkerSnapshot } from '../../../core/model';
import { createClient } from '../redisClient';
import { describeRefusal, isRefusedCommand } from '../redisErrors';
import type { FrameworkLayout, FrameworkRead, ReadContext } from './framework';
import { celeryActivity } from './celeryActivity';
import { decodeCeleryEvents, type CeleryEvent } from './celeryEvents';
import { inspectActive } from './celeryInspect';

/** Task names by id, from task-received (task-started does not repeat the name); bounded. */
const KEEP_NAMES = 10_000;
/** A node busy with tasks its events never told (started before they were followed) is asked at most this often. */
const ASK_EVERY_MS = 30_000;

export interface CeleryNode {
  name: string;
  pid?: number;
  freqMs: number;
  lastHeartbeat?: number;
  status: string;
  processed?: number;
  failed: number;
  active?: number;
  tasks: Map<string, { name?: string; startedAt?: number }>;
  problems: string[];
  /** When it was last asked what it runs (pidbox `active`). */
  askedAt?: number;
}

/**
 * Celery with a Redis broker keeps no worker state in Redis: with `-E` the workers publish
 * events (kombu envelopes, a base64 JSON body) on `/<db>.celeryev/<routing key>`. This layout
 * follows them and keeps each node's state: heartbeats every `freq` s (judged like Flower,
 * late after 2 × freq), online/offline, the tasks it started and finished.
 */
export function celeryLayout(): FrameworkLayout {
  const nodes = new Map<string, CeleryNode>();
  const names = new Map<string, string>();
  let sub: Redis | undefined;
  /**
   * Celery's state exists only in its events: the first read waits one heartbeat interval
   * (2 s, a little more) after subscribing, so a one-shot read (the CLI) does not say "no
   * Celery workers" before any could have spoken.
   */
  let warm: Promise<void> = Promise.resolve();
  let undecoded = 0;
  /** The ACL refused the event subscription: said in the live mode, not only once in the log. */
  let refused: string | undefined;
  let db = 0;
  /** Asking nodes what they run failed for good (the ACL refused it): not tried again, said once. */
  let cannotAsk = false;
  let log: (level: 'info' | 'warn', message: string) => void = () => undefined;

  const activity = celeryActivity();

  const apply = (e: CeleryEvent) => {
    const host = e.hostname;
    if (e.type === 'task-failed' || e.type === 'task-succeeded') activity.taskEvent(e, e.uuid && names.get(e.uuid));
    if (e.type.startsWith('task-') && e.uuid && e.name) {
      names.set(e.uuid, e.name);
      if (names.size > KEEP_NAMES) names.delete(names.keys().next().value as string);
    }
    if (!host) return;
    let n = nodes.get(host);
    if (!n)
      nodes.set(host, (n = { name: host, freqMs: 2000, status: 'idle', failed: 0, tasks: new Map(), problems: [] }));
    n.problems = [];
    const at = typeof e.timestamp === 'number' ? e.timestamp * 1000 : undefined;
    switch (e.type) {
      case 'worker-online':
      case 'worker-heartbeat':
        if (typeof e.freq === 'number' && e.freq > 0) n.freqMs = e.freq * 1000;
        if (typeof e.pid === 'number') n.pid = e.pid;
        if (typeof e.processed === 'number') n.processed = e.processed;
        if (typeof e.active === 'number') n.active = e.active;
        n.lastHeartbeat = at ?? Date.now();
        n.status = n.active ? 'busy' : 'idle';
        break;
      case 'worker-offline':
        n.status = 'offline';
        n.lastHeartbeat = at ?? n.lastHeartbeat;
        break;
      case 'task-started':
        if (e.uuid) n.tasks.set(e.uuid, { name: names.get(e.uuid), startedAt: at });
        break;
      case 'task-failed':
        n.failed++;
      // falls through
      case 'task-succeeded':
      case 'task-revoked':
      case 'task-rejected':
        if (e.uuid && n.tasks.delete(e.uuid)) {
          // Idle from now, not from the next heartbeat (2 s later), when the last task it was seen starting ended.
          n.active = Math.max(0, (n.active ?? 1) - 1);
          if (!n.tasks.size && !n.active && n.status === 'busy') n.status = 'idle';
        }
        break;
    }
  };

  /**
   * A task started before the events were followed is never told again: a node whose heartbeat counts more active
   * tasks than its events told is asked (pidbox `active`, as Flower does at its start), at most every 30 s.
   */
  const askUntold = async (client: Redis, now: number) => {
    if (cannotAsk || refused) return;
    const untold = [...nodes.values()].filter(
      (n) =>
        n.status === 'busy' &&
        (n.active ?? 0) > n.tasks.size &&
        (n.askedAt === undefined || now - n.askedAt >= ASK_EVERY_MS),
    );
    if (!untold.length) return;
    for (const n of untold) n.askedAt = now;
    try {
      const replies = await inspectActive(
        client,
        db,
        untold.map((n) => n.name),
      );
      for (const [host, tasks] of replies) {
        const n = nodes.get(host);
        if (!n) continue;
        for (const t of tasks) if (!n.tasks.has(t.id)) n.tasks.set(t.id, { name: t.name, startedAt: t.startedAt });
      }
    } catch (err) {
      // A connection problem is asked again 30 s later; a refusal (ACL, a read-only replica) never.
      if (!isRefusedCommand(err) && !/READONLY/.test((err as Error).message)) return;
      cannotAsk = true;
      log(
        'warn',
        `Celery workers cannot be asked what they run (pidbox "active": ${(err as Error).message}): a task started before Worker Lens followed the events is not named`,
      );
    }
  };

  return {
    id: 'celery',
    label: 'Celery',
    leftListingMeans: 'dead',
    activity,
    // Every worker binds its remote-control queue (pidbox); the events binding exists only where someone consumes
    // events.
    lookedFor:
      'Celery (keys _kombu.binding.celery.pidbox, _kombu.binding.celeryev; events need workers started with -E)',
    detect: async (client) => (await client.exists('_kombu.binding.celery.pidbox', '_kombu.binding.celeryev')) > 0,
    start(url, password, dbIndex, logTo) {
      if (sub) return;
      log = logTo;
      db = dbIndex;
      const pattern = `/${db}.celeryev/*`;
      sub = createClient(url, password, { connectionName: 'worker-lens-celery-events' });
      sub.on('error', () => undefined);
      sub.on('pmessage', (_p: string, channel: string, message: string) => {
        const { events, problem, hostname } = decodeCeleryEvents(message);
        for (const e of events) apply(e);
        if (problem) {
          undecoded++;
          // Counted, said once per kind of problem: a noisy producer must not flood the log.
          if (undecoded === 1 || undecoded % 1000 === 0)
            log('warn', `Celery event on ${channel} does not decode (${undecoded} so far): ${problem}`);
          const n = hostname ? nodes.get(hostname) : undefined;
          if (n) n.problems = [`an event does not decode: ${problem}`];
        }
      });
      const s = sub;
      let subscribed: () => void = () => undefined;
      warm = new Promise<void>((resolve) => (subscribed = resolve));
      s.connect()
        .then(() => s.psubscribe(pattern))
        .then(() => {
          setTimeout(subscribed, 2500);
          log('info', `Following Celery events on ${pattern}`);
        })
        .catch((err: Error) => {
          subscribed();
          refused = describeRefusal(
            err,
            `PSUBSCRIBE ${pattern}`,
            'Celery workers cannot be seen (their state exists only in events) and failed tasks are not told',
          );
          log(
            'warn',
            refused ??
              `Celery events cannot be followed (PSUBSCRIBE ${pattern}: ${err.message}): Celery workers are not seen`,
          );
        });
    },
    limitation: () => refused,
    dispose() {
      sub?.disconnect();
      sub = undefined;
    },
    async read(client: Redis, ctx: ReadContext): Promise<FrameworkRead> {
      await warm;
      await askUntold(client, ctx.now);
      return { workers: [...nodes.values()].map(snapshotOf), gone: new Map() };
    },
  };
}

export function snapshotOf(n: CeleryNode): WorkerSnapshot {
  const running = [...n.tasks.entries()].sort((a, b) => (a[1].startedAt ?? 0) - (b[1].startedAt ?? 0));
  const first = running[0];
  const title = first && `${first[1].name ?? first[0]}${running.length > 1 ? ` (+${running.length - 1} more)` : ''}`;
  return {
    id: `celery:${n.name}`,
    name: n.name,
    status: n.status,
    lastHeartbeat: n.lastHeartbeat,
    pid: n.pid,
    host: n.name.includes('@') ? n.name.slice(n.name.indexOf('@') + 1) : undefined,
    specialization: 'Celery',
    // The heartbeat's `processed` counts tasks accepted, the running ones included: finished ones are the rest.
    completed: n.processed === undefined ? undefined : Math.max(0, n.processed - (n.active ?? 0)),
    errors: n.failed || undefined,
    task: first ? { id: first[0], title, startedAt: first[1].startedAt } : undefined,
    // Flower's rule: a worker is offline 2 × freq after its last heartbeat.
    liveness: {
      unresponsiveAfterMs: 2 * n.freqMs,
      deadAfterMs: 6 * n.freqMs,
      rule: `Celery beats every ${n.freqMs / 1000} s`,
    },
    problems: n.problems,
  };
}
