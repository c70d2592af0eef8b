import type { Frame, Page } from 'playwright-core';

/*
 * What the VS Code latency bench reads in the page: for each view a MutationObserver
 * records, with a wall-clock stamp (performance.timeOrigin + now(), the same clock the
 * bench's writes are stamped with), every change of one probe value — the target
 * worker's tree row label, the status bar text, the target's row in the dashboard
 * table — and counts the frames in which the view's DOM changed at all (repaints).
 * Timing comes from the observer callbacks, never from polling.
 */

export type ProbeName = 'tree' | 'status' | 'table';

export interface ProbeLog {
  /** [time ms since epoch, value] each time the probe's value changed. */
  changes: [number, string][];
  /** Times of frames in which the view's DOM changed. */
  frames: number[];
}

interface ProbeSpec {
  name: ProbeName;
  /** The element to observe (selector), and how to read the probe value inside the document. */
  root: string;
  read: 'tree' | 'status' | 'table';
  /** The workers whose rows are read (tree, table). */
  targets: string[];
}

/** Installs one probe in a page or frame. Runs in the browser: self-contained. */
function install(spec: ProbeSpec): boolean {
  const w = window as unknown as { __wlProbes?: Record<string, ProbeLog> };
  const root = document.querySelector(spec.root);
  if (!root) return false;
  const stamp = () => performance.timeOrigin + performance.now();
  const read = (): string => {
    if (spec.read === 'tree') {
      const rows = Array.from(root.querySelectorAll('.monaco-list-row'));
      const labels = rows.map((r) => r.getAttribute('aria-label') ?? '');
      return labels
        .filter((l) => spec.targets.some((t) => l.startsWith(`${t}, `)))
        .sort()
        .join(' | ');
    }
    if (spec.read === 'status') {
      return (
        Array.from(root.querySelectorAll('.statusbar-item'))
          .map((e) => e.textContent ?? '')
          .find((t) => /\d+\/\d+ workers/.test(t)) ?? ''
      );
    }
    return spec.targets.map((t) => root.querySelector(`tr[data-id="${t}"]`)?.textContent ?? '').join(' | ');
  };
  const log: ProbeLog = { changes: [[stamp(), read()]], frames: [] };
  (w.__wlProbes ??= {})[spec.name] = log;
  let last = log.changes[0]![1];
  let frameMarked = false;
  new MutationObserver(() => {
    const t = stamp();
    const v = read();
    if (v !== last) {
      last = v;
      log.changes.push([t, v]);
    }
    if (!frameMarked) {
      // One repaint per rendered frame, however many mutation batches it took.
      frameMarked = true;
      log.frames.push(t);
      requestAnimationFrame(() => (frameMarked = false));
    }
  }).observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
  return true;
}

const TREE_ROOT = '.pane:has(.pane-header[aria-label^="Workers"]) .pane-body';

/** `install` as the page runs it: tsx names inner functions with a `__name` helper the page lacks. */
function installIn(where: Page | Frame, spec: ProbeSpec): Promise<boolean> {
  return where.evaluate(
    `(() => { const __name = (f) => f; return (${install.toString()})(${JSON.stringify(spec)}); })()`,
  ) as Promise<boolean>;
}

export async function installWorkbenchProbes(page: Page, targets: string[]): Promise<void> {
  for (const spec of [
    { name: 'tree', root: TREE_ROOT, read: 'tree', targets },
    { name: 'status', root: '.part.statusbar', read: 'status', targets },
  ] as ProbeSpec[]) {
    if (!(await installIn(page, spec))) throw new Error(`no ${spec.root} in the workbench to observe`);
  }
}

/** The dashboard's page: the innermost webview frame holding the worker table. */
export async function dashboardFrame(page: Page): Promise<Frame | undefined> {
  for (const f of page.frames()) {
    if (
      await f
        .evaluate(() => !!document.querySelector('#worker-table tbody') && document.body.dataset.ready === 'true')
        .catch(() => false)
    )
      return f;
  }
  return undefined;
}

export async function installTableProbe(frame: Frame, targets: string[]): Promise<void> {
  const spec: ProbeSpec = { name: 'table', root: '#worker-table tbody', read: 'table', targets };
  if (!(await installIn(frame, spec))) throw new Error('no worker table in the dashboard to observe');
}

export async function readProbe(where: Page | Frame, name: ProbeName): Promise<ProbeLog> {
  return where.evaluate((n) => (window as unknown as { __wlProbes: Record<string, ProbeLog> }).__wlProbes[n]!, name);
}

/** First time at or after `since` that the probe's value satisfied `test`. */
export function firstSeen(log: ProbeLog, since: number, test: (v: string) => boolean): number | undefined {
  return log.changes.find(([t, v]) => t >= since && test(v))?.[0];
}

/** Frames closer than this belong to one update: a tree refresh renders over a few frames (rows, then children). */
const SAME_UPDATE_MS = 60;

/**
 * Between two times: frames with DOM changes per second, and updates per second (runs of
 * frames less than SAME_UPDATE_MS apart), the mean and the most in any 1 s window.
 */
export function repaintRate(
  frames: number[],
  from: number,
  to: number,
): { frames: number; updates: number; max1s: number } {
  const inside = frames.filter((t) => t >= from && t <= to);
  const updates = inside.filter((t, i) => i === 0 || t - inside[i - 1]! >= SAME_UPDATE_MS);
  let max = 0;
  for (let i = 0, j = 0; j < updates.length; j++) {
    while (updates[j]! - updates[i]! >= 1000) i++;
    max = Math.max(max, j - i + 1);
  }
  const seconds = (to - from) / 1000;
  return { frames: inside.length / seconds, updates: updates.length / seconds, max1s: max };
}
