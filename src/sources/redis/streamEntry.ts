import { isSaneTime, plainRecord } from '../../core/checked';
import { formatDuration } from '../../core/format';
import { normaliseLevel, type LogEntry, type LogLevel } from '../../core/logEntry';
import type { WorkEvent } from '../../core/metrics';
import { parseTime } from '../../core/record';

/**
 * Reads one Redis stream entry (seed 001's `work_completions`, `work_errors`,
 * `stream:worker_events`, `events:stream`, or a user's own stream) into a log line
 * and, when it reports a finished task, a WorkEvent for the charts.
 *
 * Writers differ: flat fields (`worker_id`, `duration`, …) or one JSON field
 * (`data`/`payload`, as the lock-free state manager writes events). Both are read;
 * unknown fields are shown as `key=value` so nothing the worker said is hidden.
 */
export interface ParsedStreamEntry {
  entry: LogEntry;
  event?: WorkEvent;
}

const WORKER = ['worker_id', 'worker', 'workerId', 'worker_name', 'assigned_to'];
const TIME = ['timestamp', 'ts', 'time', 'completed_at', 'failed_at', 'created_at'];
const TYPE = ['event_type', 'event', 'type', 'kind', 'action'];
const MESSAGE = ['message', 'msg', 'error', 'error_message', 'reason'];
const TASK = ['title', 'task_title', 'task_id', 'work_item_id', 'item_id', 'task', 'id'];
const STACK = ['traceback', 'stack', 'exc_info', 'stacktrace'];
const SECONDS = ['duration', 'duration_seconds', 'duration_s', 'elapsed', 'elapsed_seconds', 'processing_time'];
const MILLIS = ['duration_ms', 'elapsed_ms'];
const NESTED = ['data', 'payload', 'event_data', 'json'];
const MAX_EXTRA = 400;

export function parseStreamEntry(stream: string, id: string, fields: readonly string[]): ParsedStreamEntry {
  // No prototype: fields named `__proto__` or `toString` are kept and shown like any other.
  const rec = plainRecord([]) as Record<string, string>;
  for (let i = 0; i + 1 < fields.length; i += 2) rec[fields[i]!] = fields[i + 1]!;
  for (const k of NESTED) {
    const nested = asObject(rec[k]);
    if (!nested) continue;
    delete rec[k];
    for (const [nk, nv] of Object.entries(nested)) {
      if (!(nk in rec)) rec[nk] = typeof nv === 'string' ? nv : JSON.stringify(nv);
    }
  }
  const used = new Set<string>();
  const pick = (keys: string[]) => {
    for (const k of keys) {
      const v = rec[k];
      if (v !== undefined && v !== '' && v !== 'null' && v !== 'None') {
        used.add(k);
        return v;
      }
    }
    return undefined;
  };

  const idMs = Number(id.split('-')[0]);
  const tsRaw = pick(TIME);
  // The stream id's time when the entry's own is missing or impossible (ids are set by the writer with XADD too).
  const ts = (tsRaw !== undefined ? parseTime(tsRaw) : undefined) ?? (isSaneTime(idMs) ? idMs : Date.now());
  const worker = pick(WORKER);
  const type = pick(TYPE);
  const levelRaw = pick(['level', 'severity', 'levelname']);
  const kind = workKind(stream, type);
  const level: LogLevel =
    levelRaw !== undefined
      ? normaliseLevel(levelRaw)
      : kind === 'failed'
        ? 'error'
        : levelFromWords(`${stream} ${type ?? ''}`);

  const durationMs = readDuration(rec, used, ts);
  const task = pick(TASK);
  const said = pick(MESSAGE);
  const stack = pick(STACK);

  let message: string;
  if (kind === 'completed')
    message = `Completed ${task ?? 'task'}${durationMs !== undefined ? ` in ${formatDuration(durationMs)}` : ''}`;
  else if (kind === 'failed') message = `Failed ${task ?? 'task'}${said ? `: ${said}` : ''}`;
  else message = [type, said].filter(Boolean).join(': ') || '(event)';
  if (kind === 'completed' && said) message += ` — ${said}`;
  const extra = Object.entries(rec)
    .filter(([k]) => !used.has(k))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  if (extra) message += ` ${extra.length > MAX_EXTRA ? `${extra.slice(0, MAX_EXTRA)}…` : extra}`;
  if (stack) message += `\n${stack}`;

  const entry: LogEntry = { ts, level, message, source: stream, id };
  if (worker) entry.worker = worker;
  const out: ParsedStreamEntry = { entry };
  if (kind) {
    out.event = { kind, ts };
    if (worker) out.event.worker = worker;
    if (durationMs !== undefined) out.event.durationMs = durationMs;
  }
  return out;
}

/** Whether the entry reports a finished task: by the stream it is in, else by its event type. */
function workKind(stream: string, type: string | undefined): WorkEvent['kind'] | undefined {
  if (/(^|[:_.-])(work_)?errors?$|fail/i.test(stream)) return 'failed';
  if (/complet|finish|done|success/i.test(stream)) return 'completed';
  const t = type ?? '';
  if (/(task|work|job)[_.\s-]?(failed|error|errored)|^(failed|failure)$/i.test(t)) return 'failed';
  if (/(task|work|job)[_.\s-]?(completed|complete|done|finished|succeeded)|^(completed|completion)$/i.test(t))
    return 'completed';
  return undefined;
}

function levelFromWords(s: string): LogLevel {
  if (/error|fail|crash|exception/i.test(s)) return 'error';
  if (/warn|stuck|slow|timeout|unresponsive|dead/i.test(s)) return 'warn';
  return 'info';
}

/** Duration in ms: `*_ms` fields are ms, other duration fields seconds; else end − `started_at`. */
function readDuration(rec: Record<string, string>, used: Set<string>, ts: number): number | undefined {
  for (const k of MILLIS) {
    const n = Number(rec[k]);
    if (rec[k] !== undefined && Number.isFinite(n) && n >= 0) {
      used.add(k);
      return n;
    }
  }
  for (const k of SECONDS) {
    const n = Number(rec[k]);
    if (rec[k] !== undefined && Number.isFinite(n) && n >= 0) {
      used.add(k);
      return n * 1000;
    }
  }
  const started = rec.started_at ?? rec.startedAt;
  if (started !== undefined) {
    const t = parseTime(started);
    if (t !== undefined && t <= ts) {
      used.add('started_at').add('startedAt');
      return ts - t;
    }
  }
  return undefined;
}

function asObject(v: string | undefined): Record<string, unknown> | undefined {
  if (!v || v[0] !== '{') return undefined;
  try {
    const o: unknown = JSON.parse(v);
    return o && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
