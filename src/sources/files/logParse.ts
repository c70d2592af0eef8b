import { normaliseLevel, type LogEntry, type LogLevel } from '../../core/logEntry';
import { daysInMonth, isSaneTime } from '../../core/checked';
import { parseTime } from '../../core/record';

/**
 * Reads one line of a worker's text log into a LogEntry. The formats met in the
 * seeds and in the wild, tried in order:
 * - JSON lines (pino, structlog, bunyan): `{"time":…,"level":…,"msg":…}`;
 * - seed 004: `[2026-02-07 21:05:50] [worker-gpu1] Worker starting main loop`
 *   (bracketed tags; an optional `[INFO]`);
 * - Python logging: `2026-02-07 21:05:50,123 - worker.gpu1 - INFO - message`,
 *   and basicConfig's `INFO:worker:message`;
 * - `2026-02-07T21:05:50Z ERROR [worker-3] message` (seed 002's shell workers).
 * A line without a timestamp (traceback, wrapped text) continues the previous entry.
 */
export interface ParsedLine {
  ts?: number;
  worker?: string;
  level?: LogLevel;
  message: string;
}

const TS = String.raw`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?`;
const LEADING_TS = new RegExp(`^\\[?(${TS})\\]?\\s*(?:-\\s+|\\|\\s*)?`);
const LEVEL_WORD = /^(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|CRITICAL|CRIT|FATAL|EXCEPTION)$/i;
const TAG = /^\[([^\]\n]{1,80})\]\s*/;
const PY_BASIC = /^(TRACE|DEBUG|INFO|WARNING|ERROR|CRITICAL):([^:\s]+):(.*)$/;

export function parseLogLine(line: string): ParsedLine {
  const raw = line.replace(/\r$/, '');
  const json = raw.startsWith('{') ? parseJsonLine(raw) : undefined;
  if (json) return json;

  const basic = PY_BASIC.exec(raw);
  if (basic) return { level: normaliseLevel(basic[1]), worker: basic[2], message: basic[3]!.trim() };

  const out: ParsedLine = { message: raw };
  const tsm = LEADING_TS.exec(raw);
  if (!tsm) return out;
  out.ts = parseLocalTime(tsm[1]!);
  let rest = raw.slice(tsm[0].length);

  // Python's "name - LEVEL - message".
  const py = /^([^\s[\]]+) - ([A-Za-z]+) - ([\s\S]*)$/.exec(rest);
  if (py && LEVEL_WORD.test(py[2]!)) return { ...out, worker: py[1], level: normaliseLevel(py[2]), message: py[3]! };

  // Any mix of [tag] and bare LEVEL words, then the message.
  for (let i = 0; i < 4; i++) {
    const tag = TAG.exec(rest);
    const word = /^([A-Za-z]+):?\s+/.exec(rest);
    if (tag) {
      const t = tag[1]!.trim();
      if (LEVEL_WORD.test(t) && !out.level) out.level = normaliseLevel(t);
      else if (!out.worker && /^[^\s]+$/.test(t)) out.worker = t;
      else break;
      rest = rest.slice(tag[0].length);
    } else if (word && LEVEL_WORD.test(word[1]!) && !out.level) {
      out.level = normaliseLevel(word[1]);
      rest = rest.slice(word[0].length);
    } else break;
  }
  out.message = rest;
  return out;
}

/**
 * Keywords for logs that carry no level (seed 004's lines have none). The debug list
 * is seed 004's own "DEBUG (enable during troubleshooting)" set, so the level filter
 * can hide claim-loop noise; checked first because "Lock timeout" is routine.
 */
const DEBUG_PREFIX =
  /^(Heartbeat sent|Attempting claim|Lost race|Lock timeout|No suitable tasks|Queue empty|Claim attempt)\b/i;
const ERROR_WORDS = /\b(crash(ed|es)?|exception|traceback|error|fatal|failed|failure|panic)\b/i;
const WARN_WORDS = /\b(warn(ing)?|stuck|stale|timeout|timed out|retry(ing)?|unresponsive|dead)\b/i;

export function inferLevel(message: string): LogLevel {
  if (DEBUG_PREFIX.test(message)) return 'debug';
  if (ERROR_WORDS.test(message)) return 'error';
  if (WARN_WORDS.test(message)) return 'warn';
  return 'info';
}

