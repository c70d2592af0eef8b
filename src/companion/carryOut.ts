import { displayArgv, expandArgv } from '../control/argv';
import { runArgv } from '../control/commandRunner';
import type { ControlRequest } from '../control/request';
import { runLeashed, type Lease } from './leash';
import type { WorkerPool } from './supervisorPool';

/** The options every supervisor takes, whichever store its requests come from. */
export interface SupervisorCommonOptions {
  /** Unique per process. Default `host:pid`. */
  consumer?: string;
  /** Argv templates; `${worker}` / `${count}` substituted per argument, no shell. */
  restart?: string[];
  scale?: string[];
  /** Workers this supervisor runs itself; used for an action with no argv template. */
  pool?: WorkerPool;
  /**
   * A request left by a silent supervisor this long is taken over. Default 10000:
   * well inside the editor's 30 s wait. A slow restart is not at risk, it is kept fresh.
   */
  claimIdleMs?: number;
  /** One run of an argv template. Default 120000. */
  runTimeoutMs?: number;
  /**
   * A request taken over from a crashed supervisor, or one with no timeout, is dropped once older than this. Default 10
   * min.
   */
  maxRetryAgeMs?: number;
  maxCount?: number;
  /** Only workers whose id matches may be restarted. */
  workerPattern?: RegExp;
  /** Requests carried out at once. Default 4. */
  concurrency?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** What a supervisor may do, whichever store its requests come from (defaults applied). */
export type CarryOutPolicy = Pick<SupervisorCommonOptions, 'restart' | 'scale' | 'pool' | 'workerPattern'> & {
  runTimeoutMs: number;
  maxCount: number;
  /** Names this supervisor in "no command configured". */
  name: string;
  log(line: string): void;
  /**
   * The supervisor's hold on this request. With it, the program runs on a leash: stopped
   * when the supervisor dies or the hold lapses, never started on a lapsed one — so no
   * other supervisor can take the request over while this run could still be going.
   */
  lease?: Lease;
};

/** Carries out one request: the argv template, else the pool; refusals in words. */
export async function carryOut(r: ControlRequest, p: CarryOutPolicy): Promise<{ ok: boolean; message: string }> {
  if (r.action === 'restart' && p.workerPattern && !p.workerPattern.test(r.worker!)) {
    return { ok: false, message: `refused: "${r.worker}" does not match this supervisor's --worker-pattern` };
  }
  if (r.action === 'scale' && r.count! > p.maxCount)
    return { ok: false, message: `refused: at most ${p.maxCount} workers (--max-count)` };
  const template = r.action === 'restart' ? p.restart : p.scale;
  if (template) {
    const a = expandArgv(template, r.action === 'restart' ? { worker: r.worker } : { count: r.count });
    if (!a.argv) return { ok: false, message: `refused: ${a.error}` };
    const res = p.lease
      ? await runLeashed(a.argv, { timeoutMs: p.runTimeoutMs, lease: p.lease, onOutput: (line) => p.log(`  ${line}`) })
      : await runArgv(a.argv, { timeoutMs: p.runTimeoutMs, onOutput: (line) => p.log(`  ${line}`) });
    return { ok: res.ok, message: `${displayArgv(a.argv)}: ${res.message}` };
  }
  if (p.pool) {
    if (p.lease && !(Date.now() < p.lease.validUntil))
      return { ok: false, message: "not started: this supervisor's hold on the request had lapsed" };
    try {
      return {
        ok: true,
        message: r.action === 'restart' ? await p.pool.restart(r.worker!) : await p.pool.scale(r.count!),
      };
    } catch (err) {
      return { ok: false, message: err instanceof Error ? err.message : String(err) };
    }
  }
  return { ok: false, message: `this supervisor (${p.name}) has no ${r.action} command configured` };
}
