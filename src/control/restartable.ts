import { displayText } from '../core/checked';
import type { WorkerView } from '../core/model';

/**
 * Why Restart cannot act on this worker, in words; undefined when it can. A missing worker
 * (expected by the connection, no record in the store) has no process anywhere to restart:
 * a restart request would wait for a supervisor that knows nothing of it.
 */
export function whyNotRestartable(w: WorkerView | undefined): string | undefined {
  if (!w?.snapshot.missing) return undefined;
  return `"${displayText(w.snapshot.name, 200)}" is missing: the store has no record of it (it is only expected, by the connection's "expectedWorkers"), so there is no process to restart. Start it where it runs; it is matched as soon as it writes a heartbeat.`;
}
