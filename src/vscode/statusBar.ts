import * as vscode from 'vscode';
import { displayText } from '../core/checked';
import { HEALTH_WORD } from '../core/describe';
import { Coalescer, FLOOD_WINDOW_MS } from '../core/coalescer';
import type { Fleet } from '../core/fleet';
import { FAILING, UNHEALTHY } from '../core/model';

const MAX_LISTED = 15;
/** Repaints at least this far apart: a change on a quiet fleet shows at once, a burst ≤ 5×/s (≤ 2×/s in a flood). */
const WINDOW_MS = 200;

/**
 * `$(pulse) 3/7 workers`: alive (healthy + working + slow) over total. Warning background
 * for unresponsive/slow, error background for dead/crashed. A change is shown at once,
 * a burst at most 5×/s.
 */
export class FleetStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('workerLens.status', vscode.StatusBarAlignment.Left, 50);
  private readonly unsubscribe: () => void;
  private readonly painter = new Coalescer(() => this.render(), WINDOW_MS, undefined, FLOOD_WINDOW_MS);

  constructor(
    private readonly fleet: Fleet,
    private readonly connectionName: () => string | undefined,
    /** Code drift in words ("2 workers run outdated code …"), when versions are reported. */
    private readonly drift?: { summary(): string | undefined; readonly onDidChange: vscode.Event<void> },
  ) {
    this.item.name = 'Worker Lens';
    this.item.command = 'workerLens.workers.focus';
    const offDrift = drift?.onDidChange(() => this.painter.request());
    const offFleet = fleet.onChange(() => this.painter.request());
    this.unsubscribe = () => (offFleet(), offDrift?.dispose());
    this.render();
  }

  /** The next change will be painted at once (tests). */
  get quiet(): boolean {
    return this.painter.quiet;
  }

  /** What the item shows now (for tests and the API): the tooltip as plain text, as read on screen. */
  get state(): { text: string; visible: boolean; background?: string; tooltip: string } {
    return { text: this.item.text, visible: this.visible, background: this.background, tooltip: this.plainTooltip };
  }

  private visible = false;
  private background?: string;
  private plainTooltip = '';

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
    // A missing expected worker is as down as a dead one.
    const failing = [...FAILING].reduce((n, h) => n + byHealth[h], 0) + byHealth.missing;
    const warning = byHealth.unresponsive + byHealth.slow;
    this.background = failing
      ? 'statusBarItem.errorBackground'
      : warning || stale
        ? 'statusBarItem.warningBackground'
        : undefined;
    this.item.backgroundColor = this.background ? new vscode.ThemeColor(this.background) : undefined;

    // Built once as plain parts; Markdown is only how they are shown (store text is never Markdown).
    const md = new vscode.MarkdownString();
    const plain: string[] = [];
    const text = (t: string) => (md.appendText(t), plain.push(t));
    const mark = (m: string, asText = m) => (md.appendMarkdown(m), plain.push(asText));
    mark('**Worker Lens** — ', 'Worker Lens — ');
    text(name);
    mark('\n\n');
    text(`${alive} of ${total} alive`);
    const conn = this.fleet.connection;
    if (stale) {
      mark('\n\n');
      text(`⚠ ${conn.message ?? 'Store unreachable'}: last known state.`);
    } else if (conn.state === 'connected') {
      mark('\n\n');
      text(`Updates: ${conn.liveMode ?? 'poll'}`);
      if (conn.message) {
        mark('\n\n');
        text(conn.message);
      }
    }
    // Counted without building a view per worker: this runs on every repaint, at any fleet size.
    let unhealthy = 0;
    const listed: string[] = [];
    this.fleet.forEachByName((w, health) => {
      if (!UNHEALTHY.has(health)) return;
      if (++unhealthy <= MAX_LISTED) listed.push(`${displayText(w.name)}: ${HEALTH_WORD[health]}`);
    });
    if (unhealthy) {
      mark('\n\n**Needs attention**\n\n', '\n\nNeeds attention\n\n');
      for (const line of listed) {
        mark('- ');
        text(line);
        mark('\n');
      }
      if (unhealthy > MAX_LISTED) text(`…and ${unhealthy - MAX_LISTED} more`);
    }
    const drift = this.drift?.summary();
    if (drift) {
      mark('\n\n');
      text(drift);
    }
    this.plainTooltip = plain.join('');
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
