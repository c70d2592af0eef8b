import * as vscode from 'vscode';
import { displayText, MAX_TEXT } from '../core/checked';
import { describeWorker, detailLines, freshness, HEALTH_TITLE, workerChildRows } from '../core/describe';
import type { Fleet, FleetChange } from '../core/fleet';
import type { LiveSession } from '../core/liveSession';
import { formatAge } from '../core/format';
import { Coalescer, FLOOD_WINDOW_MS } from '../core/coalescer';
import { PAGE } from '../core/treeGroups';
import { UNHEALTHY, type Health, type WorkerView } from '../core/model';
import { nodeId, TreeLayout, type TreeNode } from '../core/treeLayout';
import { healthIcon } from './healthStyle';
import * as settings from './settings';
import { workerContextValue } from './workerContext';

export type { TreeNode } from '../core/treeLayout';

/**
 * Repaints are at least this far apart (ms): a change on a quiet view is painted at once,
 * a burst coalesces (≤ 4 repaints a second; ≤ 2 while a flood lasts, FLOOD_WINDOW_MS).
 * Longer than the 200 ms for which VS Code's extension host holds back a tree refresh that
 * follows another (its debounce on onDidChangeTreeData), so each repaint reaches the screen
 * at once instead of waiting there.
 */
const TREE_WINDOW_MS = 250;
/** Ages on rows ("seen 4s ago") are refreshed this long after the last repaint. */
const AGE_TICK_MS = 1000;
/** What code drift adds to a worker's row (see codeDrift.ts); optional so the tree stands alone. */
export interface RowExtras {
  label(w: WorkerView): string | undefined;
  detail(w: WorkerView): [string, string] | undefined;
  readonly onDidChange: vscode.Event<void>;
}
/** Past this many changed rows one full refresh is cheaper than many single ones. */
const MAX_SINGLE_FIRES = 50;
/** Groups larger than this start collapsed unless they need attention. */
const LARGE_GROUP = 50;

/**
 * The Workers view. Reads only the session's Fleet; paints a change at once when quiet and
 * coalesces bursts (changed rows only); keeps ages true with a tick of its own while visible
 * (health itself is re-derived by the session's clock whether or not anyone looks).
 */
