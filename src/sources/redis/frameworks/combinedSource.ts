import type { ConnectionState } from '../../../core/fleet';
import type { WorkerSnapshot } from '../../../core/model';
import type { SourceSink, WorkerSource } from '../../source';

/**
 * Several sources on one Redis shown as one fleet: a connection without a preset reads the
 * orchestrator layout and whatever framework fleets are found beside it. Each part's full
 * read replaces only its own workers; the connection state is the worst of the parts.
 */
export class CombinedSource implements WorkerSource {
  readonly kind = 'redis';
  private readonly lists: WorkerSnapshot[][];
  private readonly conns: (ConnectionState | undefined)[];
  /** Each part's activity line: the orchestrator's log streams and the frameworks' reads, said together. */
  private readonly activity: string[];

  constructor(private readonly parts: WorkerSource[]) {
    this.lists = parts.map(() => []);
    this.conns = parts.map(() => undefined);
    this.activity = parts.map(() => '');
  }

  start(sink: SourceSink): void {
    this.parts.forEach((p, i) => p.start(this.partSink(sink, i)));
  }

  private partSink(sink: SourceSink, i: number): SourceSink {
    return {
      logs: (e) => sink.logs(e),
      event: (e) => sink.event(e),
      queueDepth: (n, d) => sink.queueDepth(n, d),
      activityStatus: (t) => {
        this.activity[i] = t;
        sink.activityStatus(this.activity.filter(Boolean).join(' · '));
      },
      log: (level, message) => sink.log(level, message),
      replaceAll: (workers) => {
        this.lists[i] = workers;
        sink.replaceAll(this.lists.flat());
      },
      update: (workers, removed = []) => {
        const byId = new Map(this.lists[i].map((w) => [w.id, w]));
        for (const id of removed) byId.delete(id);
        for (const w of workers) byId.set(w.id, w);
        this.lists[i] = [...byId.values()];
        sink.update(workers, removed);
      },
      setConnection: (c) => {
        this.conns[i] = c;
        sink.setConnection(this.connection());
      },
    };
  }

  /** An error in any part is the fleet's error; connected when every part is, with each part's live mode. */
  private connection(): ConnectionState {
    const error = this.conns.find((c) => c?.state === 'error');
    const liveMode = this.conns.flatMap((c) => (c?.liveMode ? [c.liveMode] : [])).join('; ') || undefined;
    if (error) return { ...error, liveMode };
    const connecting = this.conns.find((c) => !c || c.state === 'connecting');
    if (connecting) return connecting ?? { state: 'connecting' };
    return { state: 'connected', liveMode };
  }

  refresh(): Promise<void> {
    return Promise.all(this.parts.map((p) => p.refresh())).then(() => undefined);
  }

  followActivity(on: boolean): void {
    for (const p of this.parts) p.followActivity(on);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.parts.map((p) => p.dispose()));
  }
}
