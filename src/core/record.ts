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
}

/** Reads untrusted records into snapshots, collecting every problem in words instead of throwing. */
export function parseRecord(id: string, record: Record<string, unknown>, fields: FieldMap): WorkerSnapshot {
  const problems: string[] = [];
  const get = (field: string | undefined): unknown => (field ? readPath(record, field) : undefined);
  const s: WorkerSnapshot = { id, name: id, problems };

  const name = get(fields.name);
  if (typeof name === 'string' && name.trim()) s.name = name.trim();

  const status = get(fields.status);
  if (status !== undefined && status !== null) {
    if (typeof status === 'string') s.status = status.trim().toLowerCase();
    else problems.push(`${fields.status} should be text but is ${describe(status)}`);
  }

  const hb = get(fields.lastHeartbeat);
  if (hb !== undefined && hb !== null && hb !== '') {
    const t = parseTime(hb);
    if (t === undefined) problems.push(`${fields.lastHeartbeat} is not a timestamp: ${describe(hb)}`);
    else s.lastHeartbeat = t;
  }

  if (fields.task) {
    const task = parseTask(get(fields.task), fields.task, problems);
    if (task) s.task = task;
  }

  s.completed = readCount(get(fields.completed), fields.completed, problems);
  s.errors = readCount(get(fields.errors), fields.errors, problems);
  s.pid = readCount(get(fields.pid), fields.pid, problems);
  s.uptimeSeconds = readCount(get(fields.uptime), fields.uptime, problems);
  s.memoryBytes = readCount(get(fields.memory), fields.memory, problems);
  const spec = get(fields.specialization);
  if (typeof spec === 'string' && spec) s.specialization = spec;
  const host = get(fields.host);
  if (typeof host === 'string' && host) s.host = host;

  // Leave optional fields out rather than undefined, so snapshots compare cheaply.
  for (const k of Object.keys(s) as (keyof WorkerSnapshot)[]) if (s[k] === undefined) delete s[k];
  return s;
}

/** A worker whose record could not be read at all still shows, in `unknown`, saying why. */
export function unreadable(id: string, problem: string): WorkerSnapshot {
  return { id, name: id, problems: [problem] };
}

function readPath(record: Record<string, unknown>, path: string): unknown {
  if (path in record) return record[path];
  let cur: unknown = record;
  for (const part of path.split('.')) {
    if (typeof cur === 'string') cur = tryJson(cur);
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function tryJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** ISO 8601 (a naive one is UTC, as Python's utcnow().isoformat() writes), epoch seconds or ms. */
export function parseTime(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? (v < 1e12 ? v * 1000 : v) : undefined;
  if (typeof v !== 'string') return undefined;
  const str = v.trim();
  if (/^\d+(\.\d+)?$/.test(str)) return parseTime(Number(str));
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(str)) return undefined;
  const hasZone = /([zZ]|[+-]\d{2}:?\d{2})$/.test(str);
  // JS Date accepts at most milliseconds; Python writes microseconds.
  const trimmed = str.replace(/(\.\d{3})\d+/, '$1').replace(' ', 'T');
  const t = Date.parse(hasZone ? trimmed : `${trimmed}Z`);
  return Number.isNaN(t) ? undefined : t;
}

function readCount(v: unknown, field: string | undefined, problems: string[]): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isFinite(n)) {
    problems.push(`${field} should be a number but is ${describe(v)}`);
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
  const text = (x: unknown) => (typeof x === 'string' && x ? x : typeof x === 'number' ? String(x) : undefined);
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
