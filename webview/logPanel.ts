import type { LevelName, LinkSpan, LogLine } from '../src/shared/protocol';
import { count, logTime } from './format';
import { LogStore, type LogFilter } from './logStore';

/** Must match `.log-row` height in dashboard.css: rows are positioned by index. */
export const ROW_HEIGHT = 18;
const OVERSCAN = 10;

export interface LogPanelHooks {
  openLink(link: LinkSpan): void;
  changed(): void;
}

/**
 * The logs panel: a virtual list (only rows in view exist in the DOM), filled in one
 * requestAnimationFrame per frame however many batches arrived, so 5,000 lines a
 * second cost one small repaint per frame. Pausing freezes what is shown while the
 * store keeps collecting. Every value is set with textContent: a line holding
 * `<img onerror=…>` is text.
 */
export class LogPanel {
  readonly store: LogStore;
  following = true;
  private frozen?: LogLine[];
  private newWhilePaused = 0;
  private frame = 0;
  private autoScroll = false;
  private readonly links = new WeakMap<Element, LinkSpan>();
  private readonly scroller = el('log-scroll');
  private readonly spacer = el('log-spacer');
  private readonly rows = el('log-rows');
  private readonly followBtn = el('follow') as HTMLButtonElement;
  private readonly countEl = el('log-count');
  private readonly datalist = el('log-workers');
  private listedWorkers = 0;

  constructor(
    maxLines: number,
    private readonly hooks: LogPanelHooks,
  ) {
    this.store = new LogStore(maxLines);
    this.scroller.addEventListener('scroll', () => this.onScroll(), { passive: true });
    this.followBtn.addEventListener('click', () => this.setFollowing(!this.following));
    this.rows.addEventListener('click', (e) => this.onLinkEvent(e));
    this.rows.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.onLinkEvent(e);
    });
  }

  append(lines: readonly LogLine[]): void {
    const added = this.store.append(lines);
    if (!this.following) this.newWhilePaused += added;
    this.schedule();
  }

  reset(lines: readonly LogLine[], maxLines?: number): void {
    this.store.reset(lines, maxLines);
    this.frozen = this.following ? undefined : this.store.visible();
    this.schedule();
  }

  clear(): void {
    this.store.clear();
    this.frozen = this.following ? undefined : [];
    this.newWhilePaused = 0;
    this.schedule();
  }

  setFilter(f: LogFilter): void {
    this.store.setFilter(f);
    if (!this.following) this.frozen = this.store.visible();
    this.schedule(true);
  }

  setFollowing(on: boolean): void {
    if (on === this.following) return;
    this.following = on;
    this.frozen = on ? undefined : this.store.visible();
    this.newWhilePaused = 0;
    this.hooks.changed();
    this.schedule(true);
  }

  /** One render per animation frame, whatever the number of batches in between. */
  schedule(force = false): void {
    if (force) this.rows.replaceChildren();
    if (!this.frame) this.frame = requestAnimationFrame(() => this.render());
  }

  private count(): number {
    return this.frozen ? this.frozen.length : this.store.visibleCount;
  }

  private lineAt(i: number): LogLine | undefined {
    return this.frozen ? this.frozen[i] : this.store.visibleAt(i);
  }

  private render(): void {
    this.frame = 0;
    const n = this.count();
    this.spacer.style.height = `${n * ROW_HEIGHT}px`;
    if (this.following) {
      const bottom = this.scroller.scrollHeight - this.scroller.clientHeight;
      if (Math.abs(this.scroller.scrollTop - bottom) > 1) {
        this.autoScroll = true; // our own scroll: not the user scrolling up to read
        this.scroller.scrollTop = bottom;
      }
    }
    this.renderRows(n);
    this.followBtn.textContent = this.following
      ? 'Pause'
      : this.newWhilePaused
        ? `Follow (${count(this.newWhilePaused)} new)`
        : 'Follow';
    this.followBtn.setAttribute('aria-pressed', String(this.following));
    this.countEl.textContent = `${count(n)} shown · ${count(this.store.size)} kept (max ${count(this.store.capacity)})`;
    this.countEl.dataset.kept = String(this.store.size);
    this.countEl.dataset.shown = String(n);
    this.refreshWorkers();
  }

  private renderRows(n: number): void {
    const height = this.scroller.clientHeight || 300;
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(n, first + Math.ceil(height / ROW_HEIGHT) + 2 * OVERSCAN);
    this.rows.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
    const wanted = last - first;
    while (this.rows.childElementCount > wanted) this.rows.lastElementChild!.remove();
    while (this.rows.childElementCount < wanted) this.rows.appendChild(document.createElement('div'));
    for (let i = 0; i < wanted; i++) {
      const row = this.rows.children[i] as HTMLElement;
      const line = this.lineAt(first + i)!;
      if (row.dataset.seq !== String(line.seq)) this.fill(row, line);
    }
  }

  private fill(row: HTMLElement, l: LogLine): void {
    row.className = `log-row level-${l.level}${l.cont ? ' cont' : ''}`;
    row.dataset.seq = String(l.seq);
    const time = span('ts', l.cont ? '' : logTime(l.ts));
    const level = span('lvl', l.cont ? '' : LEVEL_TAG[l.level]);
    const worker = span('wk', l.cont ? '' : (l.worker ?? ''));
    if (l.worker) worker.title = l.worker;
    const msg = span('msg', '');
    let at = 0;
    for (const link of l.links ?? []) {
      if (link.start < at || link.end > l.text.length) continue;
      msg.append(document.createTextNode(l.text.slice(at, link.start)));
      const a = document.createElement('a');
      a.className = 'link';
      a.tabIndex = 0;
      a.setAttribute('role', 'link');
      a.textContent = l.text.slice(link.start, link.end);
      a.title = `Open ${link.path}:${link.line}`;
      this.links.set(a, link);
      msg.append(a);
      at = link.end;
    }
    msg.append(document.createTextNode(l.text.slice(at)));
    row.title = `${isoTime(l.ts)} · ${l.source}`;
    row.replaceChildren(time, level, worker, msg);
  }

  private onLinkEvent(e: Event): void {
    const a = (e.target as Element | null)?.closest?.('a.link');
    const link = a && this.links.get(a);
    if (!link) return;
    e.preventDefault();
    this.hooks.openLink(link);
  }

  private onScroll(): void {
    if (this.autoScroll) {
      this.autoScroll = false;
    } else if (this.following) {
      const atBottom = this.scroller.scrollTop + this.scroller.clientHeight >= this.scroller.scrollHeight - ROW_HEIGHT;
      if (!atBottom) this.setFollowing(false); // scrolling up to read pauses, like a terminal
    }
    if (!this.frame) this.frame = requestAnimationFrame(() => this.render());
  }

  private refreshWorkers(): void {
    if (this.store.workers.size === this.listedWorkers) return;
    this.listedWorkers = this.store.workers.size;
    this.datalist.replaceChildren(
      ...[...this.store.workers].sort().map((w) => {
        const o = document.createElement('option');
        o.value = w;
        return o;
      }),
    );
  }
}

const LEVEL_TAG: Record<LevelName, string> = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' };

function span(cls: string, text: string): HTMLSpanElement {
  const s = document.createElement('span');
  s.className = cls;
  s.textContent = text;
  return s;
}

function el(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing from the dashboard page`);
  return e;
}

/** toISOString throws past ±8.64e15 ms: one impossible time must not stop the log panel. */
function isoTime(ts: number): string {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? `(not a date: ${ts})` : d.toISOString();
}
