import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Supervisor } from '../../src/companion/supervisor';
import type { Confirmation } from '../../src/control/plan';
import type { ConnectionConfig } from '../../src/core/connectionConfig';
import { missingWorker } from '../../src/core/expectedWorkers';
import { Fleet } from '../../src/core/fleet';
import type { ControlDeps } from '../../src/vscode/controlFlow';
import { setControlHost, type PickItem } from '../../src/vscode/controlHost';
import { fake, fakeHost } from '../fixtures/control/fakeHost';
import { restartUnhealthy } from '../../src/vscode/commands/restartUnhealthy';
import { restartWorker } from '../../src/vscode/commands/restartWorker';
import { scaleWorkers } from '../../src/vscode/commands/scaleWorkers';
import type { ConnectionManager } from '../../src/vscode/connectionManager';
import type { Secrets } from '../../src/vscode/secrets';
import type { TreeNode } from '../../src/vscode/workerTree';
import { startRedis, type RedisServer } from '../harness/redisServer';
import { RECORD_ARGV } from '../harness/supervisorProcess';

/*
 * The restart / scale commands in plain Node: they reach VS Code only through the control
 * host (settings scopes, trust, progress, dialogs), which this test replaces with an
 * in-memory one, so what is asserted is what reaches Redis or a real child process. The in-VS-Code test
 * (the lead's) drives the same commands through the real API.
 */

let redis: RedisServer;
let dir: string;
const seen = {
  confirmations: [] as Confirmation[],
  notes: [] as string[],
  picks: [] as PickItem[][],
  pending: [] as string[],
};
let answer = true;
let restoreUi: () => void;
const cleanups: (() => Promise<void> | void)[] = [];

before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});
beforeEach(() => {
  fake.reset();
  answer = true;
  dir = mkdtempSync(join(tmpdir(), 'wl-flow-'));
  process.env.RECORD_FILE = join(dir, 'argv.jsonl');
  for (const k of Object.keys(seen) as (keyof typeof seen)[]) seen[k].length = 0;
  restoreUi = setControlHost(
    fakeHost({
      confirm: async (c) => (seen.confirmations.push(c), answer),
      pickWorkers: async (items) => (seen.picks.push(items), [items[0].id]),
      askCount: async (current) => current + 2,
      notify: (level, text) => void seen.notes.push(`${level}: ${text}`),
    }),
  );
});
afterEach(async () => {
  restoreUi();
  for (const c of cleanups.splice(0).reverse()) await c();
  await redis.client().flushall();
  rmSync(dir, { recursive: true, force: true });
  delete process.env.RECORD_FILE;
});

function deps(
  conn: Omit<ConnectionConfig, 'name' | 'type'> & { control?: unknown; type?: ConnectionConfig['type'] } = {},
): ControlDeps {
  const fleet = new Fleet();
  const now = Date.now();
  fleet.replaceAll([
    { id: 'w-ok', name: 'w-ok', status: 'idle', lastHeartbeat: now, problems: [] },
    { id: 'w-dead', name: 'w-dead', status: 'idle', lastHeartbeat: now - 120_000, problems: [] },
    { id: 'w-crashed', name: 'w-crashed', status: 'error', lastHeartbeat: now, problems: [] },
    { id: '$(reboot)', name: '$(reboot)', status: 'idle', lastHeartbeat: now, problems: [] },
  ]);
  fleet.onChange((c) => c.changed.forEach((id) => seen.pending.push(`${id}=${fleet.get(id)?.pending ?? ''}`)));
  const active = { name: 'prod', type: 'redis', url: redis.url, ...conn } as ConnectionConfig;
  const noop = () => undefined;
  return {
    manager: { active, fleet } as unknown as ConnectionManager,
    secrets: { get: async () => undefined } as unknown as Secrets,
    log: { info: noop, warn: noop, error: noop } as unknown as ControlDeps['log'],
  };
}

const node = (id: string): TreeNode => ({ kind: 'worker', id });
const commands = async () =>
  (await redis.client().exists('workerlens:commands')) ? await redis.client().xlen('workerlens:commands') : 0;
