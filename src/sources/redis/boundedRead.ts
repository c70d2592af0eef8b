import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../core/connectionConfig';
import type { WorkerSnapshot } from '../../core/model';
import type { FieldMap } from '../../core/record';
import { keyFor } from './orchestratorPreset';
import { applyCounters, readWorkers, toSnapshot, type Raw, type TypeHints } from './readWorkers';
import { isClusterClient, type RedisLike } from './redisClient';
import { readKeysScripted } from './clusterRead';
import {
  chunk,
  evalScript,
  inLanes,
  isScriptRefused,
  parseReply,
  type BoundedState,
  workerKeys,
  type Value,
} from './readScript';

export type { BoundedState } from './readScript';

/**
 * Ids per SSCAN step: Redis's work is a few thousand entries copied into the reply (a millisecond
 * or so), against 20 round trips for 100,000 workers.
 */
export const SCAN_COUNT = 2000;
/** Workers per read command: one script over 100 workers takes ~0.8 ms of Redis time (bench: commandstats). */
export const BATCH = 100;

/**
 * Reads every worker of the active set without ever holding Redis for long: the ids by
 * SSCAN (bounded steps instead of one SMEMBERS of the whole set), then the workers' keys
 * (state and counters) in batches of about BATCH workers, each ONE read-only script that
 * returns every key's value (hash or string) as one JSON string. One command per batch keeps
 * a 100,000-worker read at ~1,020 commands, none of them long; other clients of the store are
 * served between any two. (A single `SORT … GET` would be one command but would occupy a
 * production Redis for ~0.4 s at 100,000 workers.)
 *
 * On a cluster the keys are batched per node (a script may read keys of several slots, as
 * long as one node serves them all: Redis 7's `allow-cross-slot-keys`), so a cluster read
 * costs as few commands as a single Redis's. Where scripts are not allowed (ACL, Redis < 7
 * on a cluster, a managed Redis), each batch is a pipeline of HGETALL/GET instead.
 */
export async function readAllBounded(
  client: RedisLike,
  keys: RedisKeys,
  fields: FieldMap,
  state: BoundedState,
  typeHints?: TypeHints,
): Promise<WorkerSnapshot[]> {
  const counters = [keys.completedCounter, keys.errorsCounter].filter((t): t is string => Boolean(t));
  if (!state.scriptUnavailable) {
    const read = await scriptedWhileScanning(client, keys, fields, counters, state, typeHints);
    if (read) return read;
  }
  const ids = await scanIds(client, keys.activeSet);
  state.lastCommands = Math.ceil(ids.length / SCAN_COUNT) + 1 + ids.length * (1 + counters.length);
  return (await inLanes(chunk(ids, BATCH), (batch) => readWorkers(client, batch, keys, fields, { typeHints }))).flat();
}

/** Thrown inside a scripted read that must give way to the key-by-key read (a refusal, a slot that moved). */
const GIVE_WAY = new Error('read key by key');

/**
 * Each SSCAN step's ids are read (one script per BATCH workers' state and counter keys; on a
 * cluster per node) while the next step is asked for, so Redis and this process both keep busy
 * and each batch's replies are short-lived. Undefined when this read must go key by key (scripts
 * refused here, remembered in `state`; or a cluster slot that moved, this read only).
 */
async function scriptedWhileScanning(
  client: RedisLike,
  keys: RedisKeys,
  fields: FieldMap,
  counters: string[],
  state: BoundedState,
  typeHints?: TypeHints,
): Promise<WorkerSnapshot[] | undefined> {
  const width = 1 + counters.length;
  const assembled = (ids: string[], values: Value[]) =>
    ids.map((id, i) => assemble(id, values, i * width, keys, fields, typeHints));
  const readBatch = async (node: Redis, ids: string[]) => {
    const batch = workerKeys(ids, keys.state, counters, typeHints);
    return assembled(ids, parseReply(await evalScript(node, false, state, batch), batch.keys.length));
  };
  const readStep = isClusterClient(client)
    ? async (ids: string[]) => {
        const values = await readKeysScripted(client, ids, keys.state, counters, BATCH, state, typeHints);
        if (!values) throw GIVE_WAY;
        return assembled(ids, values);
      }
    : async (ids: string[]) => {
        const batches = chunk(ids, BATCH);
        state.lastCommands = (state.lastCommands ?? 0) + batches.length;
        return (await inLanes(batches, (batch) => readBatch(client, batch))).flat();
      };
  const seen = new Set<string>();
  const work: Promise<WorkerSnapshot[]>[] = [];
  state.lastCommands = 0;
  try {
    let cursor = '0';
    do {
      const [next, members] = await client.sscan(keys.activeSet, cursor, 'COUNT', SCAN_COUNT);
      state.lastCommands++;
      // SSCAN may return a member twice while the set rehashes
      const fresh = members.filter((m) => !seen.has(m) && seen.add(m));
      const read = readStep(fresh);
      read.catch(() => undefined); // awaited below; meanwhile a failure must not count as unhandled
      work.push(read);
      cursor = next;
    } while (cursor !== '0');
    return (await Promise.all(work)).flat();
  } catch (err) {
    if (err === GIVE_WAY) return undefined;
    // Only a definite "no" turns scripts off for this connection. A dropped connection, BUSY or a
    // timeout is the store's passing state: the caller reports it, and the next read tries again.
    if (!isScriptRefused(err)) throw err;
    state.scriptUnavailable = (err as Error).message.split('\n')[0];
    return undefined;
  }
}

/** The members of a set in bounded SSCAN steps (never one SMEMBERS of 100,000 ids), sorted. */
export async function scanIds(client: RedisLike, set: string): Promise<string[]> {
  const seen = new Set<string>();
  let cursor = '0';
  do {
    const [next, members] = await client.sscan(set, cursor, 'COUNT', SCAN_COUNT);
    for (const m of members) seen.add(m); // SSCAN may return a member twice while the set rehashes
    cursor = next;
  } while (cursor !== '0');
  return [...seen].sort();
}

function assemble(
  id: string,
  values: Value[],
  at: number,
  keys: RedisKeys,
  fields: FieldMap,
  typeHints?: TypeHints,
): WorkerSnapshot {
  const [kind, value] = values[at] ?? ['n', false];
  let raw: Raw;
  if (kind === 'h') raw = { kind: 'hash', value };
  else if (kind === 's') raw = { kind: 'string', value };
  else if (kind === 'n') raw = { kind: 'hash', value: {} };
  else raw = { kind: 'error', message: `${keyFor(keys.state, id)} is neither a hash nor a string holding JSON` };
  if (kind === 'h' || kind === 's') typeHints?.set(id, raw.kind as 'hash' | 'string');
  const snap = toSnapshot(id, raw, keys, fields);
  const counter = (j: number) => {
    const v = j >= 0 ? values[at + 1 + j] : undefined;
    return v?.[0] === 's' ? v[1] : undefined;
  };
  const completed = keys.completedCounter ? 0 : -1;
  const errors = keys.errorsCounter ? completed + 1 : -1;
  applyCounters(snap, counter(completed), counter(errors));
  return snap;
}
