import type { Fleet } from './fleet';
import { ALL_HEALTH, type Health, type WorkerSnapshot } from './model';
import { PAGE, splitGroup, type Split, type SubgroupBy } from './treeGroups';

/** A group of workers: a health group, or (groupBy none) the whole fleet. */
export type GroupKey = Health | 'all';

export type TreeNode =
  | { kind: 'group'; health: Health }
  | { kind: 'subgroup'; group: GroupKey; key: string }
  | { kind: 'more'; parent: TreeNode & { kind: 'group' | 'subgroup' } }
  | { kind: 'worker'; id: string }
  | { kind: 'detail'; workerId: string; key: string }
  | { kind: 'message' };

export interface LayoutOptions {
  groupBy(): 'health' | 'none';
  subgroupBy(): SubgroupBy;
  /** A "cannot reach the store — Retry" row goes first. */
  errorRow(): boolean;
}

/**
 * What the Workers view shows where, without `vscode`: health groups, their second level
 * (treeGroups.ts), pages of rows and "Show more". Nodes are kept and handed out again for
 * the same thing, as VS Code refreshes a row by the object it was given. Work done for a
 * read (sorting, splitting a group of 50,000) is kept until the fleet changes.
 */
export class TreeLayout {
  private generation = 0;
  /** Each group's workers in name order, made in one pass over the fleet per generation. */
  private buckets?: { generation: number; byGroup: Map<GroupKey, WorkerSnapshot[]> };
  private readonly cache = new Map<GroupKey, { generation: number; workers: WorkerSnapshot[]; split?: Split }>();
  /** Rows listed under a group or subgroup (by node id) after its "Show more" was clicked. */
  private readonly limits = new Map<string, number>();
  private readonly workerNodes = new Map<string, TreeNode & { kind: 'worker' }>();
  private readonly groupNodes = new Map<Health, TreeNode & { kind: 'group' }>();
  private readonly subgroupNodes = new Map<string, TreeNode & { kind: 'subgroup' }>();
  private readonly moreNodes = new Map<string, TreeNode & { kind: 'more' }>();
  readonly messageNode: TreeNode = { kind: 'message' };

  constructor(
    private readonly fleet: Fleet,
    private readonly opts: LayoutOptions,
  ) {}

  /** The fleet changed (or a setting): what was worked out for the last read is out of date. */
  invalidate(): void {
    this.generation++;
  }

  /** A worker left: its node goes too, so fleets whose ids churn stay bounded. */
  forget(id: string): void {
    this.workerNodes.delete(id);
  }

  /** The node already handed out for this worker, if any (to refresh just its row). */
  shownWorker(id: string): (TreeNode & { kind: 'worker' }) | undefined {
    return this.workerNodes.get(id);
  }

  children(node?: TreeNode): TreeNode[] {
    if (!node) {
      const top = this.opts.errorRow() ? [this.messageNode] : [];
      if (this.opts.groupBy() === 'none') return [...top, ...this.listed('all')];
      const counts = this.fleet.counts().byHealth;
      return [...top, ...ALL_HEALTH.filter((h) => counts[h] > 0).map((h) => this.groupNode(h))];
    }
    if (node.kind === 'group') return this.listed(node.health);
    if (node.kind === 'subgroup') {
      const sub = this.group(node.group).split?.subgroups.find((s) => s.key === node.key);
      return sub ? this.page(node, sub.ids) : [];
    }
    return [];
  }

  parent(node: TreeNode): TreeNode | undefined {
    if (node.kind === 'detail') return this.workerNodes.get(node.workerId);
    if (node.kind === 'more') return node.parent;
    if (node.kind === 'subgroup') return node.group === 'all' ? undefined : this.groupNode(node.group);
    if (node.kind !== 'worker') return undefined;
    const w = this.fleet.get(node.id);
    if (!w) return undefined;
    const g: GroupKey = this.opts.groupBy() === 'none' ? 'all' : w.health;
    const key = this.group(g).split?.keyOf(node.id);
    if (key !== undefined) return this.subgroupNode(g, key);
    return g === 'all' ? undefined : this.groupNode(g);
  }

  /** A subgroup's row: its label and how many workers it holds. */
  subgroupInfo(node: TreeNode & { kind: 'subgroup' }): { label: string; count: number } | undefined {
    const sub = this.group(node.group).split?.subgroups.find((s) => s.key === node.key);
    return sub && { label: sub.label, count: sub.ids.length };
  }

