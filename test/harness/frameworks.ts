import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { waitFor } from './freePort';

/** The worker programs (jobs that sleep) live beside this file. */
const DIR = join(__dirname, 'frameworks');
/** Debian's python: a python earlier on PATH (a venv, pyenv) may lack rq and celery. */
const PYTHON = '/usr/bin/python3';

/** What each framework needs: the Debian package and how to tell it is there. */
const NEEDS: { pkg: string; ok: () => boolean }[] = [
  { pkg: 'python3-redis', ok: () => runs(PYTHON, ['-c', 'import redis']) },
  { pkg: 'python3-rq', ok: () => runs(PYTHON, ['-c', 'import rq']) },
  { pkg: 'python3-celery', ok: () => runs(PYTHON, ['-c', 'import celery']) },
  { pkg: 'ruby-sidekiq', ok: () => runs('ruby', ['-e', 'require "sidekiq"']) },
];

function runs(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

/** Installs the Debian packages the framework workers need when we are root; otherwise says exactly what is missing. */
export function ensureFrameworks(): void {
  let missing = NEEDS.filter((n) => !n.ok()).map((n) => n.pkg);
  if (missing.length && process.getuid?.() === 0) {
    spawnSync(
      'sh',
      ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(' ')}`],
      { stdio: 'inherit' },
    );
    missing = NEEDS.filter((n) => !n.ok()).map((n) => n.pkg);
  }
  if (missing.length) {
    throw new Error(
      `Framework workers need Debian packages that are missing: ${missing.join(', ')}. Install them with: sudo apt-get install -y ${missing.join(' ')}`,
    );
  }
}

/** One framework worker process, in its own process group (a prefork pool or an RQ work horse dies with it). */
export interface WorkerProcess {
  name: string;
  pid: number;
  /** Signals the whole process group. */
  signal(sig: NodeJS.Signals): void;
  /** Resolves when the leader has exited. */
  exited: Promise<void>;
  readonly alive: boolean;
  /** What it printed (for a failure message). */
  output(): string;
}

/** Starts and, always, stops framework workers: `stopAll` SIGKILLs every process group still there. */
export class FrameworkWorkers {
  private readonly procs: WorkerProcess[] = [];
  private readonly children: ChildProcess[] = [];

  constructor(private readonly url: string) {}

  rq(name: string, queue: string): WorkerProcess {
    return this.spawn(name, PYTHON, [
      '-m',
      'rq.cli',
      'worker',
      '--url',
      this.url,
      '--name',
      name,
      '--path',
      DIR,
      queue,
    ]);
  }

  sidekiq(tag: string, queue: string): WorkerProcess {
    return this.spawn(tag, 'sidekiq', ['-r', join(DIR, 'sidekiqJobs.rb'), '-q', queue, '-c', '1', '-g', tag], {
      REDIS_URL: this.url,
    });
  }

  /** A prefork pool of one, events on (-E); mingle and gossip off, they only slow the start. */
  celery(name: string, queue: string): WorkerProcess {
    const args = [
      '-m',
      'celery',
      '-A',
      'celeryApp',
      'worker',
      '-n',
      `${name}@%h`,
      '-E',
      '-c',
      '1',
      '-Q',
      queue,
      '--without-mingle',
      '--without-gossip',
    ];
    return this.spawn(name, PYTHON, args, { CELERY_BROKER_URL: this.url });
  }

  bullmq(name: string, queue: string): WorkerProcess {
    return this.spawn(name, process.execPath, [join(DIR, 'bullmqWorker.mjs'), this.url, queue, name]);
  }

  private spawn(name: string, cmd: string, args: string[], env: Record<string, string> = {}): WorkerProcess {
    let out = '';
    const child: ChildProcess = spawn(cmd, args, {
      cwd: DIR,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    child.stdout?.on('data', (d) => (out = (out + d).slice(-4000)));
    child.stderr?.on('data', (d) => (out = (out + d).slice(-4000)));
    this.children.push(child);
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const pid = child.pid!;
    const p: WorkerProcess = {
      name,
      pid,
      signal(sig) {
        // RQ's work horse calls setsid(): it is in a group of its own, so its pid is found first.
        const family = descendants(pid);
        for (const target of [-pid, ...family]) {
          try {
            process.kill(target, sig);
          } catch {
            // Gone already.
          }
        }
      },
      exited,
      get alive() {
        return child.exitCode === null && child.signalCode === null;
      },
      output: () => out,
    };
    this.procs.push(p);
    return p;
  }

  /**
   * SIGKILLs every worker's process group and descendants, even those already signalled (their children may linger).
   */
  async stopAll(): Promise<void> {
    for (const p of this.procs) p.signal('SIGKILL');
    for (const c of this.children) {
      c.stdout?.destroy();
      c.stderr?.destroy();
    }
    await Promise.all(this.procs.map((p) => Promise.race([p.exited, new Promise((r) => setTimeout(r, 5000))])));
  }
}

/** Every process below `root` (from /proc), so a child that left the group is still found. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/<pid>/stat is the parent pid; the command (field 2) may hold spaces, so read after its ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Exited while we looked.
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [child, ppid] of parent) {
      if (ppid !== pid) continue;
      out.push(child);
      walk(child);
    }
  };
  walk(root);
  return out;
}

/**
 * Enqueues `rqJobs.long(seconds)` on an RQ queue (RQ's own client: its job hash has many fields). Returns the job id.
 */
export function enqueueRq(url: string, queue: string, seconds: number): string {
  return enqueueRqCall(url, queue, 'long', seconds);
}

/** Enqueues `rqJobs.<fn>(arg)` (`long` sleeps that many seconds, `fail` raises ValueError(arg)). Returns the job id. */
export function enqueueRqCall(url: string, queue: string, fn: 'long' | 'fail', arg: number | string): string {
  const code = `import sys, json; from redis import Redis; from rq import Queue
q = Queue(sys.argv[2], connection=Redis.from_url(sys.argv[1]))
print(q.enqueue('rqJobs.' + sys.argv[3], json.loads(sys.argv[4]), job_timeout=600).id)`;
  const r = spawnSync(PYTHON, ['-c', code, url, queue, fn, JSON.stringify(arg)], { cwd: DIR, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`enqueueing an RQ job failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** Sends `jobs.long(seconds)` to a Celery queue with Celery's own client. Returns the task id. */
export function enqueueCelery(url: string, queue: string, seconds: number): string {
  return enqueueCeleryCall(url, queue, 'long', seconds);
}

/** Sends `jobs.<fn>(arg)` (`long` sleeps, `fail` raises ValueError(arg)) with Celery's client. Returns the task id. */
export function enqueueCeleryCall(url: string, queue: string, fn: 'long' | 'fail', arg: number | string): string {
  const code = `import sys, json, celeryApp; print(getattr(celeryApp, sys.argv[2]).apply_async((json.loads(sys.argv[3]),), queue=sys.argv[1]).id)`;
  const r = spawnSync(PYTHON, ['-c', code, queue, fn, JSON.stringify(arg)], {
    cwd: DIR,
    encoding: 'utf8',
    env: { ...process.env, CELERY_BROKER_URL: url },
  });
  if (r.status !== 0) throw new Error(`sending a Celery task failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** Pushes a `LongJob` onto a Sidekiq queue the way Sidekiq::Client does (LPUSH of the job JSON). Returns the jid. */
export async function enqueueSidekiq(client: Redis, queue: string, seconds: number): Promise<string> {
  return enqueueSidekiqJob(client, queue, 'LongJob', seconds);
}

/**
 * Pushes a job of a class of sidekiqJobs.rb (`LongJob` sleeps, `FailJob` raises; `retry: 0`, FailJob's default, sends
 * a failure straight to the dead set; `retry: 1` to the retry set first). Returns the jid.
 */
export async function enqueueSidekiqJob(
  client: Redis,
  queue: string,
  cls: 'LongJob' | 'FailJob',
  arg: number | string,
  retry: number | false = cls === 'FailJob' ? 0 : false,
): Promise<string> {
  const jid = randomBytes(12).toString('hex');
  const now = Date.now() / 1000;
  const job = { class: cls, args: [arg], queue, jid, retry, created_at: now, enqueued_at: now };
  await client.multi().sadd('queues', queue).lpush(`queue:${queue}`, JSON.stringify(job)).exec();
  return jid;
}

/** Waits until a worker process is still running; says what it printed when it has died. */
export async function stillRunning(p: WorkerProcess): Promise<void> {
  if (!p.alive) throw new Error(`${p.name} exited early:\n${p.output()}`);
}

export { waitFor };
