import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { keyMaker } from './orchestratorPreset';
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
 * ARGV[1]: how the keys come: 'j' joined in ARGV[3] by NUL bytes, 'l' listed in ARGV[3…] (when a
 * key holds a NUL itself); ARGV[2]: one letter per key, 'h' if it is probably a hash, 's' if
 * probably a string. For each key: {"h", {field: value}}, {"s", text}, {"n", false} when
 * missing, {"t", type} for another type. The likely command is tried first (a worker's state is
 * usually a hash, a counter a string), the other only when it meets WRONGTYPE. cjson makes the
 * batch one string the client parses natively: far cheaper for it than thousands of nested
 * replies. Keys and hints go as one argument each, not one per key: building and sending 300,000
 * arguments was an eighth of a 100,000-worker read's time here, splitting them is a few dozen
 * microseconds of the script's ~700. The keys go undeclared: on a cluster Redis refuses declared
 * keys of several slots (CROSSSLOT) before the script's flag could allow them.
 */
export const BODY = `
local hints, keys = ARGV[2], {}
if ARGV[1] == 'j' then
  local all, from = ARGV[3], 1
  while true do
    local to = string.find(all, '\\0', from, true)
    if not to then keys[#keys + 1] = string.sub(all, from); break end
    keys[#keys + 1] = string.sub(all, from, to - 1)
    from = to + 1
  end
else
  for i = 3, #ARGV do keys[i - 2] = ARGV[i] end
end
local out = {}
for i = 1, #keys do
  local k = keys[i]
  local first, second = 'HGETALL', 'GET'
  if string.byte(hints, i) == 115 then first, second = 'GET', 'HGETALL' end
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
const SHA = { [BODY]: sha1(BODY), [CLUSTER_SCRIPT]: sha1(CLUSTER_SCRIPT) };

export type Value = ['h', Record<string, string>] | ['s', string] | ['n', false] | ['t', string];

/**
 * The keys of these workers, each worker's state then its counters, in that order, and one
 * letter per key: 'h' probably a hash, 's' probably a string (what the script tries first).
 */
export interface WorkerKeys {
  keys: string[];
  hints: string;
}

export function workerKeys(
  ids: string[],
  stateTemplate: string,
  counters: string[],
  typeHints?: TypeHints,
): WorkerKeys {
  const stateKey = keyMaker(stateTemplate);
  const counterKeys = counters.map(keyMaker);
  const keys: string[] = [];
  let hints = '';
  const counterHints = 's'.repeat(counters.length);
  for (const id of ids) {
    keys.push(stateKey(id));
    for (const key of counterKeys) keys.push(key(id));
    hints += (typeHints?.get(id) === 'string' ? 's' : 'h') + counterHints;
  }
  return { keys, hints };
}

/**
 * Runs the script over a batch by its SHA1 (EVALSHA_RO: ~40 bytes instead of the script's ~900,
 * a thousand times a read), sending the script itself only when this server does not have it
 * cached yet (NOSCRIPT: first read, a restart, a failover, SCRIPT FLUSH).
 */
export async function evalScript(
  client: Redis,
  onCluster: boolean,
  state: BoundedState,
  { keys, hints }: WorkerKeys,
): Promise<unknown> {
  const script = onCluster ? CLUSTER_SCRIPT : BODY;
  const args = keys.some((k) => k.includes('\0')) ? [0, 'l', hints, ...keys] : [0, 'j', hints, keys.join('\0')];
  const run = async (ro: boolean) => {
    const [bySha, byText] = ro ? ['EVALSHA_RO', 'EVAL_RO'] : ['EVALSHA', 'EVAL'];
    try {
      return await client.call(bySha, SHA[script], ...args);
    } catch (err) {
      if (!/^NOSCRIPT/.test((err as Error).message)) throw err;
      return client.call(byText, script, ...args);
    }
  };
  if (state.command !== 'EVAL') {
    try {
      const r = await run(true);
      state.command = 'EVAL_RO';
      return r;
    } catch (err) {
      if (!/unknown command/i.test((err as Error).message)) throw err;
      state.command = 'EVAL'; // Redis < 7: the same script, read-only by what it calls
    }
  }
  return run(false);
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
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
