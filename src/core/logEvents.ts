import type { LogEntry } from './logEntry';
import type { WorkEvent } from './metrics';

/**
 * A finished task told in a worker's own log line, for the charts: "Task T-12 completed in
 * 4.2s", "job 81 failed after 300ms: timeout", "Completed task T-9". A task or job word comes
 * first, so "shutting down - completed 42 tasks" (seed 004's exit line) is no completion.
 */
const DONE =
  /\b(?:task|job)\b(?:\s+[^\s:]+)?\s+(completed|complete|finished|succeeded|done|failed|errored)\b(?:\s+(?:in|after)\s+(\d+(?:\.\d+)?)\s*(ms|s|sec|secs|seconds)?\b)?/i;
const DONE_FIRST = /^(?:[^\w]*\s)?(completed|finished|failed)\s+(?:task|job)\b/i;

export function workEventOf(entry: LogEntry): WorkEvent | undefined {
  const text = entry.message.split('\n', 1)[0]!;
  let verb: string | undefined;
  let amount: string | undefined;
  let unit: string | undefined;
  const m = DONE.exec(text);
  if (m) [, verb, amount, unit] = m;
  else verb = DONE_FIRST.exec(text)?.[1];
  if (!verb) return undefined;
  const e: WorkEvent = { kind: /fail|error/i.test(verb) ? 'failed' : 'completed', ts: entry.ts };
  if (entry.worker) e.worker = entry.worker;
  if (amount !== undefined) {
    const n = Number(amount);
    if (Number.isFinite(n)) e.durationMs = unit?.toLowerCase() === 'ms' ? n : n * 1000;
  }
  return e;
}
