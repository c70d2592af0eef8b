import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { ConnectionState } from '../../src/core/fleet';
import type { HealthThresholds } from '../../src/core/model';
import { RedisSource, type RedisSourceOptions } from '../../src/sources/redis/redisSource';
import { startRedis, type RedisServer } from '../harness/redisServer';
import { startFaultProxy, type FaultProxy } from '../harness/faultProxy';
import { waitFor } from '../harness/freePort';
import { observe, pyIso } from './redisFixtures';

/**
 * One fault, end to end, against a real redis-server: a fleet that beats every 250 ms,
 * the source watching it (directly or through the fault proxy), the fault, and its end.
 * Checked throughout, as a user would see it:
 * - no exception escapes (uncaught / unhandled);
 * - the connection state says what is wrong, in words (`expect`), within `detectMs` + 2 s;
 * - while the store cannot be read, every worker stays, and none turns dead,
 *   unresponsive or unknown (the observer is blind, the workers are fine);
 * - after `heal`, connected again, with a new read, within 5 s.
 * Times measured are returned (for the README's figures).
 */
export interface Scenario {
  server?: string[];
  /** Connect through the fault proxy. */
  viaProxy?: boolean;
  /** The source's URL and password, given the server (default: its URL, no password). */
  url?: (redis: RedisServer, proxy?: FaultProxy) => string;
  password?: string;
  /** Password the beater (the workers) use. */
  beaterPassword?: string;
  source?: Partial<RedisSourceOptions>;
  /** Ready before the fault: e.g. wait for a push path to be live. */
  ready?: (ctx: Ctx) => Promise<void>;
  fault: (ctx: Ctx) => Promise<void>;
  expect: RegExp;
  /** How long after the fault it can first be detected at all (a timeout for a hung server; 0 for a closed socket). */
  detectMs: number;
  /** How long the fault lasts, at least, from its start. */
  holdMs: number;
  /** Over as soon as it happened (a reset): the source may be back before the hold ends. */
  momentary?: boolean;
  heal: (ctx: Ctx) => Promise<void>;
  thresholds?: HealthThresholds;
}

export interface Ctx {
  redis: RedisServer;
  proxy?: FaultProxy;
  admin: Redis;
  source: RedisSource;
  obs: ReturnType<typeof observe>;
}

const WORKERS = 50;
export const ids = Array.from({ length: WORKERS }, (_, i) => `w-${String(i).padStart(3, '0')}`);

