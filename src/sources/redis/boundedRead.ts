import type { RedisKeys } from '../../core/connectionConfig';
import type { WorkerSnapshot } from '../../core/model';
import type { FieldMap } from '../../core/record';
import { keyFor } from './orchestratorPreset';
import { applyCounters, readWorkers, toSnapshot, type Raw, type TypeHints } from './readWorkers';
import { isRefusedCommand } from './redisErrors';
import { isClusterClient, type RedisLike } from './redisClient';

/** Ids per SSCAN: one step over a 100,000-member set takes well under a millisecond. */
export const SCAN_COUNT = 2000;
/** Workers per read command: one script over 100 workers takes well under 1 ms of Redis time (bench: SLOWLOG). */
export const BATCH = 100;
/** Batches sent before the first one's reply is back. */
const IN_FLIGHT = 3;

/**
 * Reads every worker of the active set without ever holding Redis for long: the ids by
 * SSCAN (bounded steps instead of one SMEMBERS of the whole set), then the records in
 * batches of BATCH, each ONE read-only script that returns the batch's records (hash or
 * JSON string) and counters as one JSON string. One command per batch keeps a 100,000
 * worker read at ~1,050 commands, none of them long; other clients of the store get their
 * turn between batches. A single `SORT … GET` would be one command but would occupy a
 * production Redis for ~0.4 s at 100,000 workers.
 *
 * Where scripts are not allowed (ACL, Redis < 7 without EVAL_RO, a managed Redis) or on a
 * cluster (a batch's keys live in many slots), each batch is a pipeline of HGETALL/GET.
 */
export async function readAllBounded(
  client: RedisLike,
  keys: RedisKeys,
  fields: FieldMap,
  state: BoundedState,
  typeHints?: TypeHints,
): Promise<WorkerSnapshot[]> {
  const ids = await scanIds(client, keys.activeSet);
  state.lastCommands = Math.ceil(ids.length / SCAN_COUNT) + 1 + Math.ceil(ids.length / BATCH);
  const batches: string[][] = [];
  for (let i = 0; i < ids.length; i += BATCH) batches.push(ids.slice(i, i + BATCH));
  const read = async (batch: string[]) =>
    (state.scriptUnavailable || isClusterClient(client)
      ? undefined
      : await scriptBatch(client, batch, keys, fields, state, typeHints)) ??
    (await readWorkers(client, batch, keys, fields, { typeHints }));
  // A few batches in flight: Redis works on the next while this process parses the last,
  // and still runs other clients' commands between any two of ours.
  const results: WorkerSnapshot[][] = new Array(batches.length);
  let next = 0;
  const lane = async () => {
    while (next < batches.length) {
      const i = next++;
      results[i] = await read(batches[i]);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return results.flat();
}

/** Remembers, per connection, what this server allows (so a refusal costs one try, not one per read). */
export interface BoundedState {
  /** Why the one-script batch is not used here, once known. */
  scriptUnavailable?: string;
  /** EVAL_RO (Redis ≥ 7, read-only, allowed on replicas) or plain EVAL. */
  command?: 'EVAL_RO' | 'EVAL';
  /** Commands the last full read sent: what the read's pacing is measured in. */
  lastCommands?: number;
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

/*
 * KEYS: the batch's state keys, then its counter keys (ARGV[2] per worker). For each
 * worker: {"h", {field: value}} for a hash, {"s", text} for a string, {"n"} when the key
 * is missing, {"t", type} for another type; then its counters (false when absent or not
 * a string). cjson turns the whole batch into one reply the client parses natively.
 */
const SCRIPT = `
local n = tonumber(ARGV[1])
local c = tonumber(ARGV[2])
local out = {}
for i = 1, n do
  local k = KEYS[i]
  local ok, h = pcall(redis.call, 'HGETALL', k)
  local rec
  if ok then
    if #h == 0 then
      rec = {'n', false}
    else
      local m = {}
      for j = 1, #h, 2 do m[h[j]] = h[j + 1] end
      rec = {'h', m}
    end
  else
    local ok2, v = pcall(redis.call, 'GET', k)
    if ok2 then rec = {'s', v} else rec = {'t', redis.call('TYPE', k).ok} end
  end
  for j = 1, c do
    local okc, v = pcall(redis.call, 'GET', KEYS[n + (i - 1) * c + j])
    if okc and v then rec[#rec + 1] = v else rec[#rec + 1] = false end
  end
  out[i] = rec
end
return cjson.encode(out)
`;

type Rec = [kind: 'h' | 's' | 'n' | 't', value: unknown, ...counters: (string | false)[]];

async function scriptBatch(
  client: RedisLike,
  ids: string[],
  keys: RedisKeys,
  fields: FieldMap,
  state: BoundedState,
  typeHints?: TypeHints,
): Promise<WorkerSnapshot[] | undefined> {
  const counterTemplates = [keys.completedCounter, keys.errorsCounter].filter((t): t is string => Boolean(t));
  const keyList = ids.map((id) => keyFor(keys.state, id));
  for (const id of ids) for (const t of counterTemplates) keyList.push(keyFor(t, id));
  let reply: unknown;
  try {
    reply = await evalReadOnly(client, state, keyList, [String(ids.length), String(counterTemplates.length)]);
  } catch (err) {
    // Only a definite "no" turns scripts off for this connection. A dropped connection, BUSY or a
    // timeout is the store's passing state: the caller reports it, and the next read tries again.
    if (!isScriptRefused(err)) throw err;
    state.scriptUnavailable = (err as Error).message.split('\n')[0];
    return undefined;
  }
  const recs = typeof reply === 'string' ? (JSON.parse(reply) as Rec[]) : [];
  if (!Array.isArray(recs) || recs.length !== ids.length) return undefined;
  return ids.map((id, i) => {
    const [kind, value, ...counters] = recs[i];
    let raw: Raw;
    if (kind === 'h') raw = { kind: 'hash', value: value as Record<string, string> };
    else if (kind === 's') raw = { kind: 'string', value: value as string };
    else if (kind === 'n') raw = { kind: 'hash', value: {} };
    else
      raw = {
        kind: 'error',
        message: `${keyFor(keys.state, id)} is neither a hash nor a string holding JSON`,
      };
    if (raw.kind !== 'error' && kind !== 'n') typeHints?.set(id, raw.kind);
    const snap = toSnapshot(id, raw, keys, fields);
    const at = (t: string | undefined) => (t ? counters[counterTemplates.indexOf(t)] || undefined : undefined);
    applyCounters(snap, at(keys.completedCounter), at(keys.errorsCounter));
    return snap;
  });
}

async function evalReadOnly(
  client: RedisLike,
  state: BoundedState,
  keyList: string[],
  argv: string[],
): Promise<unknown> {
  const args = [SCRIPT, keyList.length, ...keyList, ...argv];
  if (state.command !== 'EVAL') {
    try {
      const r = await client.call('EVAL_RO', ...args);
      state.command = 'EVAL_RO';
      return r;
    } catch (err) {
      if (!/unknown command/i.test((err as Error).message)) throw err;
      state.command = 'EVAL'; // Redis < 7: the same script, read-only by what it calls
    }
  }
  return client.call('EVAL', ...args);
}

function isScriptRefused(err: unknown): boolean {
  return (
    isRefusedCommand(err) ||
    /no permissions to run|scripting is disabled|NOSCRIPT|ERR Error running script|CROSSSLOT/i.test(
      (err as Error)?.message ?? '',
    )
  );
}
