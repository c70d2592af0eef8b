import type { Confirmation } from '../control/plan';

export interface PickItem {
  id: string;
  label: string;
  description: string;
}

/** The dialogs of the control commands. In-VS-Code tests answer them (a modal cannot be clicked from a test). */
export interface ControlUi {
  confirm(c: Confirmation): Promise<boolean>;
  pickWorkers(items: PickItem[], title: string): Promise<string[] | undefined>;
  askCount(current: number, alive: number): Promise<number | undefined>;
  notify(level: 'info' | 'warning' | 'error', text: string): void;
}

/** One setting as VS Code sees it in each scope. */
export interface Scoped<T> {
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/**
 * Every VS Code call the restart / scale flow makes: settings with their scopes, workspace
 * trust, workspace folders, the progress notification and the dialogs. The flow reaches
 * VS Code only through this, so its tests (plain Node, `test/integration/controlFlow.test.ts`)
 * hand it a host of their own with `setControlHost` instead of patching Node's module loader.
 */
export interface ControlHost {
  isTrusted(): boolean;
  /** `workerLens.<key>`, effective value. */
  get<T>(key: string): T | undefined;
  /** `workerLens.<key>`, per scope. */
  inspect<T>(key: string): Scoped<T> | undefined;
  /** Paths of the workspace's file-system folders. */
  fileFolders(): string[];
  /** Runs the task under a cancellable progress notification. */
  withProgress<R>(
    title: string,
    task: (report: (message: string, increment?: number) => void, signal: AbortSignal) => Promise<R>,
  ): Promise<R>;
  ui: ControlUi;
}

let current: ControlHost | undefined;

export function controlHost(): ControlHost {
  return (current ??= vscodeHost());
}

/** Replaces the host, or parts of it (tests); returns a function that puts the previous one back. */
export function setControlHost(replacement: Partial<ControlHost>): () => void {
  const previous = current;
  // A complete host (tests in plain Node) needs nothing of VS Code; a partial one keeps the rest of the current host.
  current = isComplete(replacement) ? replacement : { ...controlHost(), ...replacement };
  return () => (current = previous);
}

function isComplete(h: Partial<ControlHost>): h is ControlHost {
  return !!(h.isTrusted && h.get && h.inspect && h.fileFolders && h.withProgress && h.ui);
}

/** Replaces some dialogs (the extension's API for its in-VS-Code tests); returns a restore function. */
export function setControlUi(replacement: Partial<ControlUi>): () => void {
  const host = controlHost();
  return setControlHost({ ui: { ...host.ui, ...replacement } });
}

/** The real host. `vscode` is loaded here, on first use, so this module loads in plain Node too. */
function vscodeHost(): ControlHost {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberate lazy load, see above
  const vscode = require('vscode') as typeof import('vscode');
  const cfg = () => vscode.workspace.getConfiguration('workerLens');
  const window = vscode.window;
  return {
    isTrusted: () => vscode.workspace.isTrusted,
    get: (key) => cfg().get(key),
    inspect: (key) => cfg().inspect(key),
    fileFolders: () =>
      (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath),
    withProgress: (title, task) =>
      Promise.resolve(
        window.withProgress(
          { location: vscode.ProgressLocation.Notification, title, cancellable: true },
          (progress, token) => {
            const abort = new AbortController();
            const sub = token.onCancellationRequested(() => abort.abort());
            return task((message, increment) => progress.report({ message, increment }), abort.signal).finally(() =>
              sub.dispose(),
            );
          },
        ),
      ),
    ui: {
      async confirm(c) {
        return (await window.showWarningMessage(c.message, { modal: true, detail: c.detail }, c.button)) === c.button;
      },
      async pickWorkers(items, title) {
        const picked = await window.showQuickPick(
          items.map((i) => ({ label: i.label, description: i.description, id: i.id })),
          { title, placeHolder: 'Unhealthy workers are listed first', matchOnDescription: true },
        );
        return picked ? [picked.id] : undefined;
      },
      async askCount(current, alive) {
        const v = await window.showInputBox({
          title: 'Scale Workers',
          prompt: `Now ${current} worker${current === 1 ? '' : 's'} (${alive} alive). How many should run?`,
          value: String(current),
          validateInput: (s) => (/^\d+$/.test(s.trim()) ? undefined : 'A whole number, 0 or more'),
        });
        return v === undefined ? undefined : Number(v.trim());
      },
      notify(level, text) {
        const show =
          level === 'error'
            ? window.showErrorMessage
            : level === 'warning'
              ? window.showWarningMessage
              : window.showInformationMessage;
        void show(`Worker Lens: ${text}`);
      },
    },
  };
}
