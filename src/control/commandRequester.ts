import { displayArgv, expandArgv } from './argv';
import { runArgv } from './commandRunner';
import type { ControlRequest, ControlRequester, Outcome, SendOptions } from './request';

export interface CommandModeConfig {
  restart?: string[];
  scale?: string[];
  timeoutMs: number;
  cwd?: string;
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
}

/** `control.mode: command`: runs the user's argv template for the action on this machine. */
export class CommandRequester implements ControlRequester {
  constructor(private readonly cfg: CommandModeConfig) {}

  /** The exact argv, or why there is none. */
  argvFor(r: ControlRequest): { argv?: string[]; error?: string } {
    if (r.action !== 'restart' && r.action !== 'scale')
      return { error: `${r.action} is the framework's own control, sent through Redis, never a command` };
    const template = r.action === 'restart' ? this.cfg.restart : this.cfg.scale;
    if (!template) return { error: `no ${r.action} command is configured (control.${r.action})` };
    return expandArgv(template, r.action === 'restart' ? { worker: r.worker } : { count: r.count });
  }

  describe(r: ControlRequest): string {
    const a = this.argvFor(r);
    return a.argv ? `run ${displayArgv(a.argv)}` : `nothing can run: ${a.error}`;
  }

  async send(r: ControlRequest, opts: SendOptions = {}): Promise<Outcome> {
    const a = this.argvFor(r);
    if (!a.argv) return { status: 'failed', message: a.error ?? 'no command' };
    opts.onAccepted?.(`running ${displayArgv(a.argv)}`);
    const res = await runArgv(a.argv, {
      timeoutMs: this.cfg.timeoutMs,
      signal: opts.signal,
      onOutput: this.cfg.onOutput,
      cwd: this.cfg.cwd,
    });
    if (opts.signal?.aborted) return { status: 'cancelled', message: res.message };
    return { status: res.ok ? 'done' : 'failed', message: res.message };
  }

  async dispose(): Promise<void> {
    // Nothing held between runs.
  }
}
