import { inflateSync } from 'node:zlib';
import type { Redis } from 'ioredis';
import { isoMs, SeenSet, type ActivityOut, type FrameworkActivity } from './framework';

/** Queues read at most (RQ lists them in the set `rq:queues`). */
const MAX_QUEUES = 50;
/** The newest failed jobs read per queue and poll: a burst larger than this between polls is counted, not all told. */
const FAILED_PER_POLL = 20;
/** A traceback is cut here in the log line. */
const MAX_TRACE = 4000;

/**
 * RQ's activity. Throughput and failures per worker come from the workers' own counters
 * (`successful_job_count`, `failed_job_count`, read with the worker); this adds queue depths
 * (`LLEN rq:queue:<q>`) and each failed job with its error: the newest members of the failed
 * job registry `rq:failed:<q>` (scored by expiry, so newest last-failed first), the job's
 * `description`, `ended_at`, `worker_name`, and the traceback from its result stream
 * `rq:results:<id>` (RQ ≥ 1.12 on Redis ≥ 5) or the job's `exc_info` (zlib), whichever is there.
 */
export function rqActivity(): FrameworkActivity {
  const told = new SeenSet();
  let queues = 0;
  return {
    reads: () => `RQ: queues (${queues}), failed job registries`,
    async poll(client: Redis, out: ActivityOut): Promise<void> {
      const names = (await client.smembers('rq:queues'))
        .map((k) => (k.startsWith('rq:queue:') ? k.slice('rq:queue:'.length) : k))
        .sort()
        .slice(0, MAX_QUEUES);
      queues = names.length;
      if (!names.length) return;
      const p = client.pipeline();
      for (const q of names) p.llen(`rq:queue:${q}`).zrevrange(`rq:failed:${q}`, 0, FAILED_PER_POLL - 1);
      const res = (await p.exec()) ?? [];
      const failed: { queue: string; id: string }[] = [];
      names.forEach((q, i) => {
        const [lenErr, len] = res[2 * i] ?? [];
        if (!lenErr) out.queueDepth(`RQ ${q}`, Number(len));
        const [zErr, ids] = res[2 * i + 1] ?? [];
        if (!zErr) for (const id of ids as string[]) if (told.add(`${q}\0${id}`)) failed.push({ queue: q, id });
      });
      if (failed.length) await tellFailures(client, failed, out);
    },
  };
}

async function tellFailures(client: Redis, failed: { queue: string; id: string }[], out: ActivityOut): Promise<void> {
  const p = client.pipeline();
  for (const f of failed) {
    p.hmget(`rq:job:${f.id}`, 'description', 'ended_at', 'worker_name');
    p.hgetBuffer(`rq:job:${f.id}`, 'exc_info');
    p.xrevrange(`rq:results:${f.id}`, '+', '-', 'COUNT', 1);
  }
  const res = (await p.exec()) ?? [];
  const now = Date.now();
  const entries = failed.map((f, i) => {
    const [, fields] = res[3 * i] ?? [];
    const [description, endedAt, workerName] = (fields as (string | null)[] | undefined) ?? [];
    const [, excInfo] = res[3 * i + 1] ?? [];
    const [, results] = res[3 * i + 2] ?? [];
    const trace = traceOf(results as [string, string[]][] | undefined, excInfo as Buffer | null | undefined);
    const ts = Math.min(isoMs(endedAt) ?? now, now);
    const worker = workerName ? `rq:${workerName}` : undefined;
    const what = description ? `${description} (job ${f.id})` : `job ${f.id}`;
    const error = trace ? lastLine(trace) : 'no error recorded (the job may have expired)';
    out.event({ kind: 'failed', ts, ...(worker ? { worker } : {}) });
    return {
      ts,
      level: 'error' as const,
      worker,
      message: `RQ ${f.queue}: ${what} failed: ${error}${trace ? `\n${trace.slice(-MAX_TRACE)}` : ''}`,
      source: `rq:failed:${f.queue}`,
      id: `rq:failed:${f.queue}:${f.id}`,
    };
  });
  entries.sort((a, b) => a.ts - b.ts);
  out.logs(entries);
}

/** The traceback of a failed job: its newest result's `exc_string` (base64 of zlib), else the job's `exc_info`. */
function traceOf(results: [string, string[]][] | undefined, excInfo: Buffer | null | undefined): string | undefined {
  const fields = results?.[0]?.[1];
  if (fields) {
    const i = fields.indexOf('exc_string');
    if (i >= 0 && i % 2 === 0) return inflated(Buffer.from(fields[i + 1] ?? '', 'base64'));
  }
  return excInfo?.length ? inflated(excInfo) : undefined;
}

/** zlib-compressed text, or the bytes as text when they are not compressed (older RQ wrote it plain). */
function inflated(b: Buffer): string {
  try {
    return inflateSync(b).toString('utf8');
  } catch {
    return b.toString('utf8');
  }
}

/** A Python traceback's last non-empty line: the exception and its message ("ValueError: bad input"). */
export function lastLine(trace: string): string {
  const lines = trace.trimEnd().split('\n');
  return (lines[lines.length - 1] ?? '').trim().slice(0, 500);
}
