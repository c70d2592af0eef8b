/*
 * npm run screenshot:cluster — retakes the README's picture of a fleet on a Redis Cluster
 * (media/screenshot-cluster.png), tried as a new user would: a real 3-primary + 3-replica Redis
 * Cluster with keyspace notifications on on every node (as an operator would have them), 300
 * workers in the orchestrator layout written through a cluster client (most working, some idle,
 * two dead) and kept beating, and the browser VS Code with ONE connection written as a user
 * would: name, url of one node, "cluster": true. Waits until the Workers view shows all 300,
 * times one change until the view shows it, SIGKILLs a primary and prints what the view says
 * while its slots fail over and when it is live again, times one more change, takes the picture.
 * Stops everything it started, even on failure (then a screenshot and the server log land in
 * test-results/).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Cluster } from 'ioredis';
import type { Page } from 'playwright-core';
import { keepEvidence, startCodeServer, type CodeServer, type Workbench } from '../test/harness/codeServer';
import { expandRows, openWithExtension, shootSideBar, showWorkersView } from '../test/harness/workersView';
import { waitFor } from '../test/harness/freePort';
import { workbenchUser } from '../test/harness/workbenchUser';
import { startRedisCluster, type RedisCluster } from '../test/harness/redisCluster';
import { pyIso, task } from '../test/integration/redisFixtures';

const REPO = resolve(__dirname, '..');
const PNG = join(REPO, 'media/screenshot-cluster.png');
/** Where the side bar's right edge is dragged to (px of a 1280-wide window). */
const SIDEBAR_RIGHT = 640;
const FLEET = 300;
/** How often the fleet's heartbeats are written (well inside the 15 s "unresponsive" threshold). */
const BEAT_MS = 3000;

const QUEUES = ['backend', 'frontend', 'data'] as const;
const TITLES = [
  'Fix login redirect loop',
  'Add CSV export to reports',
  'Upgrade image pipeline',
  'Flaky checkout test',
  'Rebuild search index',
  'Migrate billing webhooks',
];
const ids = Array.from({ length: FLEET }, (_, i) => `worker-${String(i).padStart(3, '0')}`);
const DEAD = new Set(['worker-041', 'worker-187']);
/** Every fourth worker is idle; the rest work, the two dead ones excepted. */
const isIdle = (i: number) => i % 4 === 3 && !DEAD.has(ids[i]);
const IDLE = ids.filter((_, i) => isIdle(i));

/** One worker's hash as the orchestrator writes it, routed by slot through the cluster client. */
async function writeWorker(c: Cluster, i: number, opts: { title?: string; idle?: boolean } = {}): Promise<void> {
  const id = ids[i];
  const dead = DEAD.has(id);
  const idle = opts.idle ?? (isIdle(i) && !opts.title);
  const title = opts.title ?? TITLES[i % TITLES.length];
  const now = Date.now();
  // A dead worker's last word was ten minutes ago, mid-task; a working one started its task 1-9 minutes ago.
  const beat = dead ? now - 600_000 : now;
  await c.hset(`worker:state:${id}`, {
    status: idle ? 'idle' : 'working',
    specialization: QUEUES[i % QUEUES.length],
    last_activity: pyIso(beat),
    total_completed: String(i * 3),
    total_errors: String(i % 7 === 0 ? 1 : 0),
    current_task: JSON.stringify(idle ? null : task(title, opts.title ? now : beat - 60_000 * (1 + (i % 9)))),
  });
  await c.sadd('active_workers', id);
  await c.set(`worker:${id}:completed`, String(i * 3));
}

/** Every live worker's heartbeat, as the orchestrator refreshes it (a write that fails is retried next beat). */
function keepBeating(c: Cluster): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const beat = async () => {
    const at = pyIso(Date.now());
    await Promise.all(
      ids.filter((id) => !DEAD.has(id)).map((id) => c.hset(`worker:state:${id}`, 'last_activity', at).catch(() => 0)),
    );
    if (!stopped) timer = setTimeout(() => void beat(), BEAT_MS);
  };
  timer = setTimeout(() => void beat(), BEAT_MS);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

interface ViewState {
  /** The side bar's title as drawn (the view's title and description merged into it). */
  title: string;
  /** The view's message above the tree, if any. */
  message: string;
  /** Group rows: "Working (220)". */
  groups: string[];
  total: number;
  rows: string[];
}

