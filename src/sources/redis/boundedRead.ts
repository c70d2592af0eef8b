import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import type { RedisKeys } from '../../core/connectionConfig';
import type { WorkerSnapshot } from '../../core/model';
import type { FieldMap } from '../../core/record';
import { keyFor } from './orchestratorPreset';
import { applyCounters, readWorkers, toSnapshot, type Raw, type TypeHints } from './readWorkers';
import { isRefusedCommand } from './redisErrors';
import { isClusterClient, type RedisLike } from './redisClient';

/** Ids per SSCAN: one step over a 100,000-member set takes about half a millisecond. */
export const SCAN_COUNT = 5000;
/** Workers per read command: one script over 100 workers takes well under 1 ms of Redis time (bench: SLOWLOG). */
export const BATCH = 100;
/** Batches sent before the first one's reply is back. */
const IN_FLIGHT = 3;

/**
 * Reads every worker of the active set without ever holding Redis for long: the ids by
 * SSCAN (bounded steps instead of one SMEMBERS of the whole set), then the workers' keys
 * (state and counters) in batches of about BATCH workers, each ONE read-only script that
 * returns every key's value (hash or string) as one JSON string. One command per batch keeps
 * a 100,000-worker read at ~1,050 commands, none of them long; other clients of the store are
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
  const ids = await scanIds(client, keys.activeSet);
  const counters = [keys.completedCounter, keys.errorsCounter].filter((t): t is string => Boolean(t));
  state.lastCommands = Math.ceil(ids.length / SCAN_COUNT) + 1;
  if (!state.scriptUnavailable) {
    const values = await readKeysScripted(client, ids, keys.state, counters, state, typeHints);
    const width = 1 + counters.length;
    if (values) return ids.map((id, i) => assemble(id, values, i * width, keys, fields, typeHints));
  }
  const batches = chunk(ids, BATCH);
  state.lastCommands += ids.length * (1 + counters.length);
  return (await inLanes(batches, (batch) => readWorkers(client, batch, keys, fields, { typeHints }))).flat();
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
 * KEYS: any keys; ARGV[i]: 'h' if KEYS[i] is probably a hash, 's' if probably a string (on a
 * cluster no KEYS: ARGV holds the keys, then their hints). For each key: {"h", {field: value}},
 * {"s", text}, {"n", false} when missing, {"t", type} for another type. The likely command is
 * tried first (a worker's state is usually a hash, a counter a string), the other only when it
 * meets WRONGTYPE. cjson makes the batch one string the client
 * parses natively: far cheaper for it than thousands of nested replies.
 */
const BODY = `
local keys, hints = KEYS, ARGV
if #KEYS == 0 then
  keys, hints = {}, {}
  local n = #ARGV / 2
  for i = 1, n do keys[i] = ARGV[i]; hints[i] = ARGV[n + i] end
end
local out = {}
for i = 1, #keys do
  local k = keys[i]
  local first, second = 'HGETALL', 'GET'
  if hints[i] == 's' then first, second = 'GET', 'HGETALL' end
  local ok, v = pcall(redis.call, first, k)
  if not ok then
    first = second
    ok, v = pcall(redis.call, first, k)
  end
  if not ok then
    out[i] = {'t', redis.call('TYPE', k).ok}
  elseif first == 'GET' then
    if v then out[i] = {'s', v} else out[i] = {'n', false} end
  elseif #v == 0 then
    out[i] = {'n', false}
  else
    local m = {}
    for j = 1, #v, 2 do m[v[j]] = v[j + 1] end
    out[i] = {'h', m}
  end
end
return cjson.encode(out)
`;
/** Redis 7 script flags: read-only, and keys of several slots as long as this node serves them all. */
const CLUSTER_SCRIPT = `#!lua flags=no-writes,allow-cross-slot-keys\n${BODY}`;

type Value = ['h', Record<string, string>] | ['s', string] | ['n', false] | ['t', string];
/** A key to read: its name, whether it is probably a hash or a string, and where its value goes. */
type KeyRef = [key: string, hint: 'h' | 's', at: number];

/**
 * Every key's value, in the order of `ids` (per worker: state, then each counter), or undefined
 * when scripts are refused here (remembered in `state`) or a slot moved (this read only).
 */
