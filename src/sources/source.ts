import type { SourceSink } from '../core/sourceSink';

// Defined in core, where the session that implements it lives; every source names it from here.
export type { SourceSink } from '../core/sourceSink';

/**
 * One store. Knows nothing of `vscode`. Started once, stopped once; never throws
 * into its caller: failures become `setConnection({ state: 'error' })` and a retry.
 */
export interface WorkerSource {
  readonly kind: string;
  start(sink: SourceSink): void;
  /** Reads everything now (the Refresh command, and the poll). */
  refresh(): Promise<void>;
  /**
   * Starts or stops following activity (logs, events, queue depths): on while the
   * dashboard is open, so a closed dashboard holds no blocking connection on a
   * production store. Resume points are kept across an off/on. A source whose
   * activity is local and cheap (heartbeat log files) may follow it always.
   */
  followActivity(on: boolean): void;
  dispose(): Promise<void>;
}
