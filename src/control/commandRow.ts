import { countProblem, workerIdProblem, type ControlRequest, type ResultStatus } from './request';

/**
 * Restart / scale requests as rows of a Supabase `worker_commands` table (see
 * sql/supabase-setup.sql). Shared by the editor's requester and the supervisor.
 *
 * A row's status moves pending → accepted → done | failed (supervisor), or
 * pending → expired (the editor, when nobody claimed it in time). Each move is a
 * compare-and-set on the old status, so two supervisors never both claim a row and a
 * supervisor never claims one the editor already gave up on.
 */
export const DEFAULT_COMMANDS_TABLE = 'worker_commands';

export type RowStatus = 'pending' | ResultStatus | 'expired';

export interface CommandRow {
  id: string;
  action: string;
  worker?: string | null;
  count?: number | null;
  requested_by: string;
  requested_at?: string;
  timeout_ms?: number | null;
  status: RowStatus;
  message?: string | null;
  supervisor?: string | null;
  updated_at?: string;
}

export function toRow(r: ControlRequest): CommandRow {
  return {
    id: r.id,
    action: r.action,
    worker: r.worker ?? null,
    count: r.count ?? null,
    requested_by: r.requestedBy,
    timeout_ms: r.timeoutMs ?? null,
    status: 'pending',
  };
}

/** A row read back; anything malformed comes back as words (the supervisor fails the row with them). */
export function fromRow(row: Partial<CommandRow>): { request?: ControlRequest; error?: string } {
  if (typeof row.id !== 'string' || !row.id) return { error: 'the request has no id' };
  if (row.action !== 'restart' && row.action !== 'scale')
    return { error: `unknown action "${String(row.action ?? '')}"` };
  const r: ControlRequest = {
    id: row.id,
    action: row.action,
    requestedBy: String(row.requested_by ?? 'unknown'),
    requestedAt: String(row.requested_at ?? ''),
  };
  if (typeof row.timeout_ms === 'number') r.timeoutMs = row.timeout_ms;
  if (row.action === 'restart') {
    const p = workerIdProblem(row.worker);
    if (p) return { error: p };
    r.worker = row.worker!;
  } else {
    const p = countProblem(row.count);
    if (p) return { error: p };
    r.count = row.count!;
  }
  return { request: r };
}
