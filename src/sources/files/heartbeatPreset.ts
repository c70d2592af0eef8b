import { daysInMonth, plainRecord } from '../../core/checked';
import type { WorkerSnapshot } from '../../core/model';
import { parseRecord, type FieldMap } from '../../core/record';

/**
 * The heartbeat-files preset: seed 004's `_write_heartbeat` JSON
 * (`worker`, `timestamp`, `status`, `model_loaded`, `tasks_completed`).
 * The rest are read only when a writer adds them (the simulator writes a task so a
 * slow worker can show); absent fields are simply left out.
 */
export const HEARTBEAT_FILE_FIELDS: FieldMap = {
  name: 'worker',
  status: 'status',
  lastHeartbeat: 'timestamp',
  completed: 'tasks_completed',
  task: 'current_task',
  errors: 'errors',
  specialization: 'specialization',
  pid: 'pid',
  host: 'host',
};

/** Heartbeat files bigger than this are not heartbeats; refuse rather than parse megabytes. */
export const MAX_FILE_BYTES = 1024 * 1024;

export type FileRead =
  | { ok: true; snapshot: WorkerSnapshot }
  /** `transient`: could be a write in progress (empty, cut-off JSON); worth retrying before calling it corrupt. */
  | { ok: false; problem: string; transient: boolean };

/**
 * Parses one heartbeat file. The worker id is the `worker` field (the name field of
 * the map) when present, else the file name without its extension, so files named
 * anything still identify their worker.
 */
export function readHeartbeat(fileName: string, fallbackId: string, raw: string, fields: FieldMap): FileRead {
  // Notepad and PowerShell's Out-File write a UTF-8 BOM; JSON.parse refuses it.
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  if (text.trim() === '') return { ok: false, problem: `${fileName} is empty`, transient: true };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const why = (err as Error).message.replace(/^JSON\.parse: /, '');
    return { ok: false, problem: `${fileName} is not valid JSON (${why})`, transient: true };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, problem: `${fileName} holds JSON that is not an object`, transient: false };
  }
  const record = naiveTimesAsLocal(parsed as Record<string, unknown>);
  const snapshot = parseRecord(fallbackId, record, fields);
  snapshot.id = snapshot.name;
  return { ok: true, snapshot };
}

const NAIVE_ISO = /^(\d{4})-(\d{2})-(\d{2})[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/**
 * Seed 004 writes `datetime.now().isoformat()`: local time with no zone. The core
 * parser reads zone-less times as UTC (right for Redis, where `utcnow()` is the
 * norm), but heartbeat files are written on this machine, so here a zone-less time
 * is local. Rewritten to epoch ms before parsing; nested objects (the task) too.
 */
export function naiveTimesAsLocal(record: Record<string, unknown>, depth = 0): Record<string, unknown> {
  // No prototype: a `__proto__` key in the file is a field like any other, not the object's prototype.
  const out = plainRecord([]);
  for (const [k, v] of Object.entries(record)) {
    const m = typeof v === 'string' ? NAIVE_ISO.exec(v.trim()) : null;
    if (m && +m[3] >= 1 && +m[3] <= daysInMonth(+m[1], +m[2])) {
      // ECMAScript reads a zone-less date-time as local time; it takes milliseconds at most.
      const t = Date.parse(
        (v as string)
          .trim()
          .replace(' ', 'T')
          .replace(/(\.\d{3})\d+/, '$1'),
      );
      out[k] = Number.isNaN(t) ? v : t;
    } else if (v && typeof v === 'object' && !Array.isArray(v) && depth < 2) {
      out[k] = naiveTimesAsLocal(v as Record<string, unknown>, depth + 1);
    } else {
      out[k] = v;
    }
  }
  return out;
}
