import { FAILING, type TransitionRow } from '../src/shared/protocol';

/** Rows shown; the host keeps a few hundred, the newest are the ones worth reading here. */
const SHOWN = 50;

function time(at: number): string {
  const d = new Date(at);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/**
 * The Transitions section: who went from what to what, and when, newest first. Store text
 * (worker names) goes in through textContent only.
 */
export function renderTimeline(rows: TransitionRow[]): void {
  const list = document.getElementById('timeline-rows');
  const count = document.getElementById('timeline-count');
  if (!list || !count) return;
  count.textContent = rows.length ? `${rows.length} since connecting` : 'None since connecting';
  const items = rows
    .slice(-SHOWN)
    .reverse()
    .map((r) => {
      const li = document.createElement('li');
      li.className = FAILING.has(r.to) || r.to === 'missing' ? 'down' : r.to === 'slow' ? 'warn' : 'up';
      const when = document.createElement('time');
      when.dateTime = new Date(r.at).toISOString();
      when.textContent = time(r.at);
      const who = document.createElement('strong');
      who.textContent = r.name;
      const what = document.createElement('span');
      what.textContent = `${r.from} → ${r.to}`;
      li.append(when, who, what);
      return li;
    });
  list.replaceChildren(...items);
}
