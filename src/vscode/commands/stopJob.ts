import type { ControlDeps } from '../controlFlow';
import type { TreeNode } from '../workerTree';
import { gentleControl } from './gentleControl';

/** Stop Job (RQ, Celery): ends the job the worker runs now; the worker stays up and takes the next. */
export function stopJob(deps: ControlDeps, node?: TreeNode, nodes?: readonly TreeNode[]): Promise<void> {
  return gentleControl(deps, 'stop-job', node, nodes);
}
