import type { Redis } from 'ioredis';
import type { SourceSink } from '../../source';
import { describeRedisError } from '../redisErrors';
import type { FrameworkLayout } from './framework';

/** Modest: throughput charts have 10 s buckets, and each poll is a few bounded pipelines. */
export const ACTIVITY_POLL_MS = 5000;

/**
 * Follows the frameworks' activity while the dashboard is open: every `ACTIVITY_POLL_MS` each
 * layout's reader polls on the source's own connection (no extra client), and pushed activity
 * (Celery's task events) is delivered while followed. A failed poll is a gap, said in the
 * activity line; the next one continues from the readers' cursors.
 */
export class ActivityPoller {
  private timer?: NodeJS.Timeout;
  private busy = false;
  private followed = new Set<FrameworkLayout>();

  constructor(
    private readonly layouts: () => FrameworkLayout[],
    private readonly client: () => Redis | undefined,
    private readonly sink: SourceSink,
    private readonly where: string,
  ) {}

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.poll(), ACTIVITY_POLL_MS);
    void this.poll();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const l of this.followed) l.activity?.follow?.(undefined);
    this.followed.clear();
  }

  /** One poll of every active layout (also the first point when the dashboard opens). */
  async poll(): Promise<void> {
    const client = this.client();
    if (this.busy || !this.timer || !client || client.status !== 'ready') return;
    this.busy = true;
    const layouts = this.layouts().filter((l) => l.activity);
    const sink = this.sink;
    const out = {
      logs: (e: Parameters<SourceSink['logs']>[0]) => sink.logs(e),
      event: (e: Parameters<SourceSink['event']>[0]) => sink.event(e),
      queueDepth: (name: string, depth: number) => sink.queueDepth(name, depth),
    };
    const problems: string[] = [];
    try {
      for (const l of layouts) {
        if (!this.followed.has(l)) {
          this.followed.add(l);
          l.activity!.follow?.(out);
        }
        await l.activity!.poll(client, out, Date.now()).catch((err: unknown) => {
          problems.push(`${l.label}: ${describeRedisError(err, this.where)}`);
        });
      }
    } finally {
      this.busy = false;
    }
    if (!this.timer) return;
    const reads = layouts.map((l) => l.activity!.reads()).join('; ');
    this.sink.activityStatus(
      !layouts.length
        ? 'Frameworks: no framework found yet, so no activity to read'
        : problems.length
          ? `Frameworks: ${reads}. Not read this time: ${problems.join('; ')}`
          : `Frameworks: ${reads}`,
    );
  }
}
