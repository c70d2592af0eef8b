import { boundedText, daysInMonth, isSaneTime, ownField } from './checked';
import type { TaskInfo, WorkerSnapshot } from './model';

/**
 * Where each normalised field lives in a store's record. Presets fill these;
 * users override any of them in the connection's `fields` setting.
 * A dotted name ("meta.pid") reads inside a JSON object column.
 */
export interface FieldMap {
  name?: string;
  status: string;
  lastHeartbeat: string;
  task?: string;
  completed?: string;
  errors?: string;
  specialization?: string;
  pid?: string;
  host?: string;
  uptime?: string;
  memory?: string;
  /** The code version. Unmapped, the first of VERSION_FIELDS the record has is read. */
  version?: string;
}

/** Where workers usually write the code they run, read when `version` is not mapped. */
export const VERSION_FIELDS = ['version', 'git_sha', 'commit'] as const;

/** Reads untrusted records into snapshots, collecting every problem in words instead of throwing. */
export function parseRecord(id: string, record: Record<string, unknown>, fields: FieldMap): WorkerSnapshot {
  const problems: string[] = [];
  const s: WorkerSnapshot = { id, name: id, problems };

  const name = readPath(record, fields.name);
  if (typeof name === 'string' && name.trim()) s.name = boundedText(name.trim());

  const status = readPath(record, fields.status);
  if (status !== undefined && status !== null) {
    if (typeof status === 'string') s.status = boundedText(status.trim().toLowerCase());
    else problems.push(`${fields.status} should be text but is ${describe(status)}`);
  }

  const hb = readPath(record, fields.lastHeartbeat);
  if (hb !== undefined && hb !== null && hb !== '') {
    const t = parseTime(hb);
    if (t === undefined) problems.push(`${fields.lastHeartbeat} is not a timestamp: ${describe(hb)}`);
    else s.lastHeartbeat = t;
  }

  if (fields.task) {
    const task = parseTask(readPath(record, fields.task), fields.task, problems);
    if (task) s.task = task;
  }

  // Optional fields are set only when present (never `delete`d afterwards: deleting
  // turns objects into slow dictionaries, which costs a 10,000-worker read dearly).
  const completed = readCount(readPath(record, fields.completed), fields.completed, problems);
  if (completed !== undefined) s.completed = completed;
  const errors = readCount(readPath(record, fields.errors), fields.errors, problems);
  if (errors !== undefined) s.errors = errors;
  const pid = readCount(readPath(record, fields.pid), fields.pid, problems);
  if (pid !== undefined) s.pid = pid;
  const uptime = readCount(readPath(record, fields.uptime), fields.uptime, problems);
  if (uptime !== undefined) s.uptimeSeconds = uptime;
  const memory = readCount(readPath(record, fields.memory), fields.memory, problems);
  if (memory !== undefined) s.memoryBytes = memory;
  const spec = readPath(record, fields.specialization);
  if (typeof spec === 'string' && spec) s.specialization = boundedText(spec);
  const host = readPath(record, fields.host);
  if (typeof host === 'string' && host) s.host = boundedText(host);
  // Shown as text whatever it is: a version that is not a commit is still worth seeing.
  const version = text(
    fields.version ? readPath(record, fields.version) : (record.version ?? record.git_sha ?? record.commit),
  );
  const v = version?.trim();
  if (v) s.version = v.length > 80 ? `${v.slice(0, 80)}…` : v;
  return s;
}

/** A worker whose record could not be read at all still shows, in `unknown`, saying why. */
export function unreadable(id: string, problem: string): WorkerSnapshot {
  return { id, name: id, problems: [problem] };
}

// Plain functions, not closures: this runs for every worker on every read.
function readPath(record: Record<string, unknown>, path: string | undefined): unknown {
  if (path === undefined) return undefined;
  // Own fields only: a record without `constructor` has no `constructor` field.
  const direct = ownField(record, path);
  // Most mappings are plain names: no split, no allocation.
  if (direct !== undefined || path.indexOf('.') < 0) return direct;
  let cur: unknown = record;
  for (const part of path.split('.')) {
    if (typeof cur === 'string') cur = tryJson(cur);
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = ownField(cur, part);
  }
  return cur;
}

