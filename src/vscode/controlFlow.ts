import type { LogOutputChannel } from 'vscode';
import { createRequester } from '../control/createRequester';
import { confirmation, outcomeSummary } from '../control/plan';
import { summary, type ControlRequest, type ControlRequester, type Outcome } from '../control/request';
import type { ConnectionConfig } from '../core/connectionConfig';
import { storeModeProblem, type ControlConfig } from '../control/controlConfig';
import type { WorkerView } from '../core/model';
import type { ConnectionManager } from './connectionManager';
import { commandCwd, controlFor } from './controlSettings';
import { controlHost, type ControlUi } from './controlHost';
import type { Secrets } from './secrets';
import type { TreeNode } from './workerTree';

/** What the restart / scale commands need from the extension. */
export interface ControlDeps {
  manager: ConnectionManager;
  secrets: Secrets;
  log: LogOutputChannel;
}

/** The dialogs, through the control host (see controlHost.ts). */
export function controlUi(): ControlUi {
  return controlHost().ui;
}

export type { PickItem } from './controlHost';

/** The workers a tree action was invoked on: the multi-selection when the clicked row is in it. */
export function workersOf(node?: TreeNode, nodes?: readonly TreeNode[]): string[] {
  const idOf = (n: TreeNode) => (n.kind === 'worker' ? n.id : n.kind === 'detail' ? n.workerId : undefined);
  // VS Code passes the selection as the second argument; it applies when the clicked row is part of it.
  const clicked = node && idOf(node);
  const list =
    nodes?.length && (!node || nodes.some((n) => n === node || idOf(n) === clicked)) ? nodes : node ? [node] : [];
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
  const problem =
    'refusal' in d ? d.refusal : d.config.mode === 'store' ? storeModeProblem(d.connection.type) : undefined;
  if (problem || 'refusal' in d) {
    const text = 'refusal' in d ? d.refusal : `Cannot restart or scale "${d.connection.name}": ${problem}`;
    deps.log.warn(`Control refused: ${text}`);
    controlUi().notify('warning', text);
    return undefined;
  }
  return d;
}

/**
 * Confirms, then carries out the requests inside a progress notification, showing
 * each as pending on its worker's row until the result (or "no supervisor answered").
 */
export async function carryOut(
  deps: ControlDeps,
  ready: Ready,
  requests: ControlRequest[],
  ctx: { currentCount?: number; unhealthy?: boolean },
): Promise<Outcome[] | undefined> {
  const conn = ready.connection;
  // Quiet and Stop Job go through Redis in either mode: they need the password too.
  const gentle = requests.some((r) => r.action === 'quiet' || r.action === 'stop-job');
  const secret = ready.config.mode === 'store' || gentle ? await deps.secrets.get(conn) : undefined;
  const requester = createRequester(
    ready.config,
    { type: conn.type, url: conn.url, secret },
    {
      cwd: commandCwd(),
      onOutput: (line, stream) => deps.log[stream === 'stderr' ? 'warn' : 'info'](`  ${line}`),
    },
  );
  if (typeof requester === 'string') {
    controlUi().notify('warning', `Cannot restart or scale "${conn.name}": ${requester}`);
    return undefined;
  }
  try {
    const fleet = deps.manager.fleet;
    const workers = new Map<string, WorkerView>();
    for (const r of requests) {
      const w = r.worker !== undefined ? fleet.get(r.worker) : undefined;
      if (w) workers.set(r.worker!, w);
    }
    const ui = controlUi();
    if (!(await ui.confirm(confirmation(requests, requester, { connection: conn.name, workers, ...ctx })))) {
      deps.log.info(`Cancelled: ${requests.map(summary).join(', ')}`);
      return undefined;
    }
    const title =
      requests.length === 1
        ? `${cap(summary(requests[0]))}…`
        : `${cap(PROGRESS[requests[0].action])} ${requests.length} workers…`;
    const outcomes = await controlHost().withProgress(title, (report, signal) =>
      sendAll(deps, requester, requests, report, signal),
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
  report: (message: string, increment?: number) => void,
  signal: AbortSignal,
): Promise<Outcome[]> {
  const fleet = deps.manager.fleet;
  let finished = 0;
  return Promise.all(
    requests.map(async (r) => {
      const label = summary(r);
      deps.log.info(`${label}: ${requester.describe(r)} (request ${r.id})`);
      if (r.worker !== undefined) fleet.setPending(r.worker, `${r.action} requested…`);
      try {
        const outcome = await requester.send(r, {
          signal,
          onAccepted: (message) => {
            deps.log.info(`${label}: accepted — ${message}`);
            if (r.worker !== undefined) fleet.setPending(r.worker, `${PROGRESS[r.action]}…`);
            if (requests.length === 1) report('accepted, waiting for the result…');
          },
        });
        deps.log[outcome.status === 'done' ? 'info' : 'warn'](`${label}: ${outcome.status} — ${outcome.message}`);
        return outcome;
      } finally {
        if (r.worker !== undefined) fleet.setPending(r.worker, undefined);
        finished++;
        if (requests.length > 1) report(`${finished} of ${requests.length} answered`, 100 / requests.length);
      }
    }),
  );
}

/** What a worker's row says while its request is carried out. */
const PROGRESS: Record<ControlRequest['action'], string> = {
  restart: 'restarting',
  scale: 'scaling',
  quiet: 'quieting',
  'stop-job': 'stopping its job',
};

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
