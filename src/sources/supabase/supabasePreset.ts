import type { HealthThresholds } from '../../core/model';
import type { FieldMap } from '../../core/record';

/**
 * The supabase-heartbeat preset: seed 003's `hp_worker_status` table. Workers upsert
 * their row every 30 s (worker_name, status, last_heartbeat, process metadata); the
 * seed's dashboard calls a worker "Stopped" after 5 minutes without a heartbeat and
 * honours status "crashed" (its circuit breaker writes it after 10 errors).
 */
export const SUPABASE_HEARTBEAT_TABLE = 'hp_worker_status';

export const SUPABASE_HEARTBEAT_COLUMNS: FieldMap = {
  name: 'worker_name',
  status: 'status',
  lastHeartbeat: 'last_heartbeat',
  pid: 'pid',
  uptime: 'uptime',
  memory: 'memory',
  completed: 'jobs_processed',
  errors: 'errors',
};

/** The id column: one row per worker. */
export const SUPABASE_HEARTBEAT_ID = 'worker_name';

/**
 * Thresholds for a 30 s heartbeat: late after three missed beats, and dead (the seed's
 * "Stopped") after 5 minutes. A connection's own `thresholds` still override these.
 */
export const SUPABASE_HEARTBEAT_THRESHOLDS: Partial<HealthThresholds> = {
  unresponsiveAfterSeconds: 90,
  deadAfterSeconds: 300,
};
