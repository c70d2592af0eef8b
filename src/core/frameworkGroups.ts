import type { FrameworkName, WorkerSnapshot } from './model';

/** The frameworks as people write them, in the order their groups are shown. */
export const FRAMEWORK_LABEL: Record<FrameworkName, string> = {
  rq: 'RQ',
  sidekiq: 'Sidekiq',
  celery: 'Celery',
  bullmq: 'BullMQ',
};

/** A group of the tree by framework; `other` holds workers of no framework (the orchestrator's, a heartbeat's). */
export type FrameworkGroupKey = FrameworkName | 'other';

export interface FrameworkGroup {
  key: FrameworkGroupKey;
  /** "RQ", "Sidekiq", …, "Other workers". */
  label: string;
  /** Worker ids in this group, in the order given. */
  ids: string[];
}

const ORDER: readonly FrameworkGroupKey[] = ['rq', 'sidekiq', 'celery', 'bullmq', 'other'];

export function frameworkGroupOf(s: Pick<WorkerSnapshot, 'framework'>): FrameworkGroupKey {
  return s.framework ?? 'other';
}

/**
 * The fleet by framework, for a connection that found more than one (issue 16: "grouped by framework when more
 * than one"): groups in a fixed order (RQ, Sidekiq, Celery, BullMQ, other workers), empty ones left out. Undefined
 * when every worker is of one kind (one framework, or none): the tree is then as it always was.
 */
export function frameworkGroups(
  workers: readonly Pick<WorkerSnapshot, 'id' | 'framework'>[],
): FrameworkGroup[] | undefined {
  const byKey = new Map<FrameworkGroupKey, string[]>();
  for (const w of workers) {
    const k = frameworkGroupOf(w);
    let ids = byKey.get(k);
    if (!ids) byKey.set(k, (ids = []));
    ids.push(w.id);
  }
  if (byKey.size < 2) return undefined;
  return ORDER.filter((k) => byKey.has(k)).map((key) => ({
    key,
    label: key === 'other' ? 'Other workers' : FRAMEWORK_LABEL[key],
    ids: byKey.get(key)!,
  }));
}
