import type { HostMessage } from '../../shared/protocol';

/** Kinds a fresh snapshot already carries: pending ones of these are dropped, not replayed. */
const IN_SNAPSHOT: ReadonlySet<HostMessage['type']> = new Set([
  'dashboard/snapshot',
  'metrics/didChange',
  'workers/didChange',
  'logs/didAppend',
  'logs/didReset',
  'connection/didChange',
  'timeline/didChange',
]);

/**
 * Delivery to a webview that is not kept alive while hidden (no retainContextWhenHidden):
 * messages posted to a hidden webview are lost, so while it is hidden or still loading
 * only the latest notification of each kind is kept (GitLens' webviewController does
 * the same). When the page (re)loads and says it is ready it gets one snapshot, then
 * whatever the snapshot does not cover (a focus request, a notice). No `vscode` here.
 */
export class WebviewChannel {
  private live = false;
  private readonly pending = new Map<HostMessage['type'], HostMessage>();

  constructor(private readonly post: (m: HostMessage) => unknown) {}

  /** True while the page is loaded, visible and has said it is ready. */
  get isLive(): boolean {
    return this.live;
  }

  notify(m: HostMessage): void {
    if (this.live) this.post(m);
    else this.pending.set(m.type, m);
  }

  /** The page loaded (first open, shown again, moved): snapshot first, then the rest. */
  ready(snapshot: HostMessage & { type: 'dashboard/snapshot' }): void {
    this.live = true;
    this.post(snapshot);
    for (const [type, m] of this.pending) if (!IN_SNAPSHOT.has(type)) this.post(m);
    this.pending.clear();
  }

  /** Hidden or disposed: the page is gone until it says ready again. */
  hidden(): void {
    this.live = false;
  }

  /** Kinds waiting for the page (tests, diagnostics). */
  pendingTypes(): HostMessage['type'][] {
    return [...this.pending.keys()];
  }
}
