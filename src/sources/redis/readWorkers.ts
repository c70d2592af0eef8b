import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../core/connectionConfig';
import type { WorkerSnapshot } from '../../core/model';
import { parseRecord, unreadable, type FieldMap } from '../../core/record';
import { keyFor } from './orchestratorPreset';

/**
 * Reads the given workers in one pipeline (plus one more only for workers stored
 * as JSON strings): a round trip per fleet, not per worker, whatever its size.
 */
export async function readWorkers(client: Redis, ids: string[], keys: RedisKeys, fields: FieldMap): Promise<WorkerSnapshot[]> {
  if (ids.length === 0) return [];
  const perWorker = 1 + (keys.completedCounter ? 1 : 0) + (keys.errorsCounter ? 1 : 0);
  const pipe = client.pipeline();
  for (const id of ids) {
    // HGETALL first: the hash form is the common one. A string key answers WRONGTYPE
    // and is fetched with GET in a second pipeline below.
    pipe.hgetall(keyFor(keys.state, id));
    if (keys.completedCounter) pipe.get(keyFor(keys.completedCounter, id));
    if (keys.errorsCounter) pipe.get(keyFor(keys.errorsCounter, id));
  }
  const res = (await pipe.exec()) ?? [];

  const records = new Map<string, Record<string, unknown>>();
  const stringKeyed: string[] = [];
  const counters = new Map<string, { completed?: unknown; errors?: unknown }>();
  ids.forEach((id, i) => {
    const base = i * perWorker;
    const [err, value] = res[base] ?? [new Error('no reply')];
    if (err) {
      if (/WRONGTYPE/.test(err.message)) stringKeyed.push(id);
      else records.set(id, { __error: err.message });
    } else {
      records.set(id, value as Record<string, string>);
    }
    let j = base + 1;
    const c: { completed?: unknown; errors?: unknown } = {};
    if (keys.completedCounter) c.completed = res[j++]?.[1];
    if (keys.errorsCounter) c.errors = res[j++]?.[1];
    counters.set(id, c);
  });

  if (stringKeyed.length) {
    const values = await client.mget(stringKeyed.map((id) => keyFor(keys.state, id)));
    stringKeyed.forEach((id, i) => {
      const raw = values[i];
      if (raw === null) return records.set(id, {});
      try {
        const parsed: unknown = JSON.parse(raw);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) records.set(id, parsed as Record<string, unknown>);
        else records.set(id, { __error: `${keyFor(keys.state, id)} holds JSON that is not an object` });
      } catch {
        records.set(id, { __error: `${keyFor(keys.state, id)} is not valid JSON (${JSON.stringify(raw.slice(0, 40))}…)` });
      }
    });
  }

  return ids.map((id) => {
    const rec = records.get(id) ?? {};
    if (typeof rec.__error === 'string') return unreadable(id, rec.__error);
    if (Object.keys(rec).length === 0) {
      return unreadable(id, `listed in ${keys.activeSet} but ${keyFor(keys.state, id)} does not exist`);
    }
    const snap = parseRecord(id, rec, fields);
    // Per-worker counters are atomic increments: more current than the copy in the state record.
    const c = counters.get(id);
    const completed = toCount(c?.completed);
    const errors = toCount(c?.errors);
    if (completed !== undefined) snap.completed = completed;
    if (errors !== undefined) snap.errors = errors;
    return snap;
  });
}

function toCount(v: unknown): number | undefined {
  if (typeof v !== 'string' || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}
