import type { ControlDeps } from '../controlFlow';
import type { TreeNode } from '../workerTree';
import { gentleControl } from './gentleControl';

/** Quiet Worker (Sidekiq): stops fetching new jobs, finishes the running ones, stays up. */
export function quietWorker(deps: ControlDeps, node?: TreeNode, nodes?: readonly TreeNode[]): Promise<void> {
  return gentleControl(deps, 'quiet', node, nodes);
}
