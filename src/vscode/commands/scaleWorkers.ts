import { countProblem, newRequest } from '../../control/request';
import type { TreeNode } from '../workerTree';
import { carryOut, controlReady, controlUi, type ControlDeps } from '../controlFlow';

/** Scale Workers…: asks for the target count, showing the current one. */
export async function scaleWorkers(deps: ControlDeps, _node?: TreeNode, _nodes?: readonly TreeNode[]): Promise<void> {
  const ready = controlReady(deps);
  if (!ready) return;
  const counts = deps.manager.fleet.counts();
  const count = await controlUi().askCount(counts.total, counts.alive);
  if (count === undefined) return;
  const problem = countProblem(count);
  if (problem) {
    controlUi().notify('warning', `Cannot scale: ${problem}.`);
    return;
  }
  await carryOut(deps, ready, [newRequest('scale', { count }, ready.config.timeoutMs)], { currentCount: counts.total });
}
