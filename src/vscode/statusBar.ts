import * as vscode from 'vscode';
import { HEALTH_WORD } from '../core/describe';
import { Coalescer } from '../core/coalescer';
import type { Fleet } from '../core/fleet';
import { UNHEALTHY } from '../core/model';

const MAX_LISTED = 15;
/** Repaints at least this far apart: a change on a quiet fleet shows at once, a burst ≤ 5×/s. */
const WINDOW_MS = 200;

/**
 * `$(pulse) 3/7 workers`: alive (healthy + working + slow) over total. Warning background
 * for unresponsive/slow, error background for dead/crashed. A change is shown at once,
 * a burst at most 5×/s.
 */
export class FleetStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('workerLens.status', vscode.StatusBarAlignment.Left, 50);
  private readonly unsubscribe: () => void;
  private readonly painter = new Coalescer(() => this.render(), WINDOW_MS);

  constructor(private readonly fleet: Fleet, private readonly connectionName: () => string | undefined) {
    this.item.name = 'Worker Lens';
    this.item.command = 'workerLens.workers.focus';
    this.unsubscribe = fleet.onChange(() => this.painter.request());
    this.render();
  }

  /** The next change will be painted at once (tests). */
  get quiet(): boolean {
    return this.painter.quiet;
  }

  /** What the item shows now (for tests and the API). */
  get state(): { text: string; visible: boolean; background?: string; tooltip: string } {
    const t = this.item.tooltip;
    // The tooltip as read on screen: appendText's markdown escapes and &nbsp; undone.
    const shown = (typeof t === 'string' ? t : (t?.value ?? '')).replace(/&nbsp;/g, ' ').replace(/\\([\\`*_{}[\]()#+\-.!|~<>])/g, '$1');
    return { text: this.item.text, visible: this.visible, background: this.background, tooltip: shown };
  }

  private visible = false;
  private background?: string;

  render(): void {
    const name = this.connectionName();
    if (!name) {
      this.item.hide();
      this.visible = false;
      return;
    }
    const { total, alive, byHealth } = this.fleet.counts();
    const stale = this.fleet.stale && this.fleet.connection.state === 'error';
    this.item.text = `$(pulse) ${alive}/${total} workers${stale ? ' (stale)' : ''}`;
    const failing = byHealth.dead + byHealth.crashed;
    const warning = byHealth.unresponsive + byHealth.slow;
    this.background = failing ? 'statusBarItem.errorBackground' : warning || stale ? 'statusBarItem.warningBackground' : undefined;
    this.item.backgroundColor = this.background ? new vscode.ThemeColor(this.background) : undefined;

    const md = new vscode.MarkdownString();
    md.appendMarkdown('**Worker Lens** — ').appendText(name).appendMarkdown('\n\n');
    md.appendText(`${alive} of ${total} alive`);
    const conn = this.fleet.connection;
    if (stale) md.appendMarkdown('\n\n').appendText(`⚠ ${conn.message ?? 'Store unreachable'}: last known state.`);
    else if (conn.state === 'connected') {
      md.appendMarkdown('\n\n').appendText(`Updates: ${conn.liveMode ?? 'poll'}`);
      if (conn.message) md.appendMarkdown('\n\n').appendText(conn.message);
    }
    const unhealthy = this.fleet.workers().filter((w) => UNHEALTHY.has(w.health));
    if (unhealthy.length) {
      md.appendMarkdown('\n\n**Needs attention**\n\n');
      for (const w of unhealthy.slice(0, MAX_LISTED)) md.appendMarkdown('- ').appendText(`${w.snapshot.name}: ${HEALTH_WORD[w.health]}`).appendMarkdown('\n');
      if (unhealthy.length > MAX_LISTED) md.appendText(`…and ${unhealthy.length - MAX_LISTED} more`);
    }
    this.item.tooltip = md;
    this.item.show();
    this.visible = true;
  }

  dispose(): void {
    this.unsubscribe();
    this.painter.dispose();
    this.item.dispose();
  }
}
