import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseSupervisorArgs } from '../../src/companion/supervisorCli';
import { CommandRequester } from '../../src/control/commandRequester';
import { parseControlConfig, storeModeProblem } from '../../src/control/controlConfig';
import { confirmation, outcomeSummary, unhealthyFirst } from '../../src/control/plan';
import {
  fromFields,
  newRequest,
  resultFromFields,
  resultFields,
  toFields,
  type ControlRequest,
  type ControlRequester,
} from '../../src/control/request';
import type { Health, WorkerView } from '../../src/core/model';

/* Pure parts of control: the request record, settings, confirmation text, the supervisor's command line. */

test('a request survives the trip through stream fields', () => {
  const r = newRequest('restart', { worker: 'a; rm -rf ~' }, 30_000);
  assert.match(r.id, /^[0-9a-f-]{36}$/);
  assert.match(r.requestedBy, /.+@.+/);
  const f = toFields(r);
  assert.deepEqual(f.slice(0, 6), ['id', r.id, 'action', 'restart', 'worker', 'a; rm -rf ~']);
  assert.deepEqual(fromFields(f).request, r);
  const s = newRequest('scale', { count: 5 });
  assert.deepEqual(fromFields(toFields(s)).request, s);
});

test('malformed requests come back in words, with the id when there is one', () => {
  assert.equal(fromFields(['action', 'restart']).error, 'the request has no id');
  assert.deepEqual(fromFields(['id', 'x', 'action', 'reboot']), { id: 'x', error: 'unknown action "reboot"' });
  assert.match(fromFields(['id', 'x', 'action', 'restart']).error!, /worker id is needed/);
  assert.match(fromFields(['id', 'x', 'action', 'restart', 'worker', 'w'.repeat(300)]).error!, /longer than 256/);
  assert.match(fromFields(['id', 'x', 'action', 'scale', 'count', '-1']).error!, /whole number/);
  assert.match(fromFields(['id', 'x', 'action', 'scale', 'count', '2.5']).error!, /whole number/);
  assert.match(fromFields(['id', 'x', 'action', 'scale', 'count', '5000']).error!, /at most 1000/);
  assert.deepEqual(resultFromFields(resultFields({ id: 'x', status: 'done', message: 'ok', supervisor: 'h:1' })), {
    id: 'x',
    status: 'done',
    message: 'ok',
    supervisor: 'h:1',
  });
  assert.equal(resultFromFields(['id', 'x', 'status', 'maybe']), undefined);
});

test('control settings: defaults, both modes, and mistakes in words', () => {
  assert.deepEqual(parseControlConfig(undefined, undefined).config, { mode: 'store', timeoutMs: 30_000 });
  assert.deepEqual(parseControlConfig(undefined, 10).config, { mode: 'store', timeoutMs: 10_000 });
  assert.deepEqual(parseControlConfig({ commandsStream: 'cmds', resultsStream: 'res', timeoutSeconds: 5 }, 10).config, {
    mode: 'store',
    timeoutMs: 5000,
    commandsStream: 'cmds',
    resultsStream: 'res',
  });
  assert.deepEqual(
    parseControlConfig(
      { mode: 'command', restart: ['pm2', 'restart', '${worker}'], scale: ['worker-manager', 'scale', '${count}'] },
      30,
    ).config,
    {
      mode: 'command',
      timeoutMs: 30_000,
      restart: ['pm2', 'restart', '${worker}'],
      scale: ['worker-manager', 'scale', '${count}'],
    },
  );
  assert.match(parseControlConfig({ mode: 'shell' }, 30).error!, /"store" or "command"/);
  assert.match(parseControlConfig({ mode: 'command' }, 30).error!, /needs a restart and\/or scale argv/);
  assert.match(
    parseControlConfig({ mode: 'command', restart: 'pm2 restart ${worker}' }, 30).error!,
    /argv list.*no shell/,
  );
  assert.match(
    parseControlConfig({ mode: 'command', restart: ['pm2', 'restart', '${count}'] }, 30).error!,
    /\$\{count\} has no value here/,
  );
  assert.match(parseControlConfig({ timeoutSeconds: -1 }, 30).error!, /positive number/);
  assert.match(parseControlConfig([], 30).error!, /should be an object/);
  assert.equal(storeModeProblem('redis'), undefined);
  assert.equal(storeModeProblem('supabase'), undefined, 'a worker_commands table');
  assert.match(storeModeProblem('files')!, /control.mode to "command"/);
});

