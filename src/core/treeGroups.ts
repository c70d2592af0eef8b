import type { FrameworkName, WorkerSnapshot } from './model';

/**
 * The Workers view's second level. A health group of 50,000 rows is not something anyone
 * can scan, and VS Code renders every sibling it is given; so a group larger than
 * SPLIT_OVER is shown as subgroups (by framework, host, queue or name prefix, whichever
 * splits it into a scannable number; else alphabetical ranges of names), each with its
 * count, and a subgroup lists PAGE rows at a time behind a "Show more" row. Workers of
 * more than one framework in one group are split by framework at any size.
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
  /** Which subgroup a worker is in (for reveal: a row's parent); worked out when first asked. */
  keyOf(id: string): string | undefined;
}

const FRAMEWORKS: Record<FrameworkName, string> = { rq: 'RQ', sidekiq: 'Sidekiq', celery: 'Celery', bullmq: 'BullMQ' };
/** Subgroups by framework come in this order, workers of none (the orchestrator's, a heartbeat's) last. */
const FRAMEWORK_ORDER = ['RQ', 'Sidekiq', 'Celery', 'BullMQ', 'Other workers'];

/** The framework a worker belongs to, as people write it; the orchestrator layout has none. */
export function frameworkOf(w: WorkerSnapshot): string {
  return w.framework ? FRAMEWORKS[w.framework] : 'Other workers';
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

type KeyName = 'framework' | 'host' | 'queue' | 'prefix';

/** The subgroup a worker falls in under each key (a plain string, so counting them allocates nothing). */
const KEY: Record<KeyName, (w: WorkerSnapshot) => string> = {
  framework: frameworkOf,
  host: (w) => w.host ?? '',
  queue: (w) => w.specialization ?? '',
  prefix: (w) => namePrefix(w.name),
};

/** What a subgroup's row says for its key. */
const LABEL: Record<KeyName, (key: string) => string> = {
  framework: (k) => k,
  host: (k) => k || '(no host)',
  queue: (k) => k || '(no queue)',
  prefix: (k) => `${k}…`,
};

function byKey(workers: readonly WorkerSnapshot[], by: KeyName): Split {
  const groups = new Map<string, Subgroup>();
  const keyOf = KEY[by];
  for (const w of workers) {
    const key = keyOf(w);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, label: LABEL[by](key), ids: [] }));
    g.ids.push(w.id);
  }
  const order = (g: Subgroup) => FRAMEWORK_ORDER.indexOf(g.key);
  const subgroups = [...groups.values()].sort((a, b) =>
    by === 'framework' ? order(a) - order(b) : a.label.localeCompare(b.label),
  );
  return { by, subgroups, keyOf: lazyKeyOf(subgroups) };
}

/** How many subgroups `by` would make, counting no further than `limit` + 1. */
function distinct(workers: readonly WorkerSnapshot[], by: KeyName, limit: number): number {
  const keys = new Set<string>();
  const keyOf = KEY[by];
  for (const w of workers) {
    keys.add(keyOf(w));
    if (keys.size > limit) break;
  }
  return keys.size;
}

/** Consecutive runs of names, at most MAX_SUBGROUPS of them: "gpu-00000 … gpu-00999". */
function byRange(workers: readonly WorkerSnapshot[]): Split {
  const size = Math.max(PAGE, Math.ceil(workers.length / MAX_SUBGROUPS));
  const subgroups: Subgroup[] = [];
  for (let i = 0; i < workers.length; i += size) {
    const run = workers.slice(i, i + size);
    const first = run[0]!.name;
    const last = run[run.length - 1]!.name;
    subgroups.push({
      key: `r:${i / size}`,
      label: first === last ? first : `${first} … ${last}`,
      ids: run.map((w) => w.id),
    });
  }
  return { by: 'range', subgroups, keyOf: lazyKeyOf(subgroups) };
}

/** Worker → subgroup, built on the first question (a reveal), not for every read of a large group. */
function lazyKeyOf(subgroups: readonly Subgroup[]): (id: string) => string | undefined {
  let map: Map<string, string> | undefined;
  return (id) => {
    if (!map) {
      map = new Map();
      for (const g of subgroups) for (const w of g.ids) map.set(w, g.key);
    }
    return map.get(id);
  };
}

/**
 * How a group of workers (sorted by name) is split, or undefined when it is listed as is:
 * small enough, or the user chose no second level. `auto` takes the first of framework,
 * host, queue and name prefix that gives 2 to MAX_SUBGROUPS subgroups, else name ranges.
 */
export function splitGroup(workers: readonly WorkerSnapshot[], by: SubgroupBy): Split | undefined {
  // A Redis read without a preset can find several frameworks: their workers are told apart
  // at any size (RQ, Sidekiq, … each its own subgroup), as their own dashboards are.
  if (by === 'auto' && distinct(workers, 'framework', 1) > 1) return byKey(workers, 'framework');
  if (by === 'none' || workers.length <= SPLIT_OVER) return undefined;
  if (by === 'range') return byRange(workers);
  if (by !== 'auto') return byKey(workers, by);
  for (const k of ['framework', 'host', 'queue', 'prefix'] as const) {
    const n = distinct(workers, k, MAX_SUBGROUPS);
    if (n >= 2 && n <= MAX_SUBGROUPS) return byKey(workers, k);
  }
  return byRange(workers);
}
