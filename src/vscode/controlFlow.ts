import * as vscode from 'vscode';
import { createRequester } from '../control/createRequester';
import { confirmation, outcomeSummary, type Confirmation } from '../control/plan';
import { summary, type ControlRequest, type ControlRequester, type Outcome } from '../control/request';
import type { ConnectionConfig } from '../core/connectionConfig';
import { storeModeProblem, type ControlConfig } from '../control/controlConfig';
import type { WorkerView } from '../core/model';
import type { ConnectionManager } from './connectionManager';
import { commandCwd, controlFor } from './controlSettings';
import type { Secrets } from './secrets';
import type { TreeNode } from './workerTree';

/** What the restart / scale commands need from the extension. */
export interface ControlDeps {
  manager: ConnectionManager;
  secrets: Secrets;
  log: vscode.LogOutputChannel;
}

export interface PickItem {
  id: string;
  label: string;
  description: string;
}

/**
 * Every `vscode.window` call the control commands make. In-VS-Code tests replace it
 * (a modal cannot be clicked from a test) through `setControlUi`, which the extension
 * exposes on its API object only.
 */
export interface ControlUi {
  confirm(c: Confirmation): Promise<boolean>;
  pickWorkers(items: PickItem[], title: string): Promise<string[] | undefined>;
  askCount(current: number, alive: number): Promise<number | undefined>;
  notify(level: 'info' | 'warning' | 'error', text: string): void;
}

const windowUi: ControlUi = {
  async confirm(c) {
    return (await vscode.window.showWarningMessage(c.message, { modal: true, detail: c.detail }, c.button)) === c.button;
  },
  async pickWorkers(items, title) {
    const picked = await vscode.window.showQuickPick(
      items.map((i) => ({ label: i.label, description: i.description, id: i.id })),
      { title, placeHolder: 'Unhealthy workers are listed first', matchOnDescription: true },
    );
    return picked ? [picked.id] : undefined;
  },
  async askCount(current, alive) {
    const v = await vscode.window.showInputBox({
      title: 'Scale Workers',
      prompt: `Now ${current} worker${current === 1 ? '' : 's'} (${alive} alive). How many should run?`,
      value: String(current),
      validateInput: (s) => (/^\d+$/.test(s.trim()) ? undefined : 'A whole number, 0 or more'),
    });
    return v === undefined ? undefined : Number(v.trim());
  },
  notify(level, text) {
    const show = level === 'error' ? vscode.window.showErrorMessage : level === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(`Worker Lens: ${text}`);
  },
};

let ui: ControlUi = windowUi;

/** Replaces parts of the UI (tests); returns a function that puts the real one back. */
export function setControlUi(replacement: Partial<ControlUi>): () => void {
  ui = { ...windowUi, ...replacement };
  return () => (ui = windowUi);
}

export function controlUi(): ControlUi {
  return ui;
}

/** The workers a tree action was invoked on: the multi-selection when the clicked row is in it. */
export function workersOf(node?: TreeNode, nodes?: readonly TreeNode[]): string[] {
  const idOf = (n: TreeNode) => (n.kind === 'worker' ? n.id : n.kind === 'detail' ? n.workerId : undefined);
  // VS Code passes the selection as the second argument; it applies when the clicked row is part of it.
  const clicked = node && idOf(node);
  const list = nodes?.length && (!node || nodes.some((n) => n === node || idOf(n) === clicked)) ? nodes : node ? [node] : [];
  return [...new Set(list.map(idOf).filter((id): id is string => id !== undefined))];
}

export interface Ready {
  config: ControlConfig;
  connection: ConnectionConfig;
}

/** Refusals first (read-only, trust, settings): each says why, and nothing is written or run. */
export function controlReady(deps: ControlDeps): Ready | undefined {
  const d = controlFor(deps.manager.active);
  // Said before any pick or prompt: a files connection in store mode can do nothing.
  const problem = 'refusal' in d ? d.refusal : d.config.mode === 'store' ? storeModeProblem(d.connection.type) : undefined;
  if (problem || 'refusal' in d) {
    const text = 'refusal' in d ? d.refusal : `Cannot restart or scale "${d.connection.name}": ${problem}`;
    deps.log.warn(`Control refused: ${text}`);
    ui.notify('warning', text);
    return undefined;
  }
  return d;
}

/**
 * Confirms, then carries out the requests inside a progress notification, showing
 * each as pending on its worker's row until the result (or "no supervisor answered").
 */
export async function carryOut(deps: ControlDeps, ready: Ready, requests: ControlRequest[], ctx: { currentCount?: number; unhealthy?: boolean }): Promise<Outcome[] | undefined> {
  const conn = ready.connection;
  const secret = ready.config.mode === 'store' ? await deps.secrets.get(conn) : undefined;
  const requester = createRequester(ready.config, { type: conn.type, url: conn.url, secret }, {
    cwd: commandCwd(),
    onOutput: (line, stream) => deps.log[stream === 'stderr' ? 'warn' : 'info'](`  ${line}`),
  });
  if (typeof requester === 'string') {
    ui.notify('warning', `Cannot restart or scale "${conn.name}": ${requester}`);
    return undefined;
  }
  try {
    const fleet = deps.manager.fleet;
    const workers = new Map<string, WorkerView>();
    for (const r of requests) {
      const w = r.worker !== undefined ? fleet.get(r.worker) : undefined;
      if (w) workers.set(r.worker!, w);
    }
    if (!(await ui.confirm(confirmation(requests, requester, { connection: conn.name, workers, ...ctx })))) {
      deps.log.info(`Cancelled: ${requests.map(summary).join(', ')}`);
      return undefined;
    }
    const title = requests.length === 1 ? `${cap(summary(requests[0]))}…` : `Restarting ${requests.length} workers…`;
    const outcomes = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) =>
      sendAll(deps, requester, requests, progress, token),
    );
    const s = outcomeSummary(requests.map((request, i) => ({ request, outcome: outcomes[i] })));
    ui.notify(s.level, s.text);
    return outcomes;
  } finally {
    await requester.dispose();
  }
}

async function sendAll(
  deps: ControlDeps,
  requester: ControlRequester,
  requests: ControlRequest[],
  progress: vscode.Progress<{ message?: string; increment?: number }>,
  token: vscode.CancellationToken,
): Promise<Outcome[]> {
  const fleet = deps.manager.fleet;
  const abort = new AbortController();
  const sub = token.onCancellationRequested(() => abort.abort());
  let finished = 0;
  try {
    return await Promise.all(
      requests.map(async (r) => {
        const label = summary(r);
        deps.log.info(`${label}: ${requester.describe(r)} (request ${r.id})`);
        if (r.worker !== undefined) fleet.setPending(r.worker, `${r.action} requested…`);
        try {
          const outcome = await requester.send(r, {
            signal: abort.signal,
            onAccepted: (message) => {
              deps.log.info(`${label}: accepted — ${message}`);
              if (r.worker !== undefined) fleet.setPending(r.worker, `${r.action === 'restart' ? 'restarting' : 'scaling'}…`);
              if (requests.length === 1) progress.report({ message: 'accepted, waiting for the result…' });
            },
          });
          deps.log[outcome.status === 'done' ? 'info' : 'warn'](`${label}: ${outcome.status} — ${outcome.message}`);
          return outcome;
        } finally {
          if (r.worker !== undefined) fleet.setPending(r.worker, undefined);
          finished++;
          if (requests.length > 1) progress.report({ message: `${finished} of ${requests.length} answered`, increment: 100 / requests.length });
        }
      }),
    );
  } finally {
    sub.dispose();
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
