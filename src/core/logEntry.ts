/** One log line from any source (Redis stream entry, log table row, log file line). */
export interface LogEntry {
  /** Epoch milliseconds. */
  ts: number;
  worker?: string;
  level: LogLevel;
  message: string;
  /** Where it came from: a stream name, a table, a file path. */
  source: string;
  /** The store's own id (a stream id, a row id, a file offset) to resume and de-duplicate by. */
  id?: string;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Maps the many spellings of levels in the wild to ours. */
export function normaliseLevel(raw: unknown): LogLevel {
  const s = typeof raw === 'string' ? raw.toLowerCase() : '';
  if (/^(err|error|fatal|crit|critical|exception|failed)/.test(s)) return 'error';
  if (/^warn/.test(s)) return 'warn';
  if (/^(debug|trace|verbose)/.test(s)) return 'debug';
  return 'info';
}