/** What the Workers view draws: title, message, every row (aria-label: label, description). */
async function viewState(page: Page): Promise<ViewState> {
  const title = (
    await page
      .locator('.part.sidebar .composite.title')
      .first()
      .innerText({ timeout: 500 })
      .catch(() => '')
  )
    .replace(/\s+/g, ' ')
    .trim();
  const message = (
    await page
      .locator('.part.sidebar .pane-body .message')
      .filter({ visible: true })
      .first()
      .innerText({ timeout: 200 })
      .catch(() => '')
  ).trim();
  const rows = await page
    .locator('.part.sidebar .monaco-list-row')
    .evaluateAll((els) => els.map((e) => (e.getAttribute('aria-label') ?? '').trim()));
  const groups = rows.filter((r) => /^[A-Z]\w+ \(\d+\)$/.test(r));
  const total = groups.reduce((n, g) => n + Number(/\((\d+)\)$/.exec(g)![1]), 0);
  return { title, message, groups, total, rows };
}

const statusText = (page: Page) =>
  workbenchUser(page)
    .status.first()
    .innerText({ timeout: 500 })
    .then((t) => t.trim())
    .catch(() => '');

/** Hovers the status bar item until its tooltip matches `expected`: the tooltip, on one line. */
async function updatesTooltip(page: Page, expected: RegExp): Promise<string> {
  const item = workbenchUser(page).status.first();
  let tip = '';
  await waitFor(
    async () => {
      await page.mouse.move(1000, 400);
      await item.hover({ timeout: 1000 });
      tip = (
        await page
          .locator('.monaco-hover, .workbench-hover')
          .filter({ hasText: 'Worker Lens' })
          .first()
          .innerText({ timeout: 2000 })
          .catch(() => '')
      )
        .replace(/\s+/g, ' ')
        .trim();
      return expected.test(tip);
    },
    { timeoutMs: 20_000, message: () => `the status bar tooltip to match ${expected} (read "${tip}")` },
  );
  await page.mouse.move(1000, 400);
  return tip;
}

const countOf = (v: ViewState, group: string) =>
  Number(new RegExp(`^${group} \\((\\d+)\\)$`).exec(v.groups.find((g) => g.startsWith(`${group} (`)) ?? '')?.[1] ?? -1);

