import { RESTART_WHEN } from '../../control/plan';
import { newRequest } from '../../control/request';
import type { TreeNode } from '../workerTree';
import { carryOut, controlReady, controlUi, type ControlDeps } from '../controlFlow';

/** Restart Unhealthy Workers: every dead and crashed worker, all listed in the confirmation. */
export async function restartUnhealthy(
  deps: ControlDeps,
  _node?: TreeNode,
  _nodes?: readonly TreeNode[],
): Promise<void> {
  const ready = controlReady(deps);
  if (!ready) return;
  const targets = deps.manager.fleet.workers().filter((w) => RESTART_WHEN.has(w.health));
  if (!targets.length) {
    controlUi().notify('info', 'No worker is dead or crashed.');
    return;
  }
  const requests = targets.map((w) => newRequest('restart', { worker: w.snapshot.id }, ready.config.timeoutMs));
  await carryOut(deps, ready, requests, { unhealthy: true });
}