const view = (name: string, health: Health): WorkerView => ({
  snapshot: { id: name, name, problems: [] },
  health,
  reason: '',
  stale: false,
});

test('pick lists put the unhealthy first, then by name', () => {
  const order = unhealthyFirst([
    view('b', 'healthy'),
    view('a', 'working'),
    view('z', 'dead'),
    view('c', 'crashed'),
    view('d', 'dead'),
    view('u', 'unresponsive'),
  ]);
  assert.deepEqual(
    order.map((w) => w.snapshot.name),
    ['d', 'z', 'c', 'u', 'a', 'b'],
  );
});

test('the confirmation names exactly what will happen', () => {
  const cmd = new CommandRequester({
    restart: ['pm2', 'restart', '${worker}'],
    scale: ['worker-manager', 'scale', '${count}'],
    timeoutMs: 1000,
  });
  const one = [newRequest('restart', { worker: '$(reboot)' })];
  const c1 = confirmation(one, cmd, { connection: 'prod' });
  assert.equal(c1.message, 'Restart worker "$(reboot)" on "prod"?');
  assert.equal(c1.detail, 'Worker Lens will run pm2 restart "$(reboot)".');
  assert.equal(c1.button, 'Restart');

  const store: ControlRequester = {
    describe: (r) => `add a ${r.action} request to workerlens:commands on redis://h:6379 for a supervisor to carry out`,
    send: async () => ({ status: 'done', message: '' }),
    dispose: async () => undefined,
  };
  const many = ['w1', 'w2'].map((w) => newRequest('restart', { worker: w }));
  const workers = new Map([
    ['w1', view('w1', 'dead')],
    ['w2', view('w2', 'crashed')],
  ]);
  const c2 = confirmation(many, store, { connection: 'prod', workers, unhealthy: true });
  assert.equal(c2.message, 'Restart 2 unhealthy workers on "prod"?');
  assert.equal(
    c2.detail.split('\n')[0],
    '• w1 (dead): add a restart request to workerlens:commands on redis://h:6379 for a supervisor to carry out',
  );
  assert.equal(c2.button, 'Restart 2');

  const c3 = confirmation([newRequest('scale', { count: 5 })], cmd, { connection: 'prod', currentCount: 3 });
  assert.equal(c3.message, 'Scale the workers of "prod" from 3 to 5?');
  assert.equal(c3.detail, 'Worker Lens will run worker-manager scale 5.');

  const lots = Array.from({ length: 20 }, (_, i) => newRequest('restart', { worker: `w${i}` }));
  assert.match(confirmation(lots, cmd, { connection: 'p' }).detail, /… and 5 more$/);
  // A name that would become an option: the confirmation says nothing will run.
  assert.match(
    confirmation([newRequest('restart', { worker: '--all' })], cmd, { connection: 'p' }).detail,
    /nothing can run: .*option/,
  );
});

test('the outcome notification', () => {
  const r = (w: string): ControlRequest => newRequest('restart', { worker: w });
  assert.deepEqual(outcomeSummary([{ request: r('w1'), outcome: { status: 'done', message: 'exit 0' } }]), {
    level: 'info',
    text: 'Restart w1: done — exit 0',
  });
  assert.deepEqual(
    outcomeSummary([
      { request: r('w1'), outcome: { status: 'timeout', message: 'no supervisor answered within 30 s' } },
    ]),
    {
      level: 'warning',
      text: 'Restart w1: no answer — no supervisor answered within 30 s',
    },
  );
  const mixed = outcomeSummary([
    { request: r('w1'), outcome: { status: 'done', message: 'ok' } },
    { request: r('w2'), outcome: { status: 'failed', message: 'exit 1' } },
  ]);
  assert.deepEqual(mixed, { level: 'error', text: '1 of 2 done. Restart w2: exit 1' });
});

