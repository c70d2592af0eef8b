import { DEFAULT_THRESHOLDS, type HealthThresholds } from './model';
import { expandExpected, type ExpectedEntry } from './expectedWorkers';
import type { FieldMap } from './record';

/** Key layout of a Redis fleet. `{id}` stands for the worker id. */
export interface RedisKeys {
  /** Set of worker ids. */
  activeSet: string;
  /** Worker state: a hash or a string holding JSON. */
  state: string;
  completedCounter?: string;
  errorsCounter?: string;
  /** Streams whose entries name a worker that changed (push path). */
  eventStreams: string[];
  /** Streams shown as log lines in the dashboard. */
  logStreams?: string[];
}

/** One entry of `workerLens.connections`, as the user wrote it (validated). */
export interface ConnectionConfig {
  name: string;
  type: 'redis' | 'files' | 'supabase';
  url?: string;
  path?: string;
  preset?: string;
  keys?: Partial<RedisKeys>;
  fields?: Partial<FieldMap>;
  thresholds?: Partial<HealthThresholds>;
  /** Environment variable holding the password / key, instead of the secret store. */
  secretEnv?: string;
  /** Files: which file names are heartbeats (default `*.json`). */
  pattern?: string;
  /** Files: a glob of per-worker log files. */
  logs?: string;
  /**
   * How updates arrive. Redis: `auto` picks keyspace notifications, then the events stream, then polling. Supabase:
   * `off` polls only, anything else follows Realtime.
   */
  push?: 'auto' | 'keyspace' | 'events' | 'off';
  /** Queue depth charted by the dashboard: keys of lists, streams, sets, … */
  queues?: (string | { name: string; key: string })[];
  /** Supabase: a log table (worker, level, message, created_at) tailed in the dashboard. */
  logTable?: string;
  /** Supabase: the heartbeat table (preset: hp_worker_status). */
  table?: string;
  /** Supabase: where each field lives (like `fields`; a dotted name reads inside a JSON column). */
  columns?: Partial<FieldMap>;
  /** Redis: the url (and `nodes`) are seeds of a Redis Cluster; the fleet is read over all its slots. */
  cluster?: boolean;
  /** Redis Cluster: more seed nodes besides `url` (redis://host:port), tried when it does not answer. */
  nodes?: string[];
  /** Workers that should exist: names, or `{ prefix, count }`. One without a record shows as missing. */
  expectedWorkers?: ExpectedEntry[] | ExpectedEntry;
}

const TYPES = new Set(['redis', 'files', 'supabase']);
/** The one preset each kind of store has (its seed's layout); `preset` may be left out. */
const PRESETS: Record<ConnectionConfig['type'], string[]> = {
  // Framework fleets are presets of the Redis source (src/sources/redis/frameworks).
  redis: ['orchestrator', 'rq', 'sidekiq', 'celery', 'bullmq'],
  files: ['heartbeat-files'],
  supabase: ['supabase-heartbeat'],
};

/**
 * Checks one settings entry and says, in words, what is wrong with it.
 * Settings are user input: the extension must not crash on a typo.
 */
export function validateConnection(raw: unknown, index: number): { config?: ConnectionConfig; error?: string } {
  const where = `workerLens.connections[${index}]`;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { error: `${where} should be an object` };
  const r = raw as Record<string, unknown>;
  if (typeof r.name !== 'string' || !r.name.trim()) return { error: `${where} needs a "name"` };
  if (typeof r.type !== 'string' || !TYPES.has(r.type)) {
    return { error: `${where} ("${r.name}"): "type" should be one of redis, files, supabase` };
  }
  if ((r.type === 'redis' || r.type === 'supabase') && typeof r.url !== 'string') {
    return { error: `${where} ("${r.name}"): a ${r.type} connection needs a "url"` };
  }
  if (r.type === 'files' && typeof r.path !== 'string')
    return { error: `${where} ("${r.name}"): a files connection needs a "path"` };
  if (r.type === 'redis' && typeof r.url === 'string' && !/^rediss?:\/\//.test(r.url)) {
    return { error: `${where} ("${r.name}"): url should start with redis:// or rediss://` };
  }
  const presets = PRESETS[r.type as ConnectionConfig['type']];
  if (r.preset !== undefined && !presets.includes(r.preset as string)) {
    const choices = presets.map((p) => `"${p}"`).join(', ');
    return {
      error: `${where} ("${r.name}"): preset "${String(r.preset)}" is not one for a ${r.type} connection; use ${choices} (or leave it out)`,
    };
  }
  const urlProblem =
    typeof r.url !== 'string'
      ? undefined
      : r.type === 'redis'
        ? checkRedisUrl(r.url)
        : checkUrl(r.url, r.type === 'supabase');
  if (urlProblem) return { error: `${where} ("${r.name}"): ${urlProblem}` };
  for (const key of ['pattern', 'logs', 'logTable', 'table', 'secretEnv'] as const) {
    if (r[key] !== undefined && typeof r[key] !== 'string')
      return { error: `${where} ("${r.name}"): "${key}" should be a string` };
  }
  const clusterProblem = checkCluster(r);
  if (clusterProblem) return { error: `${where} ("${r.name}"): ${clusterProblem}` };
  const expected = expandExpected(r.expectedWorkers);
  if (expected.error) return { error: `${where} ("${r.name}"): ${expected.error}` };
  return { config: r as unknown as ConnectionConfig };
}

