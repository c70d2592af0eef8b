import type { RedisKeys } from '../../core/connectionConfig';
import type { WorkerSnapshot } from '../../core/model';
import { parseRecord, unreadable, type FieldMap } from '../../core/record';
import { keyFor } from './orchestratorPreset';
import { isStoreUnavailable } from './redisErrors';
import type { RedisLike } from './redisClient';
import { batchFor, type Reply } from './commandBatch';

/** How each worker's state key was stored last time: read it with the right command first. */
export type TypeHints = Map<string, 'hash' | 'string'>;

export interface ReadOptions {
  /** Learned per worker and updated here, so a fleet of JSON strings costs one round trip, not two. */
  typeHints?: TypeHints;
}

/**
 * Reads the given workers in one pipeline: per worker one HGETALL (or GET for a
 * worker known to be a JSON string), plus a single MGET for all counters. A worker
 * whose key turned out to be the other type is fetched in a second, small pipeline.
 * Commands per read: N + 1 (+ the few retried), round trips: one per fleet. On a
 * Redis Cluster, one pipeline per node instead (see commandBatch.ts).
 */
export async function readWorkers(
  client: RedisLike,
  ids: string[],
  keys: RedisKeys,
  fields: FieldMap,
  opts: ReadOptions = {},
): Promise<WorkerSnapshot[]> {
  if (ids.length === 0) return [];
  const { snapshots } = await readRaw(client, ids, keys, fields, opts, false);
  return snapshots;
}

/**
 * Re-reads workers an event named (push paths). The same pipeline also asks
 * SISMEMBER, so an id that is no longer (or never was) in the active set is
 * reported as gone instead of showing up as a worker without state.
 */
export async function readChanged(
  client: RedisLike,
  ids: string[],
  keys: RedisKeys,
  fields: FieldMap,
  opts: ReadOptions = {},
): Promise<{ workers: WorkerSnapshot[]; gone: string[] }> {
  if (ids.length === 0) return { workers: [], gone: [] };
  const { snapshots, members } = await readRaw(client, ids, keys, fields, opts, true);
  const workers: WorkerSnapshot[] = [];
  const gone: string[] = [];
  snapshots.forEach((s, i) => (members[i] ? workers.push(s) : gone.push(s.id)));
  return { workers, gone };
}

export type Raw =
  | { kind: 'hash'; value: Record<string, string> }
  | { kind: 'string'; value: string | null }
  | { kind: 'error'; message: string };

