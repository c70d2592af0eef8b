import { plainRecord } from '../core/checked';
import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';

/**
 * Restart / scale requests as they travel between the editor and the workers' side.
 * No `vscode` import: the supervisor (companion) and the tests share this file.
 */

/**
 * `quiet` and `stop-job` are a framework's own gentler controls (frameworkControls.ts): sent through
 * Redis by the FrameworkRequester only, never as a store record or an argv.
 */
export type ControlAction = 'restart' | 'scale' | 'quiet' | 'stop-job';

/** One request. On Redis it is one `workerlens:commands` entry with these as flat fields. */
export interface ControlRequest {
  /** A UUID; the supervisor is idempotent by it. */
  id: string;
  action: ControlAction;
  /** restart, quiet, stop-job: the worker id as the store knows it. */
  worker?: string;
  /** stop-job: the id of the job to stop (the worker's current job when asked). */
  job?: string;
  /** scale: the wanted number of workers. */
  count?: number;
  /** `user@host`, for the supervisor's log and the result's audit trail. */
  requestedBy: string;
  /** ISO time on the requester's clock (informational; expiry uses the store's clock). */
  requestedAt: string;
  /**
   * How long the requester waits. A supervisor that first sees the request later than
   * this (by the store's clock) refuses it as expired: the user was already told
   * "no supervisor answered", and a restart an hour late would surprise them.
   */
  timeoutMs?: number;
}

export type ResultStatus = 'accepted' | 'done' | 'failed';

/** One entry of `workerlens:command-results`. */
export interface ControlResult {
  id: string;
  status: ResultStatus;
  message: string;
  /** Which supervisor wrote it. */
  supervisor?: string;
}

/** What the user is finally told about one request. */
export interface Outcome {
  status: 'done' | 'failed' | 'timeout' | 'cancelled';
  message: string;
}

export interface SendOptions {
  /** A supervisor took the request (store mode) or the program started (command mode). */
  onAccepted?: (message: string) => void;
  /** Stops waiting (the request itself may still be carried out). */
  signal?: AbortSignal;
}

/**
 * Carries out requests one way or another: a record in a store for a supervisor
 * (Redis today; a Supabase `worker_commands` table can implement this too), or a
 * configured argv run locally. Never throws for an expected failure: it resolves an Outcome.
 */
export interface ControlRequester {
  /** In words, for the confirmation: "add a restart request to workerlens:commands for a supervisor". */
  describe(request: ControlRequest): string;
  send(request: ControlRequest, opts?: SendOptions): Promise<Outcome>;
  dispose(): Promise<void>;
}

export const MAX_WORKER_ID_LENGTH = 256;
export const MAX_SCALE_COUNT = 1000;
export const NO_SUPERVISOR = 'no supervisor answered';

export function requester(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): the host still says where it came from.
  }
  return `${user}@${hostname()}`;
}

export function newRequest(
  action: ControlAction,
  target: { worker?: string; count?: number; job?: string },
  timeoutMs?: number,
): ControlRequest {
  const r: ControlRequest = {
    id: randomUUID(),
    action,
    ...target,
    requestedBy: requester(),
    requestedAt: new Date().toISOString(),
  };
  if (timeoutMs !== undefined) r.timeoutMs = timeoutMs;
  return r;
}

/** Why a worker id cannot be sent, or undefined. Any characters are fine: they travel as one literal argument. */
export function workerIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string' || id.length === 0) return 'a worker id is needed';
  if (id.length > MAX_WORKER_ID_LENGTH) return `the worker id is longer than ${MAX_WORKER_ID_LENGTH} characters`;
  if (id.includes('\0')) return 'the worker id contains a NUL character';
  return undefined;
}

export function countProblem(n: unknown, max = MAX_SCALE_COUNT): string | undefined {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return 'the count should be a whole number, 0 or more';
  if (n > max) return `the count should be at most ${max}`;
  return undefined;
}

/** The flat field list for XADD (`id … action … worker … count … requested_by … requested_at …`). */
export function toFields(r: ControlRequest): string[] {
  const f = ['id', r.id, 'action', r.action];
  if (r.worker !== undefined) f.push('worker', r.worker);
  if (r.count !== undefined) f.push('count', String(r.count));
  f.push('requested_by', r.requestedBy, 'requested_at', r.requestedAt);
  if (r.timeoutMs !== undefined) f.push('timeout_ms', String(r.timeoutMs));
  return f;
}

export function fieldMap(fields: string[]): Record<string, string> {
  // No prototype: an entry with a `__proto__` or `toString` field is plain data, not a member.
  const m = plainRecord([]) as Record<string, string>;
  for (let i = 0; i + 1 < fields.length; i += 2) m[fields[i]] = fields[i + 1];
  return m;
}

/** Reads a stream entry back; anything malformed comes back as words (the supervisor answers `failed` with them). */
export function fromFields(fields: string[]): { request?: ControlRequest; error?: string; id?: string } {
  const m = fieldMap(fields);
  const id = m.id;
  if (!id || id.length > 128) return { error: 'the request has no id' };
  if (m.action !== 'restart' && m.action !== 'scale')
    return { id, error: `unknown action "${String(m.action ?? '')}"` };
  const r: ControlRequest = {
    id,
    action: m.action,
    requestedBy: m.requested_by ?? 'unknown',
    requestedAt: m.requested_at ?? '',
  };
  if (m.timeout_ms !== undefined && /^\d+$/.test(m.timeout_ms)) r.timeoutMs = Number(m.timeout_ms);
  if (m.action === 'restart') {
    const p = workerIdProblem(m.worker);
    if (p) return { id, error: p };
    r.worker = m.worker;
  } else {
    const n = /^\d+$/.test(m.count ?? '') ? Number(m.count) : NaN;
    const p = countProblem(Number.isNaN(n) ? undefined : n);
    if (p) return { id, error: p };
    r.count = n;
  }
  return { request: r, id };
}

export function resultFields(r: ControlResult): string[] {
  const f = ['id', r.id, 'status', r.status, 'message', r.message];
  if (r.supervisor) f.push('supervisor', r.supervisor);
  return f;
}

export function resultFromFields(fields: string[]): ControlResult | undefined {
  const m = fieldMap(fields);
  if (!m.id || (m.status !== 'accepted' && m.status !== 'done' && m.status !== 'failed')) return undefined;
  return { id: m.id, status: m.status, message: m.message ?? '', supervisor: m.supervisor };
}

/** "restart worker-3" / "scale to 5", for messages and progress. */
export function summary(r: Pick<ControlRequest, 'action' | 'worker' | 'count' | 'job'>): string {
  if (r.action === 'scale') return `scale to ${r.count ?? '?'}`;
  if (r.action === 'stop-job') return `stop job ${r.job ?? '?'} on ${r.worker ?? '?'}`;
  return `${r.action} ${r.worker ?? '?'}`;
}

/** "30 s", or "300 ms" for waits under a second (tests, impatient settings). */
export function formatWait(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Math.round(ms / 1000)} s`;
}