async function readKeysScripted(
  client: RedisLike,
  ids: string[],
  stateTemplate: string,
  counters: string[],
  state: BoundedState,
  typeHints?: TypeHints,
): Promise<Value[] | undefined> {
  const width = 1 + counters.length;
  const all: KeyRef[] = [];
  ids.forEach((id, i) => {
    all.push([keyFor(stateTemplate, id), typeHints?.get(id) === 'string' ? 's' : 'h', i * width]);
    counters.forEach((t, j) => all.push([keyFor(t, id), 's', i * width + 1 + j]));
  });
  const perBatch = BATCH * width;
  const batches = isClusterClient(client)
    ? perNode(client, all, perBatch)
    : chunk(all, perBatch).map((keys) => ({ node: client, keys }));
  if (!batches) return undefined;
  state.lastCommands = (state.lastCommands ?? 0) + batches.length;
  const values: Value[] = new Array(all.length);
  try {
    await inLanes(batches, async ({ node, keys }) => {
      const reply = await evalScript(node, isClusterClient(client), state, keys);
      const parsed = typeof reply === 'string' ? (JSON.parse(reply) as Value[]) : undefined;
      if (!Array.isArray(parsed) || parsed.length !== keys.length) throw new Error('unexpected script reply');
      for (let i = 0; i < keys.length; i++) values[keys[i][2]] = parsed[i];
    });
  } catch (err) {
    // A slot moved under us (failover, resharding): this read goes key by key through the cluster
    // client, which follows MOVED; the slot table is refreshed, and the next read scripts again.
    if (isClusterClient(client) && isSlotMoved(err)) {
      client.refreshSlotsCache();
      return undefined;
    }
    // Only a definite "no" turns scripts off for this connection. A dropped connection, BUSY or a
    // timeout is the store's passing state: the caller reports it, and the next read tries again.
    if (!isScriptRefused(err)) throw err;
    state.scriptUnavailable = (err as Error).message.split('\n')[0];
    return undefined;
  }
  return values;
}

/**
 * Keys grouped by the primary serving their slot (ioredis's slot table), in batches, each sent
 * straight to that node's connection: the Cluster client would refuse one command whose keys
 * span slots before Redis could allow it. Undefined while the table or a node's connection is
 * not known: the caller reads key by key instead. A slot that moved meanwhile makes the node
 * answer "non local key", and this read falls back the same way.
 */
function perNode(cluster: Cluster, all: KeyRef[], size: number): { node: Redis; keys: KeyRef[] }[] | undefined {
  const clients = new Map(cluster.nodes('master').map((r) => [`${r.options.host}:${r.options.port}`, r]));
  const byNode = new Map<string, KeyRef[]>();
  for (const entry of all) {
    const node = cluster.slots[calculateSlot(entry[0])]?.[0];
    if (!node || !clients.has(node)) return undefined;
    let list = byNode.get(node);
    if (!list) byNode.set(node, (list = []));
    list.push(entry);
  }
  return [...byNode].flatMap(([node, list]) => chunk(list, size).map((keys) => ({ node: clients.get(node)!, keys })));
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

async function evalScript(client: Redis, onCluster: boolean, state: BoundedState, batch: KeyRef[]): Promise<unknown> {
  const script = onCluster ? CLUSTER_SCRIPT : BODY;
  // On a cluster the keys go undeclared (as ARGV): Redis refuses declared keys of several slots
  // (CROSSSLOT) before the script's flag could allow them.
  const args = onCluster
    ? [script, 0, ...batch.map(([k]) => k), ...batch.map(([, h]) => h)]
    : [script, batch.length, ...batch.map(([k]) => k), ...batch.map(([, h]) => h)];
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
    /no permissions to run|scripting is disabled|NOSCRIPT|Error running script|Error compiling script|CROSSSLOT|unexpected script reply/i.test(
      (err as Error)?.message ?? '',
    )
  );
}

function isSlotMoved(err: unknown): boolean {
  return /^(MOVED|ASK) |non local key|TRYAGAIN/.test((err as Error)?.message ?? '');
}

/** Runs `read` over the batches with a few in flight: Redis works on the next while this process parses the last. */
async function inLanes<T, R>(batches: T[], read: (batch: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(batches.length);
  let next = 0;
  const lane = async () => {
    while (next < batches.length) {
      const i = next++;
      results[i] = await read(batches[i]);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return results;
}

function chunk<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