/** A line that continues the entry above it: indented, a traceback header or its final exception line. */
function isContinuation(line: string): boolean {
  return (
    /^\s+\S/.test(line) ||
    /^Traceback \(most recent call last\)/.test(line) ||
    /^[A-Za-z_.]*(Error|Exception|Interrupt)\b:?/.test(line)
  );
}

/**
 * Turns a stream of lines from one file into LogEntries. Lines with no timestamp
 * inherit the previous entry's time, worker and level, so a traceback stays with
 * the error that raised it (and passes the same filters).
 */
export class LogLineParser {
  private prev?: { ts: number; worker?: string; level: LogLevel };
  /** Whether the last line parsed carried its own time (not the clock's, not the line above's). */
  lastTimed = false;

  constructor(
    private readonly source: string,
    /** The worker a file belongs to when its lines do not say (`worker-3.log` → `worker-3`). */
    private readonly defaultWorker?: string,
    private readonly clock: () => number = Date.now,
  ) {}

  parse(line: string, id?: string): LogEntry {
    const p = parseLogLine(line);
    this.lastTimed = p.ts !== undefined;
    let entry: LogEntry;
    if (p.ts === undefined && p.level === undefined && this.prev && isContinuation(p.message)) {
      entry = { ts: this.prev.ts, level: this.prev.level, message: p.message, source: this.source };
      if (this.prev.worker) entry.worker = this.prev.worker;
    } else {
      const ts = p.ts ?? this.clock();
      const level = p.level ?? inferLevel(p.message);
      const worker = p.worker ?? this.defaultWorker;
      entry = { ts, level, message: p.message, source: this.source };
      if (worker) entry.worker = worker;
      this.prev = { ts, worker, level };
    }
    if (id !== undefined) entry.id = id;
    return entry;
  }
}

/** Worker name from a log file name: `worker-3.log` → `worker-3`, `worker_gpu1.err.log` → `worker_gpu1`. */
export function workerFromFileName(file: string): string | undefined {
  const base = file.split(/[\\/]/).pop() ?? '';
  const m = /^(.+?)(\.(err|out|stderr|stdout))?\.log(\.\d+)?$/.exec(base);
  return m?.[1] || undefined;
}

/**
 * A log timestamp. Naive ones are local time: a log file is written on the machine
 * (or container) that runs the worker, with `datetime.now()` as in seed 004.
 * (State records differ: record.ts reads naive times as UTC, as utcnow() writes.)
 */
export function parseLocalTime(s: string): number | undefined {
  const str = s.trim().replace(',', '.');
  if (/([zZ]|[+-]\d{2}:?\d{2})$/.test(str)) return parseTime(str);
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3})\d*)?$/.exec(str);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se, ms] = m;
  // new Date() would roll 2024-02-30 over to 1 March, or 25:00 to the next day.
  if (+mo! < 1 || +mo! > 12 || +d! < 1 || +d! > daysInMonth(+y!, +mo!) || +h! > 23 || +mi! > 59 || +se! > 59)
    return undefined;
  const t = new Date(+y!, +mo! - 1, +d!, +h!, +mi!, +se!, ms ? Number(ms.padEnd(3, '0')) : 0).getTime();
  return isSaneTime(t) ? t : undefined;
}

function parseJsonLine(raw: string): ParsedLine | undefined {
  let o: unknown;
  try {
    o = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) return undefined;
  const r = o as Record<string, unknown>;
  const msg = r.msg ?? r.message ?? r.event ?? r.text;
  if (msg === undefined) return undefined;
  const out: ParsedLine = { message: typeof msg === 'string' ? msg : JSON.stringify(msg) };
  const ts = r.time ?? r.ts ?? r.timestamp ?? r['@timestamp'];
  if (ts !== undefined) out.ts = typeof ts === 'string' ? (parseLocalTime(ts) ?? parseTime(ts)) : parseTime(ts);
  const lvl = r.level ?? r.levelname ?? r.severity ?? r.lvl;
  if (typeof lvl === 'number')
    out.level = lvl >= 50 ? 'error' : lvl >= 40 ? 'warn' : lvl >= 30 ? 'info' : 'debug'; // pino/bunyan numbers
  else if (lvl !== undefined) out.level = normaliseLevel(lvl);
  const worker = r.worker ?? r.worker_id ?? r.workerId ?? r.worker_name ?? r.name ?? r.logger;
  if (typeof worker === 'string' && worker) out.worker = worker;
  const stack = r.stack ?? r.exc_info ?? r.traceback;
  if (typeof stack === 'string' && stack) out.message += `\n${stack}`;
  return out;
}