export async function runFault(
  t: TestContext,
  s: Scenario,
): Promise<{ staleAfterMs: number; liveAfterMs: number; ctx: Ctx }> {
  const escaped: unknown[] = [];
  const onEscape = (e: unknown) => escaped.push(e);
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);

  const redis = await startRedis(s.server ?? []);
  const proxy = s.viaProxy ? await startFaultProxy({ port: redis.port }) : undefined;
  const admin = new Redis({
    port: redis.port,
    host: '127.0.0.1',
    password: s.beaterPassword,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    commandTimeout: 1000,
  });
  admin.on('error', () => undefined);
  await waitFor(() => admin.status === 'ready', { message: 'admin client ready' });
  // The workers: every 250 ms each writes its heartbeat, as the orchestrator's state manager does.
  const beat = async () => {
    const now = Date.now();
    const p = admin.pipeline();
    for (const id of ids)
      p.hset(`worker:state:${id}`, {
        status: 'idle',
        last_activity: pyIso(now),
        current_task: 'null',
        specialization: 'general',
      }).sadd('active_workers', id);
    await p.exec().catch(() => undefined); // the store is down or refuses: the workers carry on
  };
  await beat();
  let beating = false;
  const beater = setInterval(() => {
    if (beating) return;
    beating = true;
    void beat().finally(() => (beating = false));
  }, 250);

  const obs = observe();
  obs.fleet.setThresholds(
    s.thresholds ?? { unresponsiveAfterSeconds: 2, deadAfterSeconds: 4, slowTaskAfterMinutes: 15, adaptive: false },
  );
  const url = s.url?.(redis, proxy) ?? proxy?.url ?? redis.url;
  const source = new RedisSource({ url, password: s.password, pollMs: 500, push: 'off', ...s.source });
  // The view redraws every second and re-judges health against the clock: so do we, faster.
  const views = setInterval(() => obs.fleet.reclassify(), 100);
  t.after(async () => {
    clearInterval(beater);
    clearInterval(views);
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
    await source.dispose();
    admin.disconnect();
    await proxy?.stop();
    await redis.stop();
  });
  const ctx: Ctx = { redis, proxy, admin, source, obs };
  source.start(obs.sink);
  const allHealthy = () => obs.fleet.size === WORKERS && obs.fleet.workers().every((w) => w.health === 'healthy');
  await waitFor(() => obs.fleet.connection.state === 'connected' && allHealthy(), {
    timeoutMs: 20_000,
    message: () => `all ${WORKERS} workers read and healthy (${JSON.stringify(obs.fleet.connection)})`,
  });
  await s.ready?.(ctx);

  // From here on, record what a user would have seen.
  const states: { at: number; state: ConnectionState }[] = [];
  const wrong: string[] = [];
  let watching = true;
  obs.fleet.onChange((c) => {
    if (!watching) return;
    if (c.connection) states.push({ at: Date.now(), state: obs.fleet.connection });
    if (c.removed.length) wrong.push(`removed ${c.removed.join(',')} (${obs.fleet.connection.state})`);
    for (const id of c.changed) {
      const w = obs.fleet.get(id);
      if (w && w.health !== 'healthy') wrong.push(`${id} ${w.health}: ${w.reason} (${obs.fleet.connection.state})`);
    }
  });

  const faultAt = Date.now();
  await s.fault(ctx);
  // The first words may be the general ones ("Lost the connection…"); the precise ones must follow within the bound.
  const reported = await waitFor(
    () => states.find((x) => x.state.state === 'error' && s.expect.test(x.state.message ?? ''))!,
    {
      timeoutMs: s.detectMs + 2000,
      message: () => `the view to say ${s.expect} (states seen: ${JSON.stringify(states.map((x) => x.state))})`,
    },
  );
  const staleAfterMs = states.find((x) => x.state.state === 'error')!.at - faultAt;
  // Long enough for every worker to be "dead" by the clock (dead-after 4 s) had health not been judged as of the last
  // read.
  await waitFor(() => Date.now() - faultAt >= s.holdMs, { timeoutMs: s.holdMs + 1000 });
  obs.fleet.reclassify();
  assert.equal(obs.fleet.size, WORKERS, 'the last known workers stay');
  assert.ok(obs.fleet.stale || s.momentary, 'still stale while the fault lasts (or already back, for a momentary one)');

  const healAt = Date.now();
  await s.heal(ctx);
  const readsBefore = obs.fullReads;
  await waitFor(() => obs.fleet.connection.state === 'connected' && obs.fullReads > readsBefore && allHealthy(), {
    timeoutMs: 5000,
    message: () =>
      `live again within 5 s (${JSON.stringify(obs.fleet.connection)}, ${obs.fleet.counts().byHealth.healthy} healthy)`,
  });
  const liveAfterMs = Date.now() - healAt;
  watching = false;
  assert.deepEqual(
    wrong,
    [],
    'no worker was called dead, unresponsive, unknown or gone because the observer could not see',
  );
  assert.deepEqual(escaped, [], 'no exception escaped');
  t.diagnostic(
    `stale ${staleAfterMs} ms after the fault, "${reported.state.message}" ${reported.at - faultAt} ms after it, live ${liveAfterMs} ms after its end`,
  );
  return { staleAfterMs, liveAfterMs, ctx };
}

/** Client ids of the source's own connections (named worker-lens…). */
export async function sourceClientIds(admin: Redis): Promise<string[]> {
  const list = (await admin.client('LIST')) as string;
  return list
    .split('\n')
    .filter((l) => / name=worker-lens/.test(l))
    .map((l) => /^id=(\d+)/.exec(l)?.[1])
    .filter((x): x is string => Boolean(x));
}
