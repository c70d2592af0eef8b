import type { Redis } from 'ioredis';
import { intOf, SeenSet, type ActivityOut, type FrameworkActivity } from './framework';

const MAX_QUEUES = 50;
/** The newest entries of `retry` and `dead` read per poll. */
const FAILED_PER_POLL = 20;

/**
 * Sidekiq's activity. Sidekiq counts only fleet-wide (`stat:processed`, which includes
 * failures, and `stat:failed`): their increases are the fleet's throughput and failures, never
 * split over processes that did not say which did what. Queue depths are `LLEN queue:<q>` for
 * each member of `queues`; failed jobs with their error are the newest entries of the sorted
 * sets `retry` (scored by the next try) and `dead` (scored by death), each a job JSON with
 * `error_class`, `error_message`, `failed_at` (bounded reads: the 20 due soonest, the 20 newest dead).
 */
export function sidekiqActivity(): FrameworkActivity {
  const told = new SeenSet();
  let last: { processed: number; failed: number; at: number } | undefined;
  let totals = '';
  return {
    reads: () => `Sidekiq: stat:processed and stat:failed (fleet totals${totals}), queues, retry and dead sets`,
    async poll(client: Redis, out: ActivityOut, now: number): Promise<void> {
      const names = (await client.smembers('queues')).sort().slice(0, MAX_QUEUES);
      const p = client.pipeline().mget('stat:processed', 'stat:failed');
      // `retry` is scored by the next try, which backs off with each failure: a first failure is due soonest (the
      // set's low end); a later one is told when its try nears, still with its own failed_at. `dead` is by death.
      p.zrange('retry', 0, FAILED_PER_POLL - 1).zrevrange('dead', 0, FAILED_PER_POLL - 1);
      for (const q of names) p.llen(`queue:${q}`);
      const res = (await p.exec()) ?? [];
      const [statErr, stats] = res[0] ?? [];
      // Entries already there at the first reading failed before the counters' baseline: history for the charts.
      const history = !last;
      if (!statErr) {
        const [processed, failed] = ((stats as (string | null)[]) ?? []).map((v) => intOf(v) ?? 0);
        totals = `: ${processed} processed, ${failed} failed`;
        // The first reading is a baseline, not a burst of lifetime totals; a counter that fell was reset.
        if (last) {
          const dFailed = failed >= last.failed ? failed - last.failed : failed;
          const dProcessed = processed >= last.processed ? processed - last.processed : processed;
          const done = Math.max(0, dProcessed - dFailed);
          if (done) out.event({ kind: 'completed', ts: now, count: done });
          if (dFailed) out.event({ kind: 'failed', ts: now, count: dFailed });
        }
        last = { processed, failed, at: now };
      }
      names.forEach((q, i) => {
        const [err, len] = res[3 + i] ?? [];
        if (!err) out.queueDepth(`Sidekiq ${q}`, Number(len));
      });
      const lines = [];
      for (const [set, r] of [
        ['retry', res[1]],
        ['dead', res[2]],
      ] as const) {
        if (!r || r[0]) continue;
        for (const raw of r[1] as string[]) {
          const line = failureLine(set, raw);
          if (!told.add(`${set}\0${line.key}`)) continue;
          if (history) out.event({ kind: 'failed', ts: line.ts });
          lines.push(line.entry);
        }
      }
      lines.sort((a, b) => a.ts - b.ts);
      if (lines.length) out.logs(lines);
    },
  };
}

/** One `retry` or `dead` entry as a log line; an entry that does not decode is told as such, never thrown. */
export function failureLine(set: 'retry' | 'dead', raw: string) {
  let job: Record<string, unknown> = {};
  let problem: string | undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) job = parsed as Record<string, unknown>;
    else problem = 'is not a JSON object';
  } catch (err) {
    problem = `does not decode as JSON (${(err as Error).message})`;
  }
  const str = (k: string) => (typeof job[k] === 'string' ? (job[k] as string) : undefined);
  const num = (k: string) => (typeof job[k] === 'number' && Number.isFinite(job[k]) ? (job[k] as number) : undefined);
  const failedAt = num('retried_at') ?? num('failed_at');
  const ts = Math.min(failedAt !== undefined ? failedAt * 1000 : Date.now(), Date.now());
  const cls = str('wrapped') ?? str('class') ?? 'job';
  const jid = str('jid');
  const count = num('retry_count');
  const where =
    set === 'dead' ? 'dead (no retries left)' : `retry${count !== undefined ? ` ${count + 1}` : ''} scheduled`;
  const error = [str('error_class'), str('error_message')].filter(Boolean).join(': ') || 'no error recorded';
  const message = problem
    ? `Sidekiq ${set}: an entry ${problem}`
    : `Sidekiq ${str('queue') ?? ''}: ${cls}${jid ? ` (jid ${jid})` : ''} failed: ${error} — ${where}`;
  const backtrace = Array.isArray(job.error_backtrace) ? job.error_backtrace.filter((l) => typeof l === 'string') : [];
  return {
    key: `${jid ?? raw.slice(0, 200)}\0${count ?? ''}\0${failedAt ?? ''}`,
    ts,
    entry: {
      ts,
      level: 'error' as const,
      message: backtrace.length ? `${message}\n${backtrace.slice(0, 30).join('\n')}` : message,
      source: set,
      id: `sidekiq:${set}:${jid ?? ''}:${count ?? ''}`,
    },
  };
}
