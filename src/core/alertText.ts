import { redactUrlsIn } from './connectionConfig';
import { HEALTH_WORD } from './describe';
import { formatDuration } from './format';
import type { Transition, TransitionKind } from './transitions';

/** Names listed in one notification before "…". */
const MAX_NAMES = 4;

/** The setting `workerLens.alerts.on` names: a missing worker is alerted like a death. */
export type AlertSetting = 'dead' | 'crashed' | 'slow' | 'recovered';
export const ALERT_SETTINGS: readonly AlertSetting[] = ['dead', 'crashed', 'slow', 'recovered'];
export const DEFAULT_ALERTS: readonly AlertSetting[] = ['dead', 'crashed'];

export function settingFor(kind: TransitionKind): AlertSetting {
  return kind === 'missing' ? 'dead' : kind;
}

const VERB: Record<TransitionKind, [one: string, many: string]> = {
  dead: ['died', 'died'],
  crashed: ['crashed', 'crashed'],
  missing: ['is missing', 'are missing'],
  slow: ['is stuck', 'are stuck'],
  recovered: ['recovered', 'recovered'],
};

/**
 * A store's text made safe for a notification: one line, short, no Markdown link
 * (VS Code renders `[text](target)` in notifications) and no password in a URL.
 */
export function plainName(name: string): string {
  const one = name.replace(/[\r\n\t]+/g, ' ').replace(/\]\(/g, '] (');
  return redactUrlsIn(one.length > 60 ? `${one.slice(0, 60)}…` : one);
}

/** Local wall-clock time, 24 h, the same on every locale (a notification is read next to a log). */
export function clockTime(at: number): string {
  const d = new Date(at);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

function names(ts: Transition[]): string {
  const list = ts.slice(0, MAX_NAMES).map((t) => plainName(t.name));
  return ts.length > MAX_NAMES ? `${list.join(', ')}, …` : list.join(', ');
}

/** "in 10 s" across the batch's first and last transition, "at 14:02:11" when they are one moment. */
function span(ts: Transition[]): string {
  const first = Math.min(...ts.map((t) => t.at));
  const last = Math.max(...ts.map((t) => t.at));
  return last - first >= 1000 ? `in ${formatDuration(last - first)}` : `at ${clockTime(first)}`;
}

/**
 * One notification's text for a batch: who, what and since when.
 *  - "gpu-1 died at 14:02:11 (was idle)"
 *  - "5 workers died in 10s: gpu-1, gpu-2, gpu-3, gpu-4, …"
 *  - "3 workers changed in 4s: 2 died (gpu-1, gpu-2), 1 recovered (api-1)"
 */
export function describeTransitions(ts: Transition[]): string {
  if (ts.length === 1) {
    const t = ts[0];
    const what = t.kind === 'recovered' ? `recovered (${HEALTH_WORD[t.to]} again)` : VERB[t.kind][0];
    return `${plainName(t.name)} ${what} at ${clockTime(t.at)} (was ${HEALTH_WORD[t.from]})`;
  }
  const byKind = new Map<TransitionKind, Transition[]>();
  for (const t of ts) byKind.set(t.kind, [...(byKind.get(t.kind) ?? []), t]);
  if (byKind.size === 1) {
    const [kind] = byKind.keys();
    return `${ts.length} workers ${VERB[kind][1]} ${span(ts)}: ${names(ts)}`;
  }
  const parts = [...byKind].map(
    ([kind, list]) => `${list.length} ${VERB[kind][list.length === 1 ? 0 : 1]} (${names(list)})`,
  );
  return `${ts.length} workers changed ${span(ts)}: ${parts.join(', ')}`;
}
