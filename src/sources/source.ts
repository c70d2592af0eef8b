import type { ConnectionState } from '../core/fleet';
import type { WorkerSnapshot } from '../core/model';

/**
 * Where a source delivers what it read. The Fleet implements the first two;
 * the log is the extension's output channel (never given secrets).
 */
export interface SourceSink {
  /** A full read: every worker the store knows. */
  replaceAll(workers: WorkerSnapshot[]): void;
  /** A partial read (push path): only these workers changed or disappeared. */
  update(workers: WorkerSnapshot[], removedIds?: string[]): void;
  setConnection(state: ConnectionState): void;
  log(level: 'info' | 'warn' | 'error' | 'debug', message: string): void;
}

/**
 * One store. Knows nothing of `vscode`. Started once, stopped once; never throws
 * into its caller: failures become `setConnection({ state: 'error' })` and a retry.
 */
export interface WorkerSource {
  readonly kind: string;
  start(sink: SourceSink): void;
  /** Reads everything now (the Refresh command, and the poll). */
  refresh(): Promise<void>;
  dispose(): Promise<void>;
}
