import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../core/connectionConfig';
import type { WorkerSnapshot } from '../../core/model';
import { VERSION_FIELDS, type FieldMap } from '../../core/record';
import { applyCounters, readWorkers, toSnapshot, type TypeHints } from './readWorkers';
import { isRefusedCommand } from './redisErrors';

/**
 * The whole fleet in ONE command: `SORT_RO active_workers BY nosort GET # GET
 * worker:state:* GET worker:state:*->status …`. Redis substitutes each member of the
 * set into the patterns server-side, so 10,000 workers cost one round trip and one
 * command instead of 10,000 — the difference between a monitor that loads production
 * and one that doesn't. Hash workers come back field by field (`->field`), JSON-string
 * workers as the whole string (`GET worker:state:*`).
 *
 * Not every server allows it: Redis Cluster refuses GET patterns, ACLs may deny SORT,
 * and the key layout must put `{id}` where a `*` pattern can stand. Then this returns
 * undefined and the caller falls back to the pipelined read.
 */
export async function readAllBySort(
  client: Redis,
  keys: RedisKeys,
  fields: FieldMap,
  state: SortState,
  typeHints?: TypeHints,
): Promise<WorkerSnapshot[] | undefined> {
  if (state.unavailable) return undefined;
  const plan = planFor(keys, fields);
  if (!plan) {
    state.unavailable = 'key layout has no single {id} placeholder';
    return undefined;
  }
  let reply: unknown;
  try {
    reply = await sortCommand(client, state, keys.activeSet, plan.gets);
  } catch (err) {
    // Only a definite "no" (ACL, renamed/unknown command, refused in Cluster) turns the
    // one-command read off for this connection. Anything else — a dropped connection,
    // "Reached the max retries…", BUSY, a timeout — is the store's passing state: the
    // caller reports it and SORT is tried again on the next read.
    if (!isSortRefused(err)) throw err;
    state.unavailable = (err as Error).message;
    return undefined;
  }
  if (!Array.isArray(reply)) return undefined;
  const width = plan.gets.length;
  const out: WorkerSnapshot[] = [];
  /** Workers for which SORT found nothing: missing, or the wrong Redis type; asked about precisely below. */
  const blank: number[] = [];
  for (let i = 0; i + width <= reply.length; i += width) {
    const id = reply[i] as string;
    const whole = reply[i + 1] as string | null;
    const hash: Record<string, string> = {};
    for (let j = 0; j < plan.hashFields.length; j++) {
      const v = reply[i + 2 + j] as string | null;
      if (v !== null) hash[plan.hashFields[j]] = v;
    }
    if (whole === null && Object.keys(hash).length === 0) blank.push(out.length);
    else typeHints?.set(id, whole !== null ? 'string' : 'hash');
    const snap = toSnapshot(
      id,
      whole !== null ? { kind: 'string', value: whole } : { kind: 'hash', value: hash },
      keys,
      fields,
    );
    const j = i + 2 + plan.hashFields.length;
    applyCounters(
      snap,
      plan.completed ? reply[j] : undefined,
      plan.errors ? reply[plan.completed ? j + 1 : j] : undefined,
    );
    out.push(snap);
  }
  if (blank.length) {
    const again = await readWorkers(
      client,
      blank.map((i) => out[i].id),
      keys,
      fields,
      { typeHints },
    );
    blank.forEach((i, j) => (out[i] = again[j]));
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function isSortRefused(err: unknown): boolean {
  return isRefusedCommand(err) || /denied in Cluster mode|no permissions to run/i.test((err as Error)?.message ?? '');
}

/** Remembers, per connection, whether SORT works here (so a refusal costs one try, not one per poll). */
export interface SortState {
  unavailable?: string;
  /** SORT_RO (Redis ≥ 7, read-only, allowed on replicas) or plain SORT. */
  command?: 'sort_ro' | 'sort';
}

async function sortCommand(client: Redis, state: SortState, set: string, gets: string[]): Promise<unknown> {
  const args = [set, 'BY', 'nosort', ...gets.flatMap((g) => ['GET', g])];
  if (state.command !== 'sort') {
    try {
      const r = await client.call('SORT_RO', ...args);
      state.command = 'sort_ro';
      return r;
    } catch (err) {
      if (!/unknown command/i.test((err as Error).message)) throw err;
      state.command = 'sort';
    }
  }
  return client.call('SORT', ...args);
}

interface Plan {
  gets: string[];
  hashFields: string[];
  completed: boolean;
  errors: boolean;
}

function planFor(keys: RedisKeys, fields: FieldMap): Plan | undefined {
  const pattern = (template: string) =>
    template.split('{id}').length === 2 && !/[*?[\]]/.test(template) ? template.replace('{id}', '*') : undefined;
  const state = pattern(keys.state);
  if (!state || /->/.test(state)) return undefined;
  // Top-level field names only: a dotted mapping ("meta.pid") reads inside the field "meta".
  const mapped = Object.values(fields).filter((f): f is string => typeof f === 'string' && f.length > 0);
  // Unmapped, the version is looked for under its usual names (parseRecord reads the first present).
  if (!fields.version) mapped.push(...VERSION_FIELDS);
  const hashFields = [...new Set(mapped.map((f) => f.split('.')[0]))];
  const completed = keys.completedCounter ? pattern(keys.completedCounter) : undefined;
  const errors = keys.errorsCounter ? pattern(keys.errorsCounter) : undefined;
  if ((keys.completedCounter && !completed) || (keys.errorsCounter && !errors)) return undefined;
  const gets = ['#', state, ...hashFields.map((f) => `${state}->${f}`)];
  if (completed) gets.push(completed);
  if (errors) gets.push(errors);
  return { gets, hashFields, completed: Boolean(completed), errors: Boolean(errors) };
}
