import type { WorkerSnapshot } from './model';

/** One entry of a connection's `expectedWorkers`: a worker's name, or `{ prefix, count }` for gpu-1 … gpu-N. */
export type ExpectedEntry = string | { prefix: string; count: number; start?: number };

/** More would be a typo (a count of 1e6), and a tree of a million placeholders. */
const MAX_EXPECTED = 1000;

/**
 * Reads `expectedWorkers` as the user wrote it (a list of names and patterns, or one pattern)
 * into the names it stands for, or says in words what is wrong. A name is plain text, never a
 * glob: "gpu-*" that matches nothing is shown as a missing worker called "gpu-*", not an error.
 */
export function expandExpected(raw: unknown): { names?: string[]; error?: string } {
  if (raw === undefined) return { names: [] };
  const entries = Array.isArray(raw) ? raw : [raw];
  const names: string[] = [];
  for (const [i, e] of entries.entries()) {
    const where = Array.isArray(raw) ? `"expectedWorkers"[${i}]` : '"expectedWorkers"';
    if (typeof e === 'string') {
      if (!e.trim()) return { error: `${where} is an empty name` };
      names.push(e.trim());
      continue;
    }
    if (!e || typeof e !== 'object' || Array.isArray(e)) {
      return { error: `${where} should be a worker's name or {"prefix": "gpu-", "count": 4}` };
    }
    const { prefix, count, start = 1 } = e as Record<string, unknown>;
    if (typeof prefix !== 'string')
      return { error: `${where} needs a "prefix" (text), as in {"prefix": "gpu-", "count": 4}` };
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1)
      return { error: `${where}: "count" should be a whole number of workers (1 or more)` };
    if (typeof start !== 'number' || !Number.isInteger(start) || start < 0)
      return { error: `${where}: "start" should be a whole number (default 1)` };
    if (names.length + count > MAX_EXPECTED) return { error: `${where}: more than ${MAX_EXPECTED} expected workers` };
    for (let n = start; n < start + count; n++) names.push(`${prefix}${n}`);
  }
  return { names: [...new Set(names)] };
}

/** The placeholder a missing worker is shown as: its health is `missing` (see classify). */
export function missingWorker(name: string): WorkerSnapshot {
  return { id: name, name, problems: [], missing: true };
}

/**
 * Which expected workers have no record. A record matches by id or by name, so a worker
 * whose id is a row number or a pid still answers to the name the user listed.
 */
export function unmatched(expected: readonly string[], real: Iterable<WorkerSnapshot>): string[] {
  if (!expected.length) return [];
  const seen = new Set<string>();
  for (const s of real) {
    if (s.missing) continue;
    seen.add(s.id);
    seen.add(s.name);
  }
  return expected.filter((n) => !seen.has(n));
}

/** A full read with a placeholder added for every expected worker it lacks. */
export function withPlaceholders(expected: readonly string[], read: WorkerSnapshot[]): WorkerSnapshot[] {
  const lacking = unmatched(expected, read);
  return lacking.length ? [...read, ...lacking.map(missingWorker)] : read;
}

/**
 * A partial read (push path) against what the fleet holds now: the placeholders to add for
 * expected workers that lost their record, and those to drop for workers that appeared.
 */
export function adjustPlaceholders(
  expected: readonly string[],
  held: WorkerSnapshot[],
  updated: WorkerSnapshot[],
  removedIds: readonly string[],
): { add: WorkerSnapshot[]; drop: string[] } {
  if (!expected.length) return { add: [], drop: [] };
  const byId = new Map<string, WorkerSnapshot>();
  for (const s of held) if (!removedIds.includes(s.id)) byId.set(s.id, s);
  for (const s of updated) byId.set(s.id, s);
  const lacking = new Set(unmatched(expected, byId.values()));
  const add = [...lacking].filter((n) => !byId.get(n)?.missing).map(missingWorker);
  // A placeholder whose id a real record now uses is replaced by that record, not dropped.
  const drop = held.filter((s) => s.missing && !lacking.has(s.id) && byId.get(s.id)?.missing).map((s) => s.id);
  return { add, drop };
}
