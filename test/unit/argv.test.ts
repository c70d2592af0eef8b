import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayArgv, expandArgv, parseArgvTemplate, placeholdersOf } from '../../src/control/argv';
import { HOSTILE } from '../fixtures/control/hostileNames';

test('a template is a JSON array or plain words', () => {
  assert.deepEqual(parseArgvTemplate('["pm2", "restart", "${worker}"]', ['worker']).argv, [
    'pm2',
    'restart',
    '${worker}',
  ]);
  assert.deepEqual(parseArgvTemplate('  systemctl restart worker@${worker} ', ['worker']).argv, [
    'systemctl',
    'restart',
    'worker@${worker}',
  ]);
  assert.deepEqual(parseArgvTemplate(['worker-manager', 'scale', '${count}'], ['count']).argv, [
    'worker-manager',
    'scale',
    '${count}',
  ]);
  // Words are split on spaces only: quotes are not a shell's quotes here.
  assert.deepEqual(parseArgvTemplate(`echo "a b"`, []).argv, ['echo', '"a', 'b"']);
});

test('templates with mistakes are refused in words', () => {
  assert.match(parseArgvTemplate('', ['worker']).error!, /non-empty list/);
  assert.match(parseArgvTemplate([], ['worker']).error!, /non-empty list/);
  assert.match(parseArgvTemplate('[1, 2]', ['worker']).error!, /every argument should be a string/);
  assert.match(parseArgvTemplate('["pm2", ', ['worker']).error!, /not a valid JSON array/);
  assert.match(
    parseArgvTemplate(['${worker}', 'restart'], ['worker']).error!,
    /program .* cannot contain a placeholder/,
  );
  assert.match(parseArgvTemplate(['/opt/${worker}/bin/run'], ['worker']).error!, /program/);
  assert.match(parseArgvTemplate(['pm2', 'restart', '${name}'], ['worker']).error!, /unknown placeholder \$\{name\}/);
  assert.match(parseArgvTemplate(['pm2', 'scale', '${count}'], ['worker']).error!, /\$\{count\} has no value here/);
  assert.match(parseArgvTemplate({ cmd: 'pm2' }, ['worker']).error!, /non-empty list/);
  assert.match(parseArgvTemplate([''], []).error!, /program name is empty/);
});

test('hostile worker names stay one literal argument each', () => {
  for (const name of HOSTILE) {
    const r = expandArgv(['pm2', 'restart', '${worker}'], { worker: name });
    assert.deepEqual(r.argv, ['pm2', 'restart', name], JSON.stringify(name));
    const inside = expandArgv(['systemctl', 'restart', 'worker@${worker}.service'], { worker: name });
    assert.deepEqual(inside.argv, ['systemctl', 'restart', `worker@${name}.service`]);
  }
});

test('a value that would become an option is refused; a template option may carry one', () => {
  assert.match(expandArgv(['pm2', 'restart', '${worker}'], { worker: '--force' }).error!, /would be read as an option/);
  assert.match(expandArgv(['pm2', 'restart', '${worker}'], { worker: '-rf' }).error!, /would be read as an option/);
  assert.deepEqual(expandArgv(['runner', '--name=${worker}'], { worker: '-x' }).argv, ['runner', '--name=-x']);
  assert.deepEqual(expandArgv(['pm2', 'restart', 'w${worker}'], { worker: '-1' }).argv, ['pm2', 'restart', 'w-1']);
});

test('several placeholders in one argument, numbers, missing values, NUL', () => {
  assert.deepEqual(expandArgv(['mgr', '${worker}:${worker}'], { worker: 'a b' }).argv, ['mgr', 'a b:a b']);
  assert.deepEqual(expandArgv(['worker-manager', 'scale', '${count}'], { count: 8 }).argv, [
    'worker-manager',
    'scale',
    '8',
  ]);
  assert.match(expandArgv(['worker-manager', 'scale', '${count}'], {}).error!, /no value for \$\{count\}/);
  assert.match(expandArgv(['pm2', 'restart', '${worker}'], { worker: 'a\0b' }).error!, /NUL/);
  // A value that itself looks like a placeholder is not expanded again.
  assert.deepEqual(expandArgv(['pm2', 'restart', '${worker}'], { worker: '${count}' }).argv, [
    'pm2',
    'restart',
    '${count}',
  ]);
});

test('placeholdersOf and displayArgv', () => {
  assert.deepEqual(placeholdersOf(['a', '${worker}', 'x${count}y']).sort(), ['count', 'worker']);
  assert.equal(displayArgv(['pm2', 'restart', 'worker-1']), 'pm2 restart worker-1');
  assert.equal(displayArgv(['pm2', 'restart', 'a; rm -rf ~']), 'pm2 restart "a; rm -rf ~"');
  assert.equal(displayArgv(['pm2', 'restart', '$(reboot)']), 'pm2 restart "$(reboot)"');
  assert.equal(displayArgv(['systemctl', 'restart', 'worker@w1.service']), 'systemctl restart worker@w1.service');
});
