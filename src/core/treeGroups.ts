import type { WorkerView } from './model';

/**
 * The Workers view's second level. A health group of 50,000 rows is not something anyone
 * can scan, and VS Code renders every sibling it is given; so a group larger than
 * SPLIT_OVER is shown as subgroups (by framework, host, queue or name prefix, whichever
 * splits it into a scannable number; else alphabetical ranges of names), each with its
 * count, and a subgroup lists PAGE rows at a time behind a "Show more" row.
 */
export type SubgroupBy = 'auto' | 'framework' | 'host' | 'queue' | 'prefix' | 'range' | 'none';
export const SUBGROUP_BY: readonly SubgroupBy[] = ['auto', 'framework', 'host', 'queue', 'prefix', 'range', 'none'];

/** Groups with more workers than this get a second level. */
export const SPLIT_OVER = 200;
/** Rows a subgroup lists before its "Show more" row, and how many more each click adds. */
export const PAGE = 200;
/** A split into more subgroups than this is not scannable either: auto tries the next key. */
const MAX_SUBGROUPS = 100;

export interface Subgroup {
  /** Stable within a split (the tree item's id is built from it). */
  key: string;
  /** What the row says, without the count. */
  label: string;
  /** Worker ids, in the order they were given (by name). */
  ids: string[];
}

export interface Split {
  by: Exclude<SubgroupBy, 'auto' | 'none'>;
  subgroups: Subgroup[];
  /** Which subgroup each worker is in (for reveal: a row's parent). */
  keyOf: Map<string, string>;
}

const FRAMEWORKS: Record<string, string> = { rq: 'RQ', sidekiq: 'Sidekiq', celery: 'Celery', bullmq: 'BullMQ' };

/** The framework a worker belongs to, from its id's prefix (`rq:…`); the orchestrator layout has none. */
export function frameworkOf(w: WorkerView): string {
  const p = w.snapshot.id.slice(0, w.snapshot.id.indexOf(':'));
  return FRAMEWORKS[p] ?? 'Other';
}

/**
 * The part of a name shared by its siblings: `gpu-17` → `gpu-`, `mailer_3a` → `mailer_`,
 * `pool-1.eu` → `pool-`. Up to and including the last separator before the first digit,
 * else before the last separator, else the whole name.
 */
export function namePrefix(name: string): string {
  const digit = name.search(/\d/);
  const head = digit >= 0 ? name.slice(0, digit) : name;
  const sep = Math.max(head.lastIndexOf('-'), head.lastIndexOf('_'), head.lastIndexOf('.'), head.lastIndexOf(':'));
  if (sep >= 0) return head.slice(0, sep + 1);
  return digit > 0 ? head : name;
}

const KEYS: Record<'framework' | 'host' | 'queue' | 'prefix', (w: WorkerView) => [key: string, label: string]> = {
  framework: (w) => {
    const f = frameworkOf(w);
    return [f, f];
  },
  host: (w) => {
    const h = w.snapshot.host;
    return h ? [`h:${h}`, h] : ['none', '(no host)'];
  },
  queue: (w) => {
    const q = w.snapshot.specialization;
    return q ? [`q:${q}`, q] : ['none', '(no queue)'];
  },
  prefix: (w) => {
    const p = namePrefix(w.snapshot.name);
    return [`p:${p}`, `${p}…`];
  },
};

function byKey(workers: readonly WorkerView[], by: keyof typeof KEYS): Split {
  const groups = new Map<string, Subgroup>();
  const keyOf = new Map<string, string>();
  for (const w of workers) {
    const [key, label] = KEYS[by](w);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, label, ids: [] }));
    g.ids.push(w.snapshot.id);
    keyOf.set(w.snapshot.id, key);
  }
  const subgroups = [...groups.values()].sort((a, b) => a.label.localeCompare(b.label));
  return { by, subgroups, keyOf };
}

/** Consecutive runs of names, at most MAX_SUBGROUPS of them: "gpu-00000 … gpu-00999". */
function byRange(workers: readonly WorkerView[]): Split {
  const size = Math.max(PAGE, Math.ceil(workers.length / MAX_SUBGROUPS));
  const subgroups: Subgroup[] = [];
  const keyOf = new Map<string, string>();
  for (let i = 0; i < workers.length; i += size) {
    const run = workers.slice(i, i + size);
    const key = `r:${i / size}`;
    const first = run[0]!.snapshot.name;
    const last = run[run.length - 1]!.snapshot.name;
    subgroups.push({ key, label: first === last ? first : `${first} … ${last}`, ids: run.map((w) => w.snapshot.id) });
    for (const w of run) keyOf.set(w.snapshot.id, key);
  }
  return { by: 'range', subgroups, keyOf };
}

/**
 * How a group of workers (sorted by name) is split, or undefined when it is listed as is:
 * small enough, or the user chose no second level. `auto` takes the first of framework,
 * host, queue and name prefix that gives 2 to MAX_SUBGROUPS subgroups, else name ranges.
 */
export function splitGroup(workers: readonly WorkerView[], by: SubgroupBy): Split | undefined {
  if (by === 'none' || workers.length <= SPLIT_OVER) return undefined;
  if (by === 'range') return byRange(workers);
  if (by !== 'auto') return byKey(workers, by);
  for (const k of ['framework', 'host', 'queue', 'prefix'] as const) {
    const s = byKey(workers, k);
    if (s.subgroups.length >= 2 && s.subgroups.length <= MAX_SUBGROUPS) return s;
  }
  return byRange(workers);
}