  /** "Show more" under a group or subgroup: PAGE more rows. Returns the node to refresh. */
  showMore(node: TreeNode & { kind: 'more' }): TreeNode {
    const id = nodeId(node.parent);
    this.limits.set(id, (this.limits.get(id) ?? PAGE) + PAGE);
    return node.parent;
  }

  /** How many rows a "Show more" row stands for. */
  remaining(node: TreeNode & { kind: 'more' }): number {
    const total =
      node.parent.kind === 'group'
        ? this.group(node.parent.health).workers.length
        : (this.subgroupInfo(node.parent)?.count ?? 0);
    return Math.max(0, total - (this.limits.get(nodeId(node.parent)) ?? PAGE));
  }

  workerNode(id: string): TreeNode & { kind: 'worker' } {
    let node = this.workerNodes.get(id);
    if (!node) this.workerNodes.set(id, (node = { kind: 'worker', id }));
    return node;
  }

  groupNode(h: Health): TreeNode & { kind: 'group' } {
    let node = this.groupNodes.get(h);
    if (!node) this.groupNodes.set(h, (node = { kind: 'group', health: h }));
    return node;
  }

  private subgroupNode(group: GroupKey, key: string): TreeNode & { kind: 'subgroup' } {
    const id = `${group}|${key}`;
    let node = this.subgroupNodes.get(id);
    if (!node) this.subgroupNodes.set(id, (node = { kind: 'subgroup', group, key }));
    return node;
  }

  /** A group's rows: its subgroups when split, else its workers a page at a time. */
  private listed(g: GroupKey): TreeNode[] {
    const { workers, split } = this.group(g);
    if (split) return split.subgroups.map((s) => this.subgroupNode(g, s.key));
    const parent = g === 'all' ? undefined : this.groupNode(g);
    if (!parent) return workers.map((w) => this.workerNode(w.id));
    return this.page(
      parent,
      workers.map((w) => w.id),
    );
  }

  private page(parent: TreeNode & { kind: 'group' | 'subgroup' }, ids: string[]): TreeNode[] {
    const limit = this.limits.get(nodeId(parent)) ?? PAGE;
    const rows: TreeNode[] = ids.slice(0, limit).map((id) => this.workerNode(id));
    if (ids.length > limit) rows.push(this.moreNode(parent));
    return rows;
  }

  private moreNode(parent: TreeNode & { kind: 'group' | 'subgroup' }): TreeNode & { kind: 'more' } {
    const id = nodeId(parent);
    let node = this.moreNodes.get(id);
    if (!node) this.moreNodes.set(id, (node = { kind: 'more', parent }));
    return node;
  }

  private group(g: GroupKey): { workers: WorkerSnapshot[]; split?: Split } {
    const hit = this.cache.get(g);
    if (hit && hit.generation === this.generation) return hit;
    const workers = this.bucketed().get(g) ?? [];
    const entry = { generation: this.generation, workers, split: splitGroup(workers, this.opts.subgroupBy()) };
    this.cache.set(g, entry);
    return entry;
  }

  private bucketed(): Map<GroupKey, WorkerSnapshot[]> {
    if (this.buckets?.generation === this.generation) return this.buckets.byGroup;
    const byGroup = new Map<GroupKey, WorkerSnapshot[]>();
    const all: WorkerSnapshot[] = [];
    byGroup.set('all', all);
    this.fleet.forEachByName((snapshot, health) => {
      all.push(snapshot);
      let list = byGroup.get(health);
      if (!list) byGroup.set(health, (list = []));
      list.push(snapshot);
    });
    this.buckets = { generation: this.generation, byGroup };
    return byGroup;
  }
}

/** A node's tree item id: stable, so expansion and selection survive refreshes. */
export function nodeId(node: TreeNode): string {
  switch (node.kind) {
    case 'group':
      return `group:${node.health}`;
    case 'subgroup':
      return `subgroup:${node.group}:${node.key}`;
    case 'more':
      return `more:${nodeId(node.parent)}`;
    case 'worker':
      return `worker:${node.id}`;
    case 'detail':
      return `detail:${node.workerId}:${node.key}`;
    case 'message':
      return 'message:retry';
  }
}
