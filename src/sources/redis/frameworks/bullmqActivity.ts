import type { Redis } from 'ioredis';
import { intOf, type ActivityOut, type FrameworkActivity } from './framework';

/** Entries read back from an events stream when it is first followed (the dashboard opens on recent history). */
const BACKFILL = 50;
/** Entries read per stream and poll at most: a burst larger than this is read over the next polls. */
const PER_POLL = 200;
const MAX_TRACE = 4000;

/** One BullMQ queue: the key prefix (`bull`) and its name. */
export interface BullQueue {
  prefix: string;
  queue: string;
}

/**
 * BullMQ's activity, per queue its workers serve: the events stream `<prefix>:<q>:events`
 * (`completed` and `failed` entries with `jobId` and `failedReason`) read from where the last
 * poll stopped, each finished job's hash for its `name`, the worker that ran it (`pb`) and
 * `processedOn`/`finishedOn` (its duration); queue depth is `LLEN <prefix>:<q>:wait`.
 * BullMQ keeps no per-worker counters: throughput is counted from these events.
 */
export function bullmqActivity(queues: () => BullQueue[]): FrameworkActivity {
  const cursors = new Map<string, string>();
  return {
    reads: () => `BullMQ: events streams and wait lists (${queues().length} queues)`,
    async poll(client: Redis, out: ActivityOut): Promise<void> {
      const qs = queues();
      if (!qs.length) return;
      const p = client.pipeline();
      for (const q of qs) {
        const key = `${q.prefix}:${q.queue}`;
        p.llen(`${key}:wait`);
        const from = cursors.get(key);
        if (from) p.xrange(`${key}:events`, `(${from}`, '+', 'COUNT', PER_POLL);
        else p.xrevrange(`${key}:events`, '+', '-', 'COUNT', BACKFILL);
      }
      const res = (await p.exec()) ?? [];
      const finished: { q: BullQueue; streamId: string; f: Record<string, string> }[] = [];
      qs.forEach((q, i) => {
        const key = `${q.prefix}:${q.queue}`;
        const [lenErr, len] = res[2 * i] ?? [];
        if (!lenErr) out.queueDepth(`BullMQ ${q.queue}`, Number(len));
        const [evErr, raw] = res[2 * i + 1] ?? [];
        if (evErr) return;
        const entries = cursors.has(key) ? (raw as [string, string[]][]) : (raw as [string, string[]][]).reverse();
        if (entries.length) cursors.set(key, entries[entries.length - 1]![0]);
        else if (!cursors.has(key)) cursors.set(key, '0-0');
        for (const [streamId, fields] of entries) {
          const f = pairs(fields);
          if (f.event === 'completed' || f.event === 'failed') finished.push({ q, streamId, f });
        }
      });
      if (finished.length) await tellFinished(client, finished, out);
    },
  };
}

async function tellFinished(
  client: Redis,
  finished: { q: BullQueue; streamId: string; f: Record<string, string> }[],
  out: ActivityOut,
): Promise<void> {
  const p = client.pipeline();
  for (const { q, f } of finished)
    p.hmget(`${q.prefix}:${q.queue}:${f.jobId ?? ''}`, 'name', 'pb', 'processedOn', 'finishedOn', 'stacktrace');
  const res = (await p.exec()) ?? [];
  const now = Date.now();
  const lines = [];
  for (let i = 0; i < finished.length; i++) {
    const { q, streamId, f } = finished[i]!;
    const [err, v] = res[i] ?? [];
    // The job hash may be gone (removeOnComplete): the event alone still counts, for the fleet.
    const [name, pb, processedOn, finishedOn, stacktrace] = err ? [] : ((v as (string | null)[]) ?? []);
    const streamMs = Number(streamId.split('-')[0]);
    const ts = Math.min(intOf(finishedOn) ?? (Number.isFinite(streamMs) ? streamMs : now), now);
    const started = intOf(processedOn);
    const ended = intOf(finishedOn);
    const worker = pb ? `bullmq:${q.queue}:${pb}` : undefined;
    out.event({
      kind: f.event === 'failed' ? 'failed' : 'completed',
      ts,
      ...(worker ? { worker } : {}),
      ...(started !== undefined && ended !== undefined && ended >= started ? { durationMs: ended - started } : {}),
    });
    if (f.event !== 'failed') continue;
    const trace = firstTrace(stacktrace);
    lines.push({
      ts,
      level: 'error' as const,
      worker,
      message: `BullMQ ${q.queue}: ${name ?? 'job'} (job ${f.jobId ?? '?'}) failed: ${(f.failedReason ?? 'no reason given').slice(0, 500)}${trace ? `\n${trace.slice(0, MAX_TRACE)}` : ''}`,
      source: `${q.prefix}:${q.queue}:events`,
      id: `${q.prefix}:${q.queue}:events:${streamId}`,
    });
  }
  if (lines.length) out.logs(lines);
}

/** A flat stream entry → its fields. */
function pairs(fields: string[]): Record<string, string> {
  const m: Record<string, string> = Object.create(null);
  for (let i = 0; i + 1 < fields.length; i += 2) m[fields[i]!] = fields[i + 1]!;
  return m;
}

/** The newest stack trace BullMQ kept (`stacktrace` is a JSON list), or undefined when there is none that decodes. */
function firstTrace(raw: string | null | undefined): string | undefined {
  if (!raw) return undefined;
  try {
    const list: unknown = JSON.parse(raw);
    const last = Array.isArray(list) ? list[list.length - 1] : undefined;
    return typeof last === 'string' ? last : undefined;
  } catch {
    return undefined;
  }
}