async function readRaw(
  client: RedisLike,
  ids: string[],
  keys: RedisKeys,
  fields: FieldMap,
  opts: ReadOptions,
  membership: boolean,
): Promise<{ snapshots: WorkerSnapshot[]; members: boolean[] }> {
  const hints = opts.typeHints;
  const counterKeys = counterKeysFor(ids, keys);
  const pipe = batchFor(client);
  for (const id of ids) {
    if (membership) pipe.sismember(keys.activeSet, id);
    const key = keyFor(keys.state, id);
    if (hints?.get(id) === 'string') pipe.get(key);
    else pipe.hgetall(key);
  }
  if (counterKeys.length) pipe.mget(counterKeys);
  const res = await pipe.exec();
  // A pipeline fails per command; a reply-less pipeline means the connection went away.
  if (res.length === 0) throw new Error('Connection is closed.');
  throwIfStoreUnavailable(res);

  const step = membership ? 2 : 1;
  const members: boolean[] = [];
  const raws: Raw[] = [];
  const retry: number[] = [];
  ids.forEach((id, i) => {
    // An error on SISMEMBER tells us nothing: keep the worker rather than drop it.
    if (membership) members.push(res[i * step]?.[0] ? true : res[i * step]?.[1] === 1);
    const [err, value] = res[i * step + step - 1] ?? [new Error('no reply')];
    const asString = hints?.get(id) === 'string';
    if (err) {
      if (/WRONGTYPE/.test(err.message)) retry.push(i);
      raws.push({ kind: 'error', message: err.message });
    } else if (asString) raws.push({ kind: 'string', value: value as string | null });
    else raws.push({ kind: 'hash', value: value as Record<string, string> });
  });
  const counters = counterKeys.length ? (res[ids.length * step]?.[1] as (string | null)[] | undefined) : undefined;

  if (retry.length) {
    // The key is of the other type than we guessed: ask again with the other command.
    const again = batchFor(client);
    for (const i of retry) {
      const key = keyFor(keys.state, ids[i]);
      if (hints?.get(ids[i]) === 'string') again.hgetall(key);
      else again.get(key);
    }
    const res2 = await again.exec();
    if (res2.length === 0) throw new Error('Connection is closed.');
    throwIfStoreUnavailable(res2);
    retry.forEach((i, j) => {
      const [err, value] = res2[j] ?? [new Error('no reply')];
      const wasString = hints?.get(ids[i]) === 'string';
      if (err) {
        raws[i] = /WRONGTYPE/.test(err.message)
          ? { kind: 'error', message: `${keyFor(keys.state, ids[i])} is neither a hash nor a string holding JSON` }
          : { kind: 'error', message: err.message };
      } else if (wasString) raws[i] = { kind: 'hash', value: value as Record<string, string> };
      else raws[i] = { kind: 'string', value: value as string | null };
    });
  }

  const snapshots = ids.map((id, i) => {
    const raw = raws[i];
    if (hints && raw.kind !== 'error') hints.set(id, raw.kind);
    const snap = toSnapshot(id, raw, keys, fields);
    if (counters) {
      const j = i * (counterKeys.length / ids.length);
      applyCounters(
        snap,
        keys.completedCounter ? counters[j] : undefined,
        keys.errorsCounter ? counters[keys.completedCounter ? j + 1 : j] : undefined,
      );
    }
    return snap;
  });
  return { snapshots, members };
}

/**
 * A dropped connection (or a BUSY server) fails every command of a pipeline alike:
 * that is the store's state, not each worker's. Fail the whole read so the fleet goes
 * stale with its last known state, instead of replacing it with workers "unknown".
 */
function throwIfStoreUnavailable(res: Reply[]): void {
  for (const [err] of res) if (err && isStoreUnavailable(err)) throw err;
}

function counterKeysFor(ids: string[], keys: RedisKeys): string[] {
  const out: string[] = [];
  if (!keys.completedCounter && !keys.errorsCounter) return out;
  for (const id of ids) {
    if (keys.completedCounter) out.push(keyFor(keys.completedCounter, id));
    if (keys.errorsCounter) out.push(keyFor(keys.errorsCounter, id));
  }
  return out;
}

export function toSnapshot(id: string, raw: Raw, keys: RedisKeys, fields: FieldMap): WorkerSnapshot {
  if (raw.kind === 'hash') {
    for (const _ in raw.value) return parseRecord(id, raw.value, fields); // the common case: no allocations here
  }
  const key = keyFor(keys.state, id);
  const missing = () => unreadable(id, `listed in ${keys.activeSet} but ${key} does not exist`);
  if (raw.kind === 'error') return unreadable(id, raw.message);
  if (raw.kind === 'hash' || raw.value === null) return missing();
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.value);
  } catch {
    return unreadable(
      id,
      `${key} is not valid JSON (${JSON.stringify(raw.value.slice(0, 40))}${raw.value.length > 40 ? '…' : ''})`,
    );
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return unreadable(
      id,
      `${key} holds JSON that is not an object (${Array.isArray(parsed) ? 'a list' : JSON.stringify(parsed)})`,
    );
  }
  return parseRecord(id, parsed as Record<string, unknown>, fields);
}

/** Per-worker counters are atomic increments: more current than the copies in the state record. */
export function applyCounters(snap: WorkerSnapshot, completed: unknown, errors: unknown): void {
  const c = toCount(completed);
  if (c !== undefined) snap.completed = c;
  const e = toCount(errors);
  if (e !== undefined) snap.errors = e;
}

function toCount(v: unknown): number | undefined {
  if (typeof v !== 'string' || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}