const records = (): { argv: string[]; cwd: string }[] =>
  existsSync(process.env.RECORD_FILE!)
    ? readFileSync(process.env.RECORD_FILE!, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
const runs = () => records().map((r) => r.argv);
const commandMode = {
  control: {
    mode: 'command',
    restart: [process.execPath, RECORD_ARGV, 'restart', '${worker}'],
    scale: [process.execPath, RECORD_ARGV, 'scale', '${count}'],
  },
};

async function supervisor(): Promise<void> {
  const s = new Supervisor({
    url: redis.url,
    blockMs: 200,
    restart: [process.execPath, RECORD_ARGV, 'restart', '${worker}'],
    scale: [process.execPath, RECORD_ARGV, 'scale', '${count}'],
  });
  cleanups.push(() => s.stop());
  await s.start();
}

test('read-only (user or workspace) refuses: no confirmation, no record, nothing run', async () => {
  for (const scope of ['globalValue', 'workspaceValue'] as const) {
    fake.settings['workerLens.readOnly'] = { [scope]: true };
    for (const d of [deps(), deps(commandMode)]) {
      await restartWorker(d, node('w-dead'));
      await restartUnhealthy(d);
      await scaleWorkers(d);
    }
  }
  assert.equal(seen.confirmations.length, 0);
  assert.equal(seen.notes.length, 12);
  assert.ok(
    seen.notes.every(
      (n) =>
        n === 'warning: Worker Lens is read-only (workerLens.readOnly): restarting and scaling workers is turned off.',
    ),
  );
  assert.equal(await commands(), 0);
  assert.deepEqual(runs(), []);
});

test("an untrusted workspace that defines connections is refused; the user's own connections still work", async () => {
  fake.trusted = false;
  fake.settings['workerLens.connections'] = { workspaceValue: [{ name: 'prod', type: 'redis', url: redis.url }] };
  await restartWorker(deps(commandMode), node('w-dead'));
  assert.deepEqual(seen.notes, [
    'warning: This workspace is not trusted and defines Worker Lens connections. Trust the workspace to restart or scale workers.',
  ]);
  assert.equal(seen.confirmations.length, 0);
  assert.deepEqual(runs(), []);

  fake.settings['workerLens.connections'] = { globalValue: [{ name: 'prod', type: 'redis', url: redis.url }] };
  fake.folders = [dir];
  await restartWorker(deps(commandMode), node('w-dead'));
  assert.deepEqual(runs(), [['restart', 'w-dead']]);
  // Not in the untrusted folder: a relative program must not resolve to the repository's file.
  assert.equal(records()[0].cwd, homedir());
  fake.trusted = true;
  await restartWorker(deps(commandMode), node('w-dead'));
  assert.equal(records()[1].cwd, dir, 'trusted: programs run in the workspace folder');
});

test('cancelling the confirmation does nothing', async () => {
  answer = false;
  await restartWorker(deps(), node('w-dead'));
  await restartWorker(deps(commandMode), node('w-dead'));
  await scaleWorkers(deps(commandMode));
  assert.equal(seen.confirmations.length, 3);
  assert.equal(await commands(), 0);
  assert.deepEqual(runs(), []);
  assert.deepEqual(seen.pending, []);
  assert.deepEqual(fake.progressTitles, []);
});

test('store mode: restart goes through Redis to a supervisor, pending shows on the row until the result', async () => {
  await supervisor();
  await restartWorker(deps(), node('w-dead'));
  assert.equal(seen.confirmations[0].message, 'Restart worker "w-dead" on "prod"?');
  assert.match(
    seen.confirmations[0].detail,
    /^Worker Lens will add a restart request to workerlens:commands on redis:\/\/127\.0\.0\.1:\d+\/? for a supervisor to carry out\.$/,
  );
  assert.deepEqual(runs(), [['restart', 'w-dead']]);
  assert.equal(seen.pending[0], 'w-dead=restart requested…');
  assert.ok(seen.pending.includes('w-dead=restarting…'), seen.pending.join(', '));
  assert.equal(seen.pending.at(-1), 'w-dead=', 'pending cleared');
  assert.match(seen.notes[0], /^info: Restart w-dead: done — .*recordArgv\.mjs restart w-dead: exit 0/);
  assert.deepEqual(fake.progressTitles, ['Restart w-dead…']);
});

test('store mode with no supervisor: "no supervisor answered" after the timeout', async () => {
  fake.settings['workerLens.control.timeoutSeconds'] = { globalValue: 0.3 };
  await restartWorker(deps(), node('w-dead'));
  assert.equal(await commands(), 1, 'the request was written');
  assert.match(seen.notes[0], /^warning: Restart w-dead: no answer — no supervisor answered within 300 ms/);
  assert.equal(seen.pending.at(-1), 'w-dead=');
});

test('multi-selection restarts each selected worker; a hostile name arrives as one literal argument', async () => {
  await restartWorker(deps(commandMode), node('$(reboot)'), [
    node('w-ok'),
    node('$(reboot)'),
    { kind: 'group', health: 'dead' },
  ]);
  assert.equal(seen.confirmations[0].message, 'Restart 2 workers on "prod"?');
  assert.match(
    seen.confirmations[0].detail,
    /^• w-ok \(healthy\): run .*recordArgv\.mjs restart w-ok\n• \$\(reboot\) \(healthy\): run .*recordArgv\.mjs restart "\$\(reboot\)"$/,
  );
  assert.deepEqual(runs().sort(), [
    ['restart', '$(reboot)'],
    ['restart', 'w-ok'],
  ]);
  assert.equal(seen.notes[0], 'info: All 2 requests done.');
});

test('from the palette: a pick of workers, unhealthy first', async () => {
  await restartWorker(deps(commandMode));
  assert.deepEqual(
    seen.picks[0].map((p) => p.label),
    ['w-dead', 'w-crashed', '$(reboot)', 'w-ok'],
  );
  assert.deepEqual(runs(), [['restart', 'w-dead']]);
});

/** The fleet with one worker the connection expects and the store has no record of. */
function withMissing(d: ControlDeps): ControlDeps {
  d.manager.fleet.update([missingWorker('w-missing')]);
  return d;
}

test('a missing worker is not restarted: the reason in words, no confirmation, no record, nothing run', async () => {
  await restartWorker(withMissing(deps()), node('w-missing'));
  await restartWorker(withMissing(deps(commandMode)), node('w-missing'));
  assert.equal(seen.confirmations.length, 0);
  assert.equal(await commands(), 0);
  assert.deepEqual(runs(), []);
  assert.equal(seen.notes.length, 2);
  assert.match(seen.notes[0], /^info: "w-missing" is missing: the store has no record of it .* no process to restart/);
});

test('a selection with a missing worker restarts the others and says which was left out', async () => {
  await restartWorker(withMissing(deps(commandMode)), node('w-dead'), [node('w-dead'), node('w-missing')]);
  assert.match(seen.notes[0], /^info: Left out of the restart: "w-missing" is missing/);
  assert.equal(seen.confirmations[0].message, 'Restart worker "w-dead" on "prod"?');
  assert.deepEqual(runs(), [['restart', 'w-dead']]);
});

test('from the palette, a missing worker is not offered', async () => {
  await restartWorker(withMissing(deps(commandMode)));
  assert.ok(seen.picks[0].length > 0);
  assert.ok(!seen.picks[0].some((p) => p.id === 'w-missing'), 'w-missing not in the pick');
});

test('restart unhealthy lists every dead and crashed worker; scale shows the current count', async () => {
  await restartUnhealthy(deps(commandMode));
  assert.equal(seen.confirmations[0].message, 'Restart 2 unhealthy workers on "prod"?');
  assert.match(seen.confirmations[0].detail, /• w-dead \(dead\)/);
  assert.match(seen.confirmations[0].detail, /• w-crashed \(crashed\)/);
  await scaleWorkers(deps(commandMode));
  assert.equal(seen.confirmations[1].message, 'Scale the workers of "prod" from 4 to 6?');
  assert.deepEqual(runs().sort(), [
    ['restart', 'w-crashed'],
    ['restart', 'w-dead'],
    ['scale', '6'],
  ]);
});

test('settings mistakes and connections without a store are explained, nothing runs', async () => {
  await restartWorker(deps({ control: { mode: 'command', restart: 'pm2 restart ${worker}' } }), node('w-ok'));
  await restartWorker(deps({ type: 'files', path: '/tmp/x', url: undefined }), node('w-ok'));
  assert.match(seen.notes[0], /^warning: connection "prod" control\.restart should be an argv list/);
  assert.match(seen.notes[1], /^warning: Cannot restart or scale "prod": a files connection has no store/);
  assert.equal(seen.confirmations.length, 0);
  assert.deepEqual(runs(), []);
});
