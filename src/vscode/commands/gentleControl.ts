import { displayText } from '../../core/checked';
import { HEALTH_WORD } from '../../core/describe';
import { GENTLE_TITLE, gentleRefusal, type GentleAction } from '../../control/frameworkControls';
import { newRequest } from '../../control/request';
import type { TreeNode } from '../workerTree';
import { carryOut, controlReady, controlUi, workersOf, type ControlDeps } from '../controlFlow';

/**
 * Quiet or Stop Job on the clicked worker (or each selected one), or a pick of the workers that
 * can take it when run from the palette. A worker whose framework has no such control is told
 * why in words (BullMQ: none per worker, use command mode); nothing is sent to it.
 */
export async function gentleControl(
  deps: ControlDeps,
  action: GentleAction,
  node?: TreeNode,
  nodes?: readonly TreeNode[],
): Promise<void> {
  const ready = controlReady(deps);
  if (!ready) return;
  const fleet = deps.manager.fleet;
  const title = GENTLE_TITLE[action];
  let ids = workersOf(node, nodes);
  if (!ids.length) {
    const able = fleet.workers().filter((w) => !gentleRefusal(action, w.snapshot));
    if (!able.length) {
      const why =
        action === 'quiet'
          ? 'Quiet is for running Sidekiq workers'
          : 'Stop Job is for RQ and Celery workers running a job';
      controlUi().notify('info', `No worker here can take ${title}: ${why}.`);
      return;
    }
    const picked = await controlUi().pickWorkers(
      able.map((w) => ({
        id: w.snapshot.id,
        label: displayText(w.snapshot.name),
        description: `${HEALTH_WORD[w.health]}${w.snapshot.task?.title ? ` · ${displayText(w.snapshot.task.title)}` : ''}`,
      })),
      `${title}: which worker on "${ready.connection.name}"?`,
    );
    if (!picked?.length) return;
    ids = picked;
  }
  const refusals: string[] = [];
  const requests = ids.flatMap((id) => {
    const s = fleet.get(id)?.snapshot;
    const why = gentleRefusal(action, s, `"${displayText(s?.name ?? id, 200)}"`);
    if (why) {
      refusals.push(why);
      return [];
    }
    return [newRequest(action, { worker: id, job: s?.task?.id }, ready.config.timeoutMs)];
  });
  if (refusals.length) {
    const text = `${title} cannot be used: ${[...new Set(refusals)].join('; ')}`;
    deps.log.warn(text);
    controlUi().notify('warning', text);
  }
  if (requests.length) await carryOut(deps, ready, requests, {});
}