/** `cluster` and `nodes` of a Redis connection: a boolean, and seed URLs of the same cluster. */
function checkCluster(r: Record<string, unknown>): string | undefined {
  if (r.cluster !== undefined && typeof r.cluster !== 'boolean')
    return `"cluster" should be true or false, not ${JSON.stringify(r.cluster)}`;
  if (r.cluster === true && r.type !== 'redis') return '"cluster" applies to a redis connection only';
  if (r.cluster === true && r.preset !== undefined && r.preset !== 'orchestrator')
    return `a Redis Cluster is read with the orchestrator layout only; preset "${String(r.preset)}" is not read on a cluster`;
  if (r.nodes === undefined) return undefined;
  if (r.type !== 'redis') return '"nodes" applies to a redis connection only';
  if (r.cluster !== true) return '"nodes" lists the seeds of a Redis Cluster: set "cluster": true as well';
  if (!Array.isArray(r.nodes)) return '"nodes" should be a list of URLs such as ["redis://10.0.0.2:6379"]';
  for (let i = 0; i < r.nodes.length; i++) {
    const n: unknown = r.nodes[i];
    if (typeof n !== 'string') return `"nodes"[${i}] should be a URL string (redis://host:port)`;
    const problem = checkRedisUrl(n);
    if (problem) return `"nodes"[${i}]: ${problem}`;
  }
  return undefined;
}

/** What the client libraries would throw on, said before they do. Never quotes the URL (it may hold a password). */
function checkUrl(url: string, http: boolean): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return http
      ? 'url is not a URL (expected https://<project>.supabase.co)'
      : 'url is not a URL (expected redis://host:port)';
  }
  if (http && !/^https?:$/.test(u.protocol)) return 'url should start with https:// (https://<project>.supabase.co)';
  try {
    decodeURIComponent(u.password);
    decodeURIComponent(u.username);
  } catch {
    return 'the password in url has a "%" that is not an escape: keep the password in the secret store (Workers: Set Password or Key…) or in an environment variable ("secretEnv")';
  }
  if (!http) {
    // ioredis reads the path as the database number: `/notanumber` would SELECT NaN.
    const db = u.pathname.replace(/^\//, '');
    if (db !== '' && !/^\d{1,5}$/.test(db))
      return 'the database in url (after the last "/") should be a number such as 0';
  }
  return undefined;
}

/**
 * Checks a Redis URL given on a command line (the CLI, the supervisor, the simulator) and
 * says in one line what is wrong. Never quotes the URL: it may hold a password.
 */
export function checkRedisUrl(url: string): string | undefined {
  if (!/^rediss?:\/\//.test(url)) return 'the URL should start with redis:// or rediss://';
  // The WHATWG parser refuses a port past 65535; the message says which part is wrong.
  const port = /^rediss?:\/\/(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/]*):(\d*)/.exec(url)?.[1];
  if (port !== undefined && port !== '' && !(+port >= 1 && +port <= 65535))
    return `the port ${port} is not one (1 to 65535)`;
  return checkUrl(url, false);
}

/** Global thresholds, overridden field by field by the connection's own. */
export function effectiveThresholds(
  global: Partial<HealthThresholds>,
  conn?: Partial<HealthThresholds>,
): HealthThresholds {
  const pick = <K extends keyof HealthThresholds>(k: K): HealthThresholds[K] => {
    const v = conn?.[k] ?? global[k];
    return (typeof v === typeof DEFAULT_THRESHOLDS[k] ? v : DEFAULT_THRESHOLDS[k]) as HealthThresholds[K];
  };
  return {
    unresponsiveAfterSeconds: pick('unresponsiveAfterSeconds'),
    deadAfterSeconds: pick('deadAfterSeconds'),
    slowTaskAfterMinutes: pick('slowTaskAfterMinutes'),
    adaptive: pick('adaptive'),
  };
}

/**
 * Any `scheme://user:password@` inside a text (an error message quoting a URL) with the
 * password masked; a lone `scheme://secret@` (a password written where the user goes,
 * as `redis://SECRET@host` is often written) masked whole.
 */
export function redactUrlsIn(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi, '$1***@')
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s:/@]+@/gi, (m, scheme: string) => (m.endsWith('***@') ? m : `${scheme}***@`));
}

/**
 * A URL safe to log: the password replaced. A user part without a password is replaced
 * too: Redis before ACLs took `redis://SECRET@host` as the password, and many still write it so.
 */
export function redactUrl(url: string): string {
  // `user:pw@host` parses as a URL of scheme "user:" with no password: nothing to mask, all to leak.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && url.includes('@')) return '(unparseable url)';
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    else if (u.username) u.username = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}
