import { gentleControlTokens } from '../control/frameworkControls';
import { whyNotRestartable } from '../control/restartable';
import type { WorkerView } from '../core/model';

/**
 * A worker row's `contextValue`: tokens matched by the menus in package.json
 * (`viewItem =~ /;restartable;/` shows Restart only where it can work). Pure, so it is
 * unit-tested without VS Code.
 *
 * @param canRestart whether the active connection can carry out a restart at all.
 */
export function workerContextValue(w: WorkerView, canRestart: boolean): string {
  const restartable = canRestart && !whyNotRestartable(w);
  // Quiet / Stop Job ride on the same permission as Restart: they change a worker too.
  return `worker;${w.health};${restartable ? `restartable;${gentleControlTokens(w.snapshot)}` : ''}`;
}
