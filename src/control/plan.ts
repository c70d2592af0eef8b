import { displayText } from '../core/checked';
import { ALL_HEALTH, FAILING, type Health, type WorkerView } from '../core/model';
import type { ControlRequest, ControlRequester } from './request';

/** "Restart Unhealthy Workers" restarts these: the ones that are not coming back on their own. */
export const RESTART_WHEN: ReadonlySet<Health> = FAILING;

/** Problems first (dead, crashed, unresponsive, slow, …), then by name: what a user most likely wants to restart. */
export function unhealthyFirst(workers: readonly WorkerView[]): WorkerView[] {
  const rank = (h: Health) => ALL_HEALTH.indexOf(h);
  return [...workers].sort((a, b) => rank(a.health) - rank(b.health) || a.snapshot.name.localeCompare(b.snapshot.name));
}

export interface Confirmation {
  message: string;
  detail: string;
  /** The button that goes ahead: "Restart", "Scale". */
  button: string;
}

/** The confirmation's verb and button for each action on workers. */
const VERB: Record<ControlRequest['action'], string> = {
  restart: 'Restart',
  scale: 'Scale',
  quiet: 'Quiet',
  'stop-job': 'Stop the job of',
};

/** Lines listed in a confirmation before "and N more". */
const MAX_LISTED = 15;

/**
 * The modal's text: names what will happen, exactly. In command mode every argv is
 * listed as it will run; in store mode, where the request goes.
 */
export function confirmation(
  requests: readonly ControlRequest[],
  requester: ControlRequester,
  ctx: { connection: string; workers?: ReadonlyMap<string, WorkerView>; currentCount?: number; unhealthy?: boolean },
): Confirmation {
  const first = requests[0];
  if (first.action === 'scale') {
    const from = ctx.currentCount !== undefined ? ` from ${ctx.currentCount}` : '';
    return {
      message: `Scale the workers of "${ctx.connection}"${from} to ${first.count}?`,
      detail: `Worker Lens will ${requester.describe(first)}.`,
      button: 'Scale',
    };
  }
  const n = requests.length;
  // Worker ids come from the store: a U+202E in one must not make the modal name another worker.
  // A framework worker's id is cryptic (sidekiq:host:pid:suffix): the name it was started with comes first.
  const name = first.worker !== undefined ? ctx.workers?.get(first.worker)?.snapshot.name : undefined;
  const named =
    name && name !== first.worker
      ? `"${displayText(name, 200)}" (${displayText(first.worker ?? '', 200)})`
      : `"${displayText(first.worker ?? '', 200)}"`;
  const what = n === 1 ? `worker ${named}` : `${n} ${ctx.unhealthy ? 'unhealthy ' : ''}workers`;
  const lines = requests.slice(0, MAX_LISTED).map((r) => {
    const w = r.worker !== undefined ? ctx.workers?.get(r.worker) : undefined;
    const state = w ? ` (${w.health})` : '';
    return displayText(
      n === 1 ? `Worker Lens will ${requester.describe(r)}.` : `• ${r.worker}${state}: ${requester.describe(r)}`,
      1000,
    );
  });
  if (n > MAX_LISTED) lines.push(`… and ${n - MAX_LISTED} more`);
  const verb = VERB[first.action];
  const button = first.action === 'stop-job' ? 'Stop Job' : verb;
  return {
    message: `${verb} ${what} on "${ctx.connection}"?`,
    detail: lines.join('\n'),
    button: n === 1 ? button : `${button} ${n}`,
  };
}

/** One sentence for the notification after all requests finished. */
export function outcomeSummary(
  results: readonly { request: ControlRequest; outcome: { status: string; message: string } }[],
): { level: 'info' | 'warning' | 'error'; text: string } {
  const label = (r: ControlRequest) =>
    r.action === 'scale' ? `Scale to ${r.count}` : `${VERB[r.action]} ${displayText(r.worker ?? '', 200)}`;
  const bad = results.filter((r) => r.outcome.status !== 'done');
  if (results.length === 1) {
    const { request, outcome } = results[0];
    const verb = outcome.status === 'done' ? 'done' : outcome.status === 'timeout' ? 'no answer' : outcome.status;
    return {
      level: outcome.status === 'done' ? 'info' : outcome.status === 'failed' ? 'error' : 'warning',
      text: `${label(request)}: ${verb} — ${outcome.message}`,
    };
  }
  if (!bad.length) return { level: 'info', text: `All ${results.length} requests done.` };
  const listed = bad
    .slice(0, 5)
    .map((b) => `${label(b.request)}: ${b.outcome.message}`)
    .join('; ');
  const more = bad.length > 5 ? ` (and ${bad.length - 5} more)` : '';
  const level = bad.some((b) => b.outcome.status === 'failed') ? 'error' : 'warning';
  return { level, text: `${results.length - bad.length} of ${results.length} done. ${listed}${more}` };
}
