import { WINDOWS, type ChartName, type WindowKey } from '../shared/protocol';

/**
 * What an empty chart is waiting for, in words, instead of bare axes: a chart with nothing
 * to draw says whether nothing happened in the window or the fleet does not report it.
 */
export function chartNotes(s: {
  /** Any completion or error counted in the window. */
  finished: boolean;
  /** Whether the fleet says when tasks finish at all (counters or task events). */
  reportsCompletions: boolean;
  durationsInWindow: boolean;
  durationsEver: boolean;
  healthSampled: boolean;
}): Partial<Record<ChartName, string>> {
  const notes: Partial<Record<ChartName, string>> = {};
  if (!s.finished) {
    notes.throughput = s.reportsCompletions
      ? 'No completions in this window'
      : 'Waiting for completions: no worker reports a completed count and no task events were read';
    notes.errors = 'No finished tasks in this window';
  }
  if (!s.durationsInWindow) {
    notes.duration = s.durationsEver
      ? 'No task durations in this window'
      : 'This fleet does not report task durations (no durations in its events, no task start times)';
  }
  if (!s.healthSampled) notes.health = 'Health is sampled every 5 s: the first sample is on its way';
  return notes;
}

/**
 * The shortest chart window that holds `historyMs` of history: a fleet watched for two
 * minutes is drawn over 5 min, not as a sliver at the edge of an hour.
 */
export function fittingWindow(historyMs: number): WindowKey {
  if (historyMs <= WINDOWS['5m'].spanMs) return '5m';
  if (historyMs <= WINDOWS['1h'].spanMs) return '1h';
  return '6h';
}