test('supervisor command line', () => {
  const ok = parseSupervisorArgs(
    [
      '--redis',
      'redis://127.0.0.1:6390',
      '--restart',
      'pm2 restart ${worker}',
      '--scale',
      '["worker-manager","scale","${count}"]',
      '--claim-idle-ms',
      '500',
    ],
    {},
  );
  assert.deepEqual(ok.options?.restart, ['pm2', 'restart', '${worker}']);
  assert.deepEqual(ok.options?.scale, ['worker-manager', 'scale', '${count}']);
  assert.equal(ok.options?.claimIdleMs, 500);
  assert.equal(
    parseSupervisorArgs(['--redis', 'redis://h', '--restart', 'x ${worker}', '--password-env', 'PW'], { PW: 's3cret' })
      .options?.password,
    's3cret',
  );
  assert.equal(
    parseSupervisorArgs(['--restart', 'x'], {}).error,
    '--redis URL or --supabase URL is needed (or "redis" / "supabase" in --config, or $REDIS_URL)',
  );
  assert.match(parseSupervisorArgs(['--redis', 'redis://h'], {}).error!, /nothing to do/);
  assert.match(parseSupervisorArgs(['--redis', 'redis://h', '--restart', '${worker} x'], {}).error!, /program/);
  assert.match(
    parseSupervisorArgs(['--redis', 'redis://h', '--scale', 'mgr ${worker}'], {}).error!,
    /\$\{worker\} has no value here/,
  );
  assert.match(parseSupervisorArgs(['--redis', 'http://h', '--restart', 'x'], {}).error!, /redis:\/\//);
  assert.match(
    parseSupervisorArgs(['--redis', 'redis://h', '--restart', 'x', '--worker-pattern', '('], {}).error!,
    /--worker-pattern/,
  );
  assert.match(parseSupervisorArgs(['--bogus'], {}).error!, /Unknown option/);
  assert.equal(parseSupervisorArgs(['-h'], {}).help, true);

  // A config file, with flags winning over it.
  const dir = mkdtempSync(join(tmpdir(), 'wl-supcfg-'));
  try {
    const file = join(dir, 'supervisor.json');
    writeFileSync(
      file,
      JSON.stringify({
        redis: 'redis://cfg:6379',
        restart: ['systemctl', 'restart', 'worker@${worker}'],
        pool: { argv: 'node w.js ${worker}', size: 3 },
        group: 'g1',
      }),
    );
    const cfg = parseSupervisorArgs(['--config', file, '--group', 'g2'], {});
    assert.equal(cfg.options?.url, 'redis://cfg:6379');
    assert.deepEqual(cfg.options?.restart, ['systemctl', 'restart', 'worker@${worker}']);
    assert.deepEqual(cfg.poolArgv, ['node', 'w.js', '${worker}']);
    assert.equal(cfg.options?.group, 'g2');
    assert.match(parseSupervisorArgs(['--config', join(dir, 'missing.json')], {}).error!, /cannot read --config/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('control and the companion never import vscode: the supervisor runs on servers without it', () => {
  const root = resolve(__dirname, '../../src');
  for (const dir of ['control', 'companion']) {
    for (const f of readdirSync(join(root, dir)).filter((n) => n.endsWith('.ts'))) {
      const text = readFileSync(join(root, dir, f), 'utf8');
      assert.doesNotMatch(
        text,
        /from ['"]vscode['"]|require\(['"]vscode['"]\)|from ['"]\.\.\/vscode\//,
        `src/${dir}/${f}`,
      );
    }
  }
});
