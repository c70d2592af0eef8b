import { displayText } from '../../core/checked';
import { unhealthyFirst } from '../../control/plan';
import { newRequest } from '../../control/request';
import { HEALTH_WORD } from '../../core/describe';
import type { TreeNode } from '../workerTree';
import { carryOut, controlReady, controlUi, workersOf, type ControlDeps } from '../controlFlow';

/**
 * Restart Worker: inline on a worker row, on a multi-selection (every selected worker),
 * or from the palette with a pick of workers, the unhealthy first.
 */
export async function restartWorker(deps: ControlDeps, node?: TreeNode, nodes?: readonly TreeNode[]): Promise<void> {
  const ready = controlReady(deps);
  if (!ready) return;
  let ids = workersOf(node, nodes);
  if (!ids.length) {
    const workers = unhealthyFirst(deps.manager.fleet.workers());
    if (!workers.length) {
      controlUi().notify('info', 'There are no workers to restart.');
      return;
    }
    const picked = await controlUi().pickWorkers(
      workers.map((w) => ({
        id: w.snapshot.id,
        label: displayText(w.snapshot.name),
        description: `${HEALTH_WORD[w.health]}${w.snapshot.name !== w.snapshot.id ? ` · ${displayText(w.snapshot.id)}` : ''}`,
      })),
      `Restart which worker on "${ready.connection.name}"?`,
    );
    if (!picked?.length) return;
    ids = picked;
  }
  const requests = ids.map((worker) => newRequest('restart', { worker }, ready.config.timeoutMs));
  await carryOut(deps, ready, requests, {});
}
