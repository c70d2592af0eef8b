/**
 * The dashboard's host ↔ webview messages: the only file both sides import, so a
 * renamed field fails the build on both. Names are `scope/verb`; notifications
 * (host → webview) say what happened (`didChange`), commands (webview → host) ask
 * for something. Types only plus tiny constants: the webview bundle must stay free
 * of host code.
 */

export type WindowKey = '5m' | '1h' | '6h';

/** Chart windows: span and the bucket width each is drawn with. */
export const WINDOWS: Record<WindowKey, { spanMs: number; bucketMs: number; label: string }> = {
  '5m': { spanMs: 5 * 60_000, bucketMs: 10_000, label: '5 min' },
  '1h': { spanMs: 60 * 60_000, bucketMs: 60_000, label: '1 hour' },
  '6h': { spanMs: 6 * 60 * 60_000, bucketMs: 5 * 60_000, label: '6 hours' },
};

export const DEFAULT_MAX_LOG_LINES = 10_000;

/**
 * The health names, worst first (the order of the tree's groups and the table's sort): the one
 * definition, here so that core, views, CLI and the webview (which imports nothing else) share it.
 * `missing`: a worker the connection expects (`expectedWorkers`) that has no record in the store.
 */
export const HEALTH_NAMES = [
  'dead',
  'crashed',
  'missing',
  'unresponsive',
  'slow',
  'recovering',
  'stopping',
  'working',
  'healthy',
  'stopped',
  'unknown',
] as const;
export type HealthName = (typeof HEALTH_NAMES)[number];
/**
 * Failing: the worker is down (dead or crashed). The CLI exits 1, the status bar turns red, Restart Unhealthy restarts
 * these.
 */
export const FAILING: ReadonlySet<HealthName> = new Set<HealthName>(['dead', 'crashed']);
/** Alive: counted in "3/7 workers". */
export const ALIVE: ReadonlySet<HealthName> = new Set<HealthName>(['healthy', 'working', 'slow']);
export type LevelName = 'debug' | 'info' | 'warn' | 'error';

/** One value per bucket; null where there is no data (drawn as a gap, not as zero). */
export type Series = (number | null)[];

/** The dashboard's charts. */
export type ChartName = 'throughput' | 'errors' | 'duration' | 'health' | 'queues';

export interface MetricsView {
  window: WindowKey;
  /** The window was chosen to fit the history (the user has not picked one). */
  auto?: boolean;
  /** Why a chart has nothing to draw, in words (absent: it has data). */
  notes?: Partial<Record<ChartName, string>>;
  bucketMs: number;
  /** Start of each bucket, epoch ms, oldest first. */
  times: number[];
  /** Tasks completed per minute: fleet total, and the busiest workers (or the focused one). */
  throughput: { fleet: Series; workers: { id: string; name: string; values: Series }[] };
  /** Errors per minute and error rate (% of finished tasks) per bucket. */
  errors: { perMinute: Series; ratePct: Series };
  /** Task duration percentiles per bucket, in seconds. */
  duration: { p50: Series; p95: Series };
  /** Workers per health state per bucket (only states seen in the window). */
  health: { state: HealthName; values: Series }[];
  /** Queue depth per configured queue. Empty when the store has none configured. */
  queues: { name: string; values: Series; latest: number | null }[];
  totals: {
    completed: number;
    errors: number;
    /** errors / (completed + errors), %, or null with nothing finished. */
    errorRatePct: number | null;
    perMinute: number;
    p50s: number | null;
    p95s: number | null;
  };
  /** The worker (id) the charts are narrowed to, if any. */
  worker?: string;
}

export interface WorkerRow {
  id: string;
  name: string;
  health: HealthName;
  /** Why it has this health, in words. */
  reason: string;
  task?: string;
  /** Epoch ms. */
  taskStartedAt?: number;
  completed?: number;
  errors?: number;
  /** Epoch ms. */
  lastHeartbeat?: number;
  stale: boolean;
}

/** A span of `text` that is a stack frame resolved to a workspace file. */
export interface LinkSpan {
  start: number;
  end: number;
  /** The path as written in the log; the host resolves it again when clicked. */
  path: string;
  line: number;
  column?: number;
}

/** One displayed log row (a multi-line message arrives as several rows, `cont` after the first). */
export interface LogLine {
  /** Host-assigned, increasing: the webview de-duplicates and trims by it. */
  seq: number;
  ts: number;
  level: LevelName;
  worker?: string;
  source: string;
  text: string;
  cont?: boolean;
  links?: LinkSpan[];
}

export interface ConnectionInfo {
  name?: string;
  state: 'connecting' | 'connected' | 'error';
  message?: string;
  liveMode?: string;
  /** What the logs panel reads: "4 Redis streams", "no log source". */
  logSource?: string;
}

/** One confirmed transition for the dashboard's timeline: who, from, to, when. */
export interface TransitionRow {
  id: string;
  name: string;
  from: HealthName;
  to: HealthName;
  /** Epoch ms: when the new state was first seen. */
  at: number;
}

export interface DashboardConfig {
  maxLines: number;
}

export type Section = 'charts' | 'workers' | 'logs';

/** Host → webview. */
export type HostMessage =
  | {
      type: 'dashboard/snapshot';
      config: DashboardConfig;
      connection: ConnectionInfo;
      metrics: MetricsView;
      workers: WorkersPayload;
      logs: LogLine[];
      focus?: Focus;
      /** Transitions seen since connecting, oldest first. */
      timeline?: TransitionRow[];
    }
  | ({ type: 'metrics/didChange' } & { metrics: MetricsView })
  | ({ type: 'workers/didChange' } & WorkersPayload)
  | { type: 'logs/didAppend'; lines: LogLine[] }
  | { type: 'logs/didReset'; lines: LogLine[]; config: DashboardConfig }
  | { type: 'connection/didChange'; connection: ConnectionInfo }
  | { type: 'timeline/didChange'; timeline: TransitionRow[] }
  | ({ type: 'dashboard/focus' } & Focus)
  | { type: 'dashboard/notice'; text: string };

export interface WorkersPayload {
  /** Host clock when the rows were taken, to compute ages against. */
  now: number;
  rows: WorkerRow[];
  /** Workers in the fleet (rows may be capped for very large fleets). */
  total: number;
}

/** Narrow the dashboard to one worker (`null` clears) and scroll to a section. */
export interface Focus {
  worker?: string | null;
  section?: Section;
}

/** A chart window the user picked, or `auto`: the shortest that holds the history (until the user picks one). */
export type WindowChoice = WindowKey | 'auto';

/** Webview → host. */
export type WebviewMessage =
  | { type: 'webview/ready'; window: WindowChoice; worker?: string | null }
  | { type: 'view/configure'; window: WindowChoice; worker?: string | null }
  | { type: 'link/open'; path: string; line: number; column?: number }
  | { type: 'metrics/export' }
  | { type: 'logs/clear' };

/** What the webview keeps across hide/show with `setState`: small UI state only. */
export interface WebviewState {
  window: WindowChoice;
  worker: string | null;
  follow: boolean;
  logLevel: LevelName;
  logText: string;
  logWorker: string;
  tableFilter: string;
  tableSort: { key: string; desc: boolean };
}