function text(x: unknown): string | undefined {
  return typeof x === 'string' && x ? boundedText(x) : typeof x === 'number' ? String(x) : undefined;
}

function tryJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/**
 * An epoch number in whichever unit the worker wrote: seconds (time.time()), ms (Date.now()),
 * µs or ns (time.time_ns()). Told apart by size: today is ~1.7e9 s, 1.7e12 ms, 1.7e15 µs, 1.7e18 ns.
 */
function epochToMs(v: number): number {
  if (v < 1e11) return v * 1000;
  if (v < 1e14) return v;
  if (v < 1e17) return v / 1000;
  return v / 1e6;
}

/** ISO 8601 as Python and JS write it: date, time, optional fraction (any digits), optional zone. */
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * ISO 8601 (a naive one is UTC, as Python's utcnow().isoformat() writes), epoch seconds or ms.
 * Parsed by hand rather than with Date.parse: it runs for every worker on every read
 * (10,000 workers × 2 timestamps per poll), and JS dates take at most milliseconds
 * where Python writes microseconds.
 */
export function parseTime(v: unknown): number | undefined {
  const t = parseAnyTime(v);
  // Bounded: 1e300 is a number, but no heartbeat, and no date a view could print.
  return t !== undefined && isSaneTime(t) ? t : undefined;
}

function parseAnyTime(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? epochToMs(v) : undefined;
  if (typeof v !== 'string') return undefined;
  const str = v.trim();
  if (/^\d+(\.\d+)?$/.test(str)) return parseAnyTime(Number(str));
  const m = ISO.exec(str);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  const month = +mo;
  const day = +d;
  const hour = +h;
  const minute = +mi;
  const second = sec === undefined ? 0 : +sec;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  // 2024-02-30 does not exist: Date.UTC would roll it over to 1 March, silently.
  if (day > daysInMonth(+y, month)) return undefined;
  const ms = frac === undefined ? 0 : Math.floor(+`${frac}00`.slice(0, 3));
  let t = Date.UTC(+y, month - 1, day, hour, minute, second, ms);
  if (zone && zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetMin = +digits.slice(0, 2) * 60 + (digits.length > 2 ? +digits.slice(2, 4) : 0);
    t -= sign * offsetMin * 60_000;
  }
  return t;
}

function readCount(v: unknown, field: string | undefined, problems: string[]): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isFinite(n)) {
    problems.push(`${field} should be a number but is ${describe(v)}`);
    return undefined;
  }
  // Counters, ids, uptimes and sizes: a negative one is a writer's bug, not a value to show.
  if (n < 0) {
    problems.push(`${field} should not be negative but is ${describe(v)}`);
    return undefined;
  }
  return n;
}

const NO_TASK = new Set(['', 'null', 'none', 'nil']);

function parseTask(v: unknown, field: string, problems: string[]): TaskInfo | undefined {
  if (v === undefined || v === null) return undefined;
  let obj: unknown = v;
  if (typeof v === 'string') {
    if (NO_TASK.has(v.trim().toLowerCase())) return undefined;
    obj = tryJson(v);
    if (obj === undefined) {
      problems.push(`${field} is not valid JSON: ${describe(v)}`);
      return undefined;
    }
    if (obj === null) return undefined;
  }
  if (typeof obj !== 'object' || Array.isArray(obj)) {
    problems.push(`${field} should be an object but is ${describe(obj)}`);
    return undefined;
  }
  const o = obj as Record<string, unknown>;
  const task: TaskInfo = {};
  const id = text(o.id ?? o.task_id);
  const title = text(o.title ?? o.name ?? o.description);
  const type = text(o.task_type ?? o.type);
  const repository = text(o.repository ?? o.repo);
  if (id) task.id = id;
  if (title) task.title = title;
  if (type) task.type = type;
  if (repository) task.repository = repository;
  const started = o.started_at ?? o.startedAt;
  if (started !== undefined && started !== null) {
    const t = parseTime(started);
    if (t === undefined) problems.push(`${field}.started_at is not a timestamp: ${describe(started)}`);
    else task.startedAt = t;
  }
  return task;
}

/** A short, safe description of a bad value for messages (truncated, never the whole blob). */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
