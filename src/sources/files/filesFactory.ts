import type { SourceFactory } from '../sourceFactory';
import { FilesSource } from './filesSource';

/** A folder of heartbeat files (`path`, `pattern`), with per-worker log files (`logs`). */
export const filesSourceFor: SourceFactory = (conn, _secret, settings) =>
  new FilesSource({
    path: conn.path!,
    pattern: conn.pattern,
    fields: conn.fields,
    logs: conn.logs,
    pollMs: settings.pollMs,
  });