async function main(): Promise<void> {
  if (spawnSync(process.execPath, ['esbuild.mjs'], { cwd: REPO, stdio: 'inherit' }).status !== 0)
    throw new Error('build failed');
  const tmp = mkdtempSync(join(tmpdir(), 'wl-shot-cluster-'));
  const workspace = join(tmp, 'workspace');
  mkdirSync(workspace, { recursive: true });
  let cluster: RedisCluster | undefined;
  let stopBeating: (() => void) | undefined;
  let server: CodeServer | undefined;
  let wb: Workbench | undefined;
  let seen: ViewState = { title: '', message: '', groups: [], total: 0, rows: [] };
  try {
    cluster = await startRedisCluster();
    // As an operator would have them: on every node, replicas included (a replica may be promoted).
    for (const n of cluster.nodes)
      await cluster.nodeClient(n.port).call('CONFIG', 'SET', 'notify-keyspace-events', 'Kh$sg');
    const writer = cluster.client();
    for (let i = 0; i < FLEET; i++) await writeWorker(writer, i);
    stopBeating = keepBeating(writer);
    console.log(
      `cluster up: ${cluster.nodes.map((n) => n.port).join(', ')} (primaries ${(await cluster.primaries()).join(', ')}); ` +
        `${FLEET} workers written: ${FLEET - IDLE.length - DEAD.size} working, ${IDLE.length} idle, ${DEAD.size} dead`,
    );

    const connection = { name: 'prod-cluster', type: 'redis', url: cluster.url, cluster: true };
    console.log(`settings: "workerLens.connections": [${JSON.stringify(connection)}]`);
    const started = Date.now();
    const at = (from = started) => `${((Date.now() - from) / 1000).toFixed(1)} s`;
    server = await startCodeServer({ workspace, userSettings: { 'workerLens.connections': [connection] } });
    wb = await openWithExtension(server, workspace);
    const page = wb.page;
    await showWorkersView(page, { sideBarRight: SIDEBAR_RIGHT });

    // 1. The fleet: health groups summing to 300, the title saying live, the status bar's tooltip naming the path.
    await waitFor(
      async () => (seen = await viewState(page)).total === FLEET && /· live$/i.test(seen.title) && !seen.message,
      {
        timeoutMs: 90_000,
        message: () => `the Workers view to show ${FLEET} workers, live (saw ${JSON.stringify(seen)})`,
      },
    );
    const shownAt = at();
    const tip = await updatesTooltip(page, /keyspace notifications \(3 primaries\)/);
    console.log(`fleet shown at ${shownAt} of code-server's start`);
    console.log(`  title: ${seen.title}`);
    console.log(`  groups: ${seen.groups.join(', ')}`);
    console.log(`  message: ${seen.message || '(none)'}`);
    console.log(`  status bar: ${await statusText(page)}; tooltip: ${tip}`);
    const working0 = countOf(seen, 'Working');
    const idle0 = countOf(seen, 'Healthy');

    // 2. One change through the cluster client: an idle worker takes a task.
    const firstIdle = ids.indexOf(IDLE[0]);
    let t0 = Date.now();
    await writeWorker(writer, firstIdle, { title: 'Hotfix: payment retries' });
    await waitFor(
      async () =>
        countOf((seen = await viewState(page)), 'Working') === working0 + 1 && countOf(seen, 'Healthy') === idle0 - 1,
      {
        timeoutMs: 20_000,
        message: () => `${IDLE[0]} to move from Healthy (idle) to Working (groups ${seen.groups.join(', ')})`,
      },
    );
    console.log(`change 1 (${IDLE[0]} idle → working) shown after ${Date.now() - t0} ms: ${seen.groups.join(', ')}`);

    // 3. A primary SIGKILLed: watch the view until it is live again with all 300.
    const victim = ids.indexOf(IDLE[1]);
    const key = `worker:state:${ids[victim]}`;
    const killedAt = Date.now();
    let promoted: number | undefined;
    let killErr: unknown;
    const kill = cluster.killPrimary(key).then(
      (p) => (promoted = p),
      (e) => (killErr = e),
    );
    let promotedAt = '';
    let last = '';
    const shown = async (v: ViewState) =>
      `title "${v.title}" · message "${v.message}" · ${v.groups.join(', ')} · status bar "${await statusText(page)}"`;
    let wentStale = false;
    let liveAt = '';
    let backAt = '';
    await waitFor(
      async () => {
        if (killErr) throw killErr;
        if (promoted && !promotedAt) promotedAt = at(killedAt);
        const v = (seen = await viewState(page));
        const s = await shown(v);
        if (s !== last) console.log(`  +${at(killedAt)}: ${(last = s)}`);
        if (/stale/i.test(v.title)) wentStale = true;
        if (wentStale && !liveAt && v.total === FLEET && /· live$/i.test(v.title)) liveAt = at(killedAt);
        // The message follows the title by a moment (VS Code sends it with the tree's next refresh): both must be back.
        const back = promoted && wentStale && v.total === FLEET && /· live$/i.test(v.title) && !v.message;
        if (back) backAt = at(killedAt);
        return back;
      },
      { timeoutMs: 60_000, intervalMs: 100, message: () => `live again with ${FLEET} after the failover (${last})` },
    );
    await kill;
    const tipAfter = await updatesTooltip(page, /keyspace notifications \(3 primaries\)/);
    console.log(
      `primary ${promoted} SIGKILLed: the cluster said ok again at +${promotedAt}; the title live again with ${seen.total} at +${liveAt}, its message gone at +${backAt}; tooltip: ${tipAfter}`,
    );

    // 4. One more change, on the promoted primary's slot.
    const working1 = countOf(seen, 'Working');
    t0 = Date.now();
    await writeWorker(writer, victim, { title: 'Reindex after failover' });
    await waitFor(async () => countOf((seen = await viewState(page)), 'Working') === working1 + 1, {
      timeoutMs: 20_000,
      message: () => `${ids[victim]} to move to Working after the failover (groups ${seen.groups.join(', ')})`,
    });
    console.log(`change 2 (${ids[victim]}, on the promoted primary) shown after ${Date.now() - t0} ms`);

    // 5. The picture: Dead open (it is by itself), Working open to its three queues, the last queue open.
    await expandRows(page, (label) => /^Working \(\d+\)$/.test(label));
    await expandRows(page, (label) => /^frontend \(\d+\)$/.test(label));
    await waitFor(async () => (seen = await viewState(page)).rows.some((r) => /^worker-\d+, working · /.test(r)), {
      message: 'working rows shown',
    });
    await shootSideBar(page, PNG, { toLastRow: false });
    seen = await viewState(page);
    console.log(`title: ${seen.title}`);
    console.log('rows:');
    for (const r of seen.rows) console.log(`  ${r}`);
    console.log(`${PNG}: ${Math.round(statSync(PNG).size / 1024)} KB`);
  } catch (err) {
    if (server) console.error(await keepEvidence(wb?.page, server, 'screenshot-cluster'));
    if (seen.title) console.error(`last seen: ${JSON.stringify({ ...seen, rows: seen.rows.slice(0, 20) })}`);
    throw err;
  } finally {
    stopBeating?.();
    await wb?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await cluster?.stop().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`screenshot: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
