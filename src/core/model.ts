/**
 * The normalised worker model every source produces and every view reads.
 * Sources translate their store's layout into this shape; nothing downstream
 * knows whether a worker came from Redis, Supabase or a heartbeat file.
 */
import { HEALTH_NAMES, type HealthName } from '../shared/protocol';

/** Derived health, never stored: see `classify` in health.ts. Named once, in the protocol. */
export type Health = HealthName;

/** Worst first. */
export const ALL_HEALTH: readonly Health[] = HEALTH_NAMES;

/** States that need a human: counted in the view badge and listed in the status-bar tooltip. */
export const UNHEALTHY: ReadonlySet<Health> = new Set(['dead', 'crashed', 'missing', 'unresponsive', 'slow']);

export { ALIVE, FAILING } from '../shared/protocol';

export interface TaskInfo {
  id?: string;
  title?: string;
  type?: string;
  repository?: string;
  /** Epoch milliseconds. */
  startedAt?: number;
}

/** The worker frameworks read from Redis (src/sources/redis/frameworks/). */
export type FrameworkName = 'rq' | 'sidekiq' | 'celery' | 'bullmq';

/** One worker as last read from its store. Times are epoch milliseconds. */
export interface WorkerSnapshot {
  id: string;
  /** Display name; defaults to the id. */
  name: string;
  /** The status string exactly as the worker reported it (lower-cased). */
  status?: string;
  lastHeartbeat?: number;
  task?: TaskInfo;
  completed?: number;
  errors?: number;
  specialization?: string;
  /**
   * Set when the worker is one of a framework's (RQ, Sidekiq, Celery, BullMQ): for grouping by
   * framework and for the controls only that framework has (Quiet, Stop Job).
   */
  framework?: FrameworkName;
  pid?: number;
  host?: string;
  uptimeSeconds?: number;
  memoryBytes?: number;
  /**
   * The code the worker runs, as it reported it (`version`, `git_sha` or `commit`): shown, compared across the fleet.
   */
  version?: string;
  /**
   * A placeholder for a worker the connection expects (`expectedWorkers`) that has no
   * record in the store: its health is `missing`. Never set by a source.
   */
  missing?: true;
  /**
   * The store itself says the worker is gone (its named connection closed, or its record
   * expired while it is still listed): dead, for this reason, whatever its last heartbeat.
   */
  gone?: string;
  /**
   * The framework's own promise for the worker's current state (an idle RQ worker beats
   * every ~405 s, a busy one every 30 s): when it is late and when dead, and why. Replaces
   * the configured thresholds for this worker; learned cadence still only widens them.
   */
  liveness?: Liveness;
  /**
   * What could not be read from the record, in words for the tooltip.
   * A non-empty list makes the worker `unknown`: we never guess around bad data.
   */
  problems: string[];
}

export interface Liveness {
  unresponsiveAfterMs: number;
  deadAfterMs: number;
  /** The rule in words, for the tooltip ("RQ: an idle worker beats every 405 s"). */
  rule: string;
}

export interface HealthThresholds {
  unresponsiveAfterSeconds: number;
  deadAfterSeconds: number;
  slowTaskAfterMinutes: number;
  /** Learn each worker's heartbeat cadence and never call it late before k × that cadence. */
  adaptive: boolean;
}

export const DEFAULT_THRESHOLDS: HealthThresholds = {
  unresponsiveAfterSeconds: 15,
  deadAfterSeconds: 30,
  slowTaskAfterMinutes: 15,
  adaptive: true,
};

/** A worker together with its derived health, as views see it. */
export interface WorkerView {
  snapshot: WorkerSnapshot;
  health: Health;
  /** Why it has this health, in words (for the tooltip). */
  reason: string;
  /** True while the store is unreachable: this is last-known data. */
  stale: boolean;
  /**
   * While stale: when the store was last read successfully. Health is judged as of
   * then (the observer's blindness is not the worker's death); ages use the real clock.
   */
  blindSince?: number;
  /** A request (restart, …) in flight for this worker, shown in its description. */
  pending?: string;
}
