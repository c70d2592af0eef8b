import * as vscode from 'vscode';
import { describeTransitions, settingFor } from '../core/alertText';
import type { LiveSession } from '../core/liveSession';
import { FAILING } from '../core/model';
import type { Transition, TransitionBatch } from '../core/transitions';
import { Commands } from './commands/commandIds';
import * as settings from './settings';

const SHOW = 'Show in Workers';
const RESTART = 'Restart Worker';
const RESTART_MANY = 'Restart Workers';
const MUTE = 'Mute 1 h';
const MUTE_MS = 60 * 60_000;

/** One notification as it was shown (for tests and the API): its text, its buttons, whom it names. */
export interface ShownAlert {
  text: string;
  actions: string[];
  workers: string[];
  severity: 'error' | 'warning' | 'info';
}

export interface AlertDeps {
  session: LiveSession;
  /** Whether the active connection can carry out a restart (the button is offered only then). */
  canRestart: () => boolean;
  /** Selects a worker's row in the Workers view. */
  reveal: (id: string) => Promise<void>;
  log: vscode.LogOutputChannel;
}

/**
 * Transition alerts: the session confirms and groups transitions (core); this says them as
 * one VS Code notification per batch, filtered by `workerLens.alerts.on` and by workers the
 * user muted, with Show in Workers, Restart (through the Restart Worker command, so its
 * confirmation, read-only mode and workspace trust apply) and Mute.
 */
export class AlertNotifier implements vscode.Disposable {
  /** Every notification shown, newest last (bounded). */
  readonly shown: ShownAlert[] = [];
  private readonly emitter = new vscode.EventEmitter<ShownAlert>();
  readonly onDidShow = this.emitter.event;
  /** Worker id → muted until (epoch ms). */
  private readonly muted = new Map<string, number>();
  private readonly unsubscribe: () => void;

  constructor(private readonly deps: AlertDeps) {
    this.unsubscribe = deps.session.transitions.onBatch((b) => this.onBatch(b));
  }

  /** Silences one worker's alerts for an hour (its transitions still go to the timeline). */
  mute(ids: string[], until = Date.now() + MUTE_MS): void {
    for (const id of ids) this.muted.set(id, until);
  }

  private isMuted(id: string, now: number): boolean {
    const until = this.muted.get(id);
    if (until === undefined) return false;
    if (until > now) return true;
    this.muted.delete(id);
    return false;
  }

  private onBatch(batch: TransitionBatch): void {
    const on = settings.alertsOn();
    const now = Date.now();
    const kept = batch.transitions.filter((t) => on.has(settingFor(t.kind)) && !this.isMuted(t.id, now));
    if (!kept.length) return;
    const text = describeTransitions(kept);
    const down = kept.filter((t) => FAILING.has(t.to));
    const actions = [SHOW];
    if (down.length && this.deps.canRestart()) actions.push(down.length === 1 ? RESTART : RESTART_MANY);
    actions.push(MUTE);
    const severity = down.length ? 'error' : kept.some((t) => t.kind !== 'recovered') ? 'warning' : 'info';
    const alert: ShownAlert = { text, actions, workers: kept.map((t) => t.id), severity };
    this.shown.push(alert);
    if (this.shown.length > 100) this.shown.shift();
    this.deps.log.info(`Alert: ${text}`);
    this.emitter.fire(alert);
    const message = `Worker Lens: ${text}`;
    const shown =
      severity === 'error'
        ? vscode.window.showErrorMessage(message, ...actions)
        : severity === 'warning'
          ? vscode.window.showWarningMessage(message, ...actions)
          : vscode.window.showInformationMessage(message, ...actions);
    void Promise.resolve(shown).then(
      (choice) => this.act(choice, kept, down),
      () => undefined,
    );
  }

  private async act(choice: string | undefined, kept: Transition[], down: Transition[]): Promise<void> {
    try {
      if (choice === SHOW) await this.deps.reveal(kept[0].id);
      else if (choice === RESTART || choice === RESTART_MANY) {
        const nodes = down.map((t) => ({ kind: 'worker' as const, id: t.id }));
        await vscode.commands.executeCommand(Commands.restartWorker, nodes[0], nodes);
      } else if (choice === MUTE) this.mute(kept.map((t) => t.id));
    } catch (err) {
      // A worker gone since the notification, a view not open: said in the log, never thrown.
      this.deps.log.warn(`Alert action "${choice}" failed: ${String(err)}`);
    }
  }

  dispose(): void {
    this.unsubscribe();
    this.emitter.dispose();
  }
}
