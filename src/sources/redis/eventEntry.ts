import { plainRecord } from '../../core/checked';
import { idInText } from './keyTemplate';

/**
 * Which workers a stream entry names. Streams such as `events:stream` and
 * `stream:worker_events` are written by the workers' own code, whose entry shape
 * we do not control, so we accept the shapes seen in the wild, in this order:
 *
 * 1. a field `worker_id`, `workerId`, `worker`, `worker_name` or `workerName`;
 * 2. any field whose value contains an instance of the state key template,
 *    e.g. `key=worker:state:w1` or a prefixed `lockfree:worker:state:w1`;
 * 3. the same two rules one level inside a field holding a JSON object
 *    (`data={"worker_id": "w1", …}`, `payload=…`);
 * 4. only when nothing above matched: a field `id` (some writers use it for the worker).
 *
 * A wrong guess costs little: the re-read asks SISMEMBER on the active set first,
 * so an id that is not a worker is ignored. An entry naming no worker is skipped;
 * the reconciliation poll covers whatever it meant.
 */
export const WORKER_ID_FIELDS = ['worker_id', 'workerId', 'worker', 'worker_name', 'workerName'];

/** @param fields the entry's flat `[field, value, field, value, …]` list, as XREAD returns it. */
export function workerIdsFromEntry(fields: string[], stateTemplate: string): string[] {
  // No prototype: a field named `__proto__` or `constructor` is data like the others.
  const obj = plainRecord([]);
  for (let i = 0; i + 1 < fields.length; i += 2) obj[fields[i]] = fields[i + 1];
  const found = new Set<string>();
  collect(obj, stateTemplate, found, true);
  if (found.size === 0 && typeof obj.id === 'string' && obj.id) found.add(obj.id);
  return [...found];
}

function collect(obj: Record<string, unknown>, template: string, found: Set<string>, descend: boolean): void {
  for (const name of WORKER_ID_FIELDS) {
    const v = obj[name];
    if ((typeof v === 'string' && v.trim()) || typeof v === 'number') found.add(String(v).trim());
  }
  for (const v of Object.values(obj)) {
    if (typeof v !== 'string') continue;
    const id = idInText(template, v);
    if (id) found.add(id);
    if (descend && v.startsWith('{')) {
      const inner = tryObject(v);
      if (inner) collect(inner, template, found, false);
    }
  }
}

function tryObject(s: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(s);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
