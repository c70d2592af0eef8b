import { spawn, type ChildProcess } from 'node:child_process';
import { expandArgv } from '../control/argv';

export interface PoolOptions {
  /** Argv template of one worker; `${worker}` is its name. Run without a shell. */
  argv: string[];
  /** Workers are named `${prefix}-1`, `${prefix}-2`, … */
  prefix: string;
  /** How many to start with. */
  size: number;
  /** Extra environment; each worker also gets WORKER_ID=<its name>. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** After SIGTERM, how long a worker gets before SIGKILL. Default 5000. */
  stopGraceMs?: number;
  log?: (level: 'info' | 'warn', message: string) => void;
}

interface Slot {
  name: string;
  child?: ChildProcess;
  exited?: Promise<void>;
}

/**
 * Workers the supervisor runs itself, like seed 002's worker-manager: restart kills
 * one and starts it again, scale starts or stops the highest-numbered ones. A worker
 * that dies is *not* brought back on its own: it shows dead in the editor until
 * someone restarts it, which is the point of the restart command.
 */
export class WorkerPool {
  private readonly slots = new Map<string, Slot>();
  /** One change at a time: a restart and a scale must not interleave their spawns and kills. */
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly opts: PoolOptions) {}

  start(): void {
    for (let i = 1; i <= this.opts.size; i++) this.spawnSlot(this.nameOf(i));
  }

  /** Names in number order. */
  names(): string[] {
    return [...this.slots.keys()].sort((a, b) => this.indexOf(a) - this.indexOf(b));
  }

  /** The pid of a running worker (tests, logs). */
  pid(name: string): number | undefined {
    const c = this.slots.get(name)?.child;
    return c && c.exitCode === null && c.signalCode === null ? c.pid : undefined;
  }

  restart(name: string): Promise<string> {
    return this.serial(async () => {
      const slot = this.slots.get(name);
      if (!slot)
        throw new Error(`"${name}" is not one of this supervisor's workers (${this.names().join(', ') || 'none'})`);
      const before = this.pid(name);
      await this.stopSlot(slot);
      this.spawnSlot(name);
      return `restarted ${name} (pid ${before ?? 'none, it had exited'} → ${this.pid(name) ?? '?'})`;
    });
  }

  scale(count: number): Promise<string> {
    return this.serial(async () => {
      const from = this.slots.size;
      const started: string[] = [];
      for (let i = 1; this.slots.size < count; i++) {
        const name = this.nameOf(i);
        if (this.slots.has(name)) continue;
        this.spawnSlot(name);
        started.push(name);
      }
      const stopped = this.names().slice(count);
      await Promise.all(
        stopped.map(async (n) => {
          await this.stopSlot(this.slots.get(n)!);
          this.slots.delete(n);
        }),
      );
      const change = started.length
        ? `; started ${started.join(', ')}`
        : stopped.length
          ? `; stopped ${stopped.join(', ')}`
          : '';
      return `scaled from ${from} to ${this.slots.size}${change}`;
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue.catch(() => undefined);
    await Promise.all([...this.slots.values()].map((s) => this.stopSlot(s)));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.stopped) throw new Error('the supervisor is stopping');
      return fn();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private nameOf(i: number): string {
    return `${this.opts.prefix}-${i}`;
  }

  private indexOf(name: string): number {
    const n = Number(name.slice(this.opts.prefix.length + 1));
    return Number.isFinite(n) ? n : Number.MAX_SAFE_INTEGER;
  }

  private spawnSlot(name: string): void {
    const argv = expandArgv(this.opts.argv, { worker: name });
    if (!argv.argv) throw new Error(`cannot start ${name}: ${argv.error}`);
    const [file, ...args] = argv.argv;
    const child = spawn(file, args, {
      cwd: this.opts.cwd,
      env: { ...process.env, ...this.opts.env, WORKER_ID: name },
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
    });
    const slot: Slot = { name, child };
    slot.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        this.opts.log?.('warn', `${name}: could not start ${file}: ${err.message}`);
        resolve();
      });
      child.once('exit', (code, signal) => {
        if (!this.stopped)
          this.opts.log?.(
            code === 0 ? 'info' : 'warn',
            `${name} (pid ${child.pid}) exited with ${signal ?? `code ${code}`}`,
          );
        resolve();
      });
    });
    const prefix = (line: string) => line && this.opts.log?.('info', `[${name}] ${line}`);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => d.split(/\r?\n/).forEach(prefix));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => d.split(/\r?\n/).forEach(prefix));
    this.slots.set(name, slot);
    this.opts.log?.('info', `started ${name} (pid ${child.pid ?? '?'})`);
  }

  /** SIGTERM (and SIGCONT, in case it is stopped), then SIGKILL after the grace period. */
  private async stopSlot(slot: Slot): Promise<void> {
    const c = slot.child;
    if (!c || c.exitCode !== null || c.signalCode !== null || !slot.exited) return;
    c.kill('SIGTERM');
    c.kill('SIGCONT');
    const grace = this.opts.stopGraceMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        c.kill('SIGKILL');
        resolve();
      }, grace);
    });
    await Promise.race([slot.exited, killed]);
    clearTimeout(timer);
    await slot.exited;
  }
}
