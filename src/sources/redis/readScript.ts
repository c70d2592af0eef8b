import type { Redis } from 'ioredis';
import { keyFor } from './orchestratorPreset';
import type { TypeHints } from './readWorkers';
import { isRefusedCommand } from './redisErrors';

/*
 * The read-only script of a bounded full read (boundedRead.ts), how it is sent, and what its
 * answers and refusals mean.
 */

/** Remembers, per connection, what this server allows (so a refusal costs one try, not one per read). */
export interface BoundedState {
  /** Why the one-script batch is not used here, once known. */
  scriptUnavailable?: string;
  /** EVAL_RO (Redis ≥ 7, read-only, allowed on replicas) or plain EVAL. */
  command?: 'EVAL_RO' | 'EVAL';
  /** Commands the last full read sent: what the read's pacing is measured in. */
  lastCommands?: number;
}

/*
 * KEYS: any keys; ARGV[i]: 'h' if KEYS[i] is probably a hash, 's' if probably a string (on a
 * cluster no KEYS: ARGV holds the keys, then their hints). For each key: {"h", {field: value}},
 * {"s", text}, {"n", false} when missing, {"t", type} for another type. The likely command is
 * tried first (a worker's state is usually a hash, a counter a string), the other only when it
 * meets WRONGTYPE. cjson makes the batch one string the client
 * parses natively: far cheaper for it than thousands of nested replies.
 */
export const BODY = `
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
export const CLUSTER_SCRIPT = `#!lua flags=no-writes,allow-cross-slot-keys\n${BODY}`;

export type Value = ['h', Record<string, string>] | ['s', string] | ['n', false] | ['t', string];
/** A key to read: its name, whether it is probably a hash or a string, and where its value goes. */
export type KeyRef = [key: string, hint: 'h' | 's', at: number];

/** The keys of these workers, each worker's state then its counters, in that order (`at` counts them). */
export function keyRefsOf(ids: string[], stateTemplate: string, counters: string[], typeHints?: TypeHints): KeyRef[] {
  const width = 1 + counters.length;
  const refs: KeyRef[] = [];
  ids.forEach((id, i) => {
    refs.push([keyFor(stateTemplate, id), typeHints?.get(id) === 'string' ? 's' : 'h', i * width]);
    counters.forEach((t, j) => refs.push([keyFor(t, id), 's', i * width + 1 + j]));
  });
  return refs;
}

export async function evalScript(
  client: Redis,
  onCluster: boolean,
  state: BoundedState,
  batch: KeyRef[],
): Promise<unknown> {
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

export function isScriptRefused(err: unknown): boolean {
  return (
    isRefusedCommand(err) ||
    /no permissions to run|scripting is disabled|NOSCRIPT|Error running script|Error compiling script|CROSSSLOT|unexpected script reply/i.test(
      (err as Error)?.message ?? '',
    )
  );
}

export function isSlotMoved(err: unknown): boolean {
  return /^(MOVED|ASK) |non local key|TRYAGAIN/.test((err as Error)?.message ?? '');
}

export function parseReply(reply: unknown, expected: number): Value[] {
  const parsed = typeof reply === 'string' ? (JSON.parse(reply) as Value[]) : undefined;
  if (!Array.isArray(parsed) || parsed.length !== expected) throw new Error('unexpected script reply');
  return parsed;
}

/** Batches sent before the first one's reply is back. */
const IN_FLIGHT = 3;

/** Runs `read` over the batches with a few in flight: Redis works on the next while this process parses the last. */
export async function inLanes<T, R>(batches: T[], read: (batch: T) => Promise<R>): Promise<R[]> {
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

export function chunk<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
