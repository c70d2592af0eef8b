import { displayText } from '../../core/checked';
import { unhealthyFirst } from '../../control/plan';
import { newRequest } from '../../control/request';
import { whyNotRestartable } from '../../control/restartable';
import { HEALTH_WORD } from '../../core/describe';
import type { TreeNode } from '../workerTree';
import { carryOut, controlReady, controlUi, workersOf, type ControlDeps } from '../controlFlow';

/**
 * Restart Worker: inline on a worker row, on a multi-selection (every selected worker),
 * or from the palette with a pick of workers, the unhealthy first. A worker that cannot be
 * restarted (missing: no record, no process) is left out and the reason said in words.
 */
export async function restartWorker(deps: ControlDeps, node?: TreeNode, nodes?: readonly TreeNode[]): Promise<void> {
  const ready = controlReady(deps);
  if (!ready) return;
  const fleet = deps.manager.fleet;
  let ids = workersOf(node, nodes);
  if (ids.length) {
    const refused = ids.map((id) => whyNotRestartable(fleet.get(id))).filter((why) => why !== undefined);
    if (refused.length) {
      ids = ids.filter((id) => !whyNotRestartable(fleet.get(id)));
      // Said first; the workers that can be restarted still go through the confirmation.
      const more = refused.length > 1 ? ` (and ${refused.length - 1} more missing)` : '';
      controlUi().notify('info', `${ids.length ? 'Left out of the restart: ' : ''}${refused[0]}${more}`);
      deps.log.info(`Restart: left out: ${refused.join(' ')}`);
      if (!ids.length) return;
    }
  } else {
    const workers = unhealthyFirst(fleet.workers().filter((w) => !whyNotRestartable(w)));
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