export class WorkerTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly layout: TreeLayout;
  /** What each row last showed, to fire only rows whose text changed. */
  private readonly shown = new Map<string, { health: Health; description: string }>();
  private pendingIds = new Set<string>();
  private pendingFull = false;
  private readonly painter = new Coalescer(() => this.flush(), TREE_WINDOW_MS, undefined, FLOOD_WINDOW_MS);
  private visible = false;
  private ageTimer?: NodeJS.Timeout;
  private readonly fleet: Fleet;
  private view?: vscode.TreeView<TreeNode>;
  private readonly unsubscribe: () => void;
  /** Fired after each repaint with the current fleet counts (badge, tests). */
  private readonly painted = new vscode.EventEmitter<void>();
  readonly onDidPaint = this.painted.event;

  /** @param canRestart whether the active connection can carry out a restart (adds the `restartable` token). */
  constructor(
    session: LiveSession,
    private readonly canRestart: () => boolean = () => false,
    private readonly extras?: RowExtras,
  ) {
    this.fleet = session.fleet;
    this.layout = new TreeLayout(this.fleet, {
      groupBy: settings.groupBy,
      subgroupBy: settings.subgroupBy,
      errorRow: () => this.fleet.connection.state === 'error' && this.fleet.size > 0,
    });
    this.unsubscribe = this.fleet.onChange((c) => this.onFleetChange(c));
    this.offExtras = extras?.onDidChange(() => this.refreshAll());
  }

  private readonly offExtras?: vscode.Disposable;

  /** A row's description: health, task or age, and what code drift adds ("3 commits behind"). */
  private describe(w: WorkerView, now: number): string {
    const extra = this.extras?.label(w);
    return extra ? `${describeWorker(w, now)} · ${extra}` : describeWorker(w, now);
  }

  /** Selects a worker's row and focuses the view (a notification's Show in Workers). */
  async reveal(id: string): Promise<void> {
    const w = this.fleet.get(id);
    if (!w || !this.view) return;
    await this.view.reveal(this.layout.workerNode(id), { select: true, focus: true, expand: false });
  }

  /** The view's title now ("Workers · live"), for tests. */
  get title(): string | undefined {
    return this.view?.title;
  }

  /** The message above the rows now (an error, why not live), for tests. */
  get message(): string | undefined {
    return this.view?.message;
  }

  /** The next change will be painted at once: no repaint waiting, none within the window (tests). */
  get quiet(): boolean {
    return this.painter.quiet;
  }

  attach(view: vscode.TreeView<TreeNode>): vscode.Disposable {
    this.view = view;
    const sub = view.onDidChangeVisibility((e) => this.setTicking(e.visible));
    this.setTicking(view.visible);
    this.updateChrome();
    return sub;
  }

  /** Structure changed (grouping setting): repaint everything. */
  refreshAll(): void {
    this.layout.invalidate();
    this.schedule(true);
  }

  /** A "Show more" row was clicked: list the next page under its group. */
  showMore(node: TreeNode): void {
    if (node.kind !== 'more') return;
    this.emitter.fire(this.layout.showMore(node));
  }

  private setTicking(on: boolean): void {
    this.visible = on;
    clearTimeout(this.ageTimer);
    this.ageTimer = undefined;
    if (on) {
      // Health is re-derived by the session's clock whether or not the view is visible; only ages are the view's.
      this.armAgeTick();
      this.schedule(true);
    }
  }

  private armAgeTick(): void {
    clearTimeout(this.ageTimer);
    this.ageTimer = this.visible ? setTimeout(() => this.onAgeTick(), AGE_TICK_MS) : undefined;
  }

  /** Ages change every second even when nothing is written. */
  private onAgeTick(): void {
    this.ageTimer = undefined;
    this.collectAged();
    this.schedule(false);
    // A small fleet's repaint re-arms the tick (see flush); otherwise look again in a second.
    if (!this.ageTimer) this.armAgeTick();
  }

  /** Rows whose description (age, elapsed time) is no longer what they show. */
  private collectAged(): void {
    // Only rows VS Code has asked for: in a fleet of 100,000 most are in collapsed groups or
    // behind "Show more", and describing every worker every second would stall the host.
    const now = Date.now();
    for (const [id, last] of this.shown) {
      const w = this.fleet.get(id);
      if (w && last.description !== this.describe(w, now)) this.pendingIds.add(id);
    }
  }

  private onFleetChange(c: FleetChange): void {
    // Gone workers leave no node behind: fleets whose ids churn (pid-named workers) stay bounded.
    this.layout.invalidate();
    for (const id of c.removed) {
      this.layout.forget(id);
      this.shown.delete(id);
    }
    if (c.added.length || c.removed.length || c.connection) {
      this.schedule(true);
      return;
    }
    const grouped = settings.groupBy() === 'health';
    for (const id of c.changed) {
      const w = this.fleet.get(id);
      // Under health grouping, a health change moves the row to another group.
      if (grouped && w && this.shown.get(id)?.health !== w.health) this.pendingFull = true;
      this.pendingIds.add(id);
    }
    this.schedule(false);
  }

  private schedule(full: boolean): void {
    if (full) this.pendingFull = true;
    if (this.pendingFull || this.pendingIds.size) this.painter.request();
  }

  private flush(): void {
    if (this.visible && this.fleet.size <= MAX_SINGLE_FIRES) {
      // A small fleet's repaint carries the other rows' new ages, and the age tick waits a
      // second from here: a tick of its own just before a change would make VS Code hold
      // that change back for 200 ms (see TREE_WINDOW_MS). A large fleet keeps its own tick,
      // so its repaints stay single rows.
      this.collectAged();
      this.armAgeTick();
    }
    const ids = this.pendingIds;
    this.pendingIds = new Set();
    if (this.pendingFull || ids.size > MAX_SINGLE_FIRES) {
      this.pendingFull = false;
      this.emitter.fire(undefined);
    } else {
      for (const id of ids) {
        const node = this.layout.shownWorker(id);
        if (node) this.emitter.fire(node);
      }
    }
    this.updateChrome();
    this.painted.fire();
  }

  /** Badge, message and description of the view itself. */
  private updateChrome(): void {
    if (!this.view) return;
    const counts = this.fleet.counts();
    const unhealthy = [...UNHEALTHY].reduce((n, h) => n + counts.byHealth[h], 0);
    this.view.badge = unhealthy
      ? { value: unhealthy, tooltip: `${unhealthy} unhealthy worker${unhealthy === 1 ? '' : 's'}` }
      : undefined;
    const conn = this.fleet.connection;
    if (conn.state === 'error') {
      const since = this.fleet.lastUpdate
        ? ` Showing the last known state from ${formatAge(this.fleet.lastUpdate, Date.now())}.`
        : '';
      this.view.message = `⚠ ${conn.message ?? 'Cannot reach the store.'}${this.fleet.size ? since : ''}`;
    } else if (conn.state === 'connecting' && this.fleet.size === 0) {
      this.view.message = conn.message ?? 'Connecting…';
    } else if (conn.state === 'connected' && conn.message) {
      // Connected, but not as live as it could be (e.g. Realtime refused): say why.
      this.view.message = `ℹ ${conn.message}`;
    } else {
      this.view.message = undefined;
    }
    this.view.description =
      conn.state === 'connected' ? conn.liveMode : conn.state === 'error' ? 'stale' : 'connecting';
    this.view.title = `Workers · ${freshness(conn)}`;
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (node?.kind === 'worker') {
      const w = this.fleet.get(node.id);
      return w ? this.childRows(w, Date.now()).map(([key]) => ({ kind: 'detail', workerId: node.id, key })) : [];
    }
    return this.layout.children(node);
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return this.layout.parent(node);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const now = Date.now();
    switch (node.kind) {
      case 'message': {
        const item = new vscode.TreeItem('Cannot reach the store — Retry', vscode.TreeItemCollapsibleState.None);
        item.id = nodeId(node);
        item.description = this.fleet.connection.message;
        item.tooltip = `${this.fleet.connection.message ?? ''}\nThe workers below are the last known state (stale). Click to retry now.`;
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('workerLens.warning'));
        item.command = { command: 'workerLens.refresh', title: 'Retry' };
        item.contextValue = 'message';
        return item;
      }
      case 'group': {
        const n = this.fleet.counts().byHealth[node.health];
        const attention = UNHEALTHY.has(node.health);
        const state =
          attention || n <= LARGE_GROUP
            ? vscode.TreeItemCollapsibleState.Expanded
            : vscode.TreeItemCollapsibleState.Collapsed;
        const item = new vscode.TreeItem(`${HEALTH_TITLE[node.health]} (${n})`, state);
        item.id = nodeId(node);
        item.accessibilityInformation = { label: `${HEALTH_TITLE[node.health]} (${n})` };
        item.iconPath = healthIcon(node.health);
        item.contextValue = `group;${node.health};`;
        return item;
      }
      case 'subgroup': {
        const info = this.layout.subgroupInfo(node);
        const text = info ? `${displayText(info.label, 200)} (${info.count})` : node.key;
        const item = new vscode.TreeItem(text, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = nodeId(node);
        if (node.group !== 'all') item.iconPath = healthIcon(node.group);
        item.contextValue = 'subgroup';
        return item;
      }
      case 'more': {
        const left = this.layout.remaining(node);
        const item = new vscode.TreeItem(`Show ${Math.min(PAGE, left)} more…`, vscode.TreeItemCollapsibleState.None);
        item.id = nodeId(node);
        item.description = `${left} not listed`;
        item.command = { command: 'workerLens.showMore', title: 'Show more', arguments: [node] };
        item.contextValue = 'more';
        return item;
      }
      case 'worker':
        return this.workerItem(node.id, now);
      case 'detail': {
        const w = this.fleet.get(node.workerId);
        const row = w && this.childRows(w, now).find(([key]) => key === node.key);
        const item = new vscode.TreeItem(row ? row[1] : node.key, vscode.TreeItemCollapsibleState.None);
        item.id = nodeId(node);
        item.description = row?.[2];
        item.contextValue = 'detail';
        return item;
      }
    }
  }

  private workerItem(id: string, now: number): vscode.TreeItem {
    const w = this.fleet.get(id);
    const item = new vscode.TreeItem(
      displayText(w?.snapshot.name ?? id, 200),
      vscode.TreeItemCollapsibleState.Collapsed,
    );
    // Stable id = the worker id, so expansion and selection survive refreshes.
    item.id = `worker:${id}`;
    if (!w) return item;
    const description = this.describe(w, now);
    this.shown.set(id, { health: w.health, description });
    item.description = description;
    item.iconPath = healthIcon(w.health);
    // Tokens matched by menus: `viewItem =~ /;restartable;/` shows Restart only where it can work.
    item.contextValue = workerContextValue(w, this.canRestart());
    item.accessibilityInformation = { label: `${displayText(w.snapshot.name, 200)}, ${description}` };
    return item;
  }

  /** The tooltip is built only when hovered: 10,000 rows of Markdown up front would be waste. */
  resolveTreeItem(item: vscode.TreeItem, node: TreeNode): vscode.TreeItem {
    if (node.kind !== 'worker') return item;
    const w = this.fleet.get(node.id);
    if (!w) return item;
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = false;
    md.supportHtml = false;
    md.appendMarkdown(`**`).appendText(displayText(w.snapshot.name, MAX_TEXT)).appendMarkdown(`**\n\n`);
    for (const [k, v] of detailLines(w, Date.now())) md.appendMarkdown(`${k}: `).appendText(v).appendMarkdown('  \n');
    item.tooltip = md;
    return item;
  }

  private childRows(w: WorkerView, now: number): [string, string, string][] {
    const rows = workerChildRows(w, now);
    const version = this.extras?.detail(w);
    if (version) rows.push(['version', ...version]);
    return rows;
  }

  dispose(): void {
    this.unsubscribe();
    this.offExtras?.dispose();
    this.visible = false;
    clearTimeout(this.ageTimer);
    this.painter.dispose();
    this.emitter.dispose();
    this.painted.dispose();
  }
}
