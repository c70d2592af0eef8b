import { test } from 'node:test';
import assert from 'node:assert/strict';
import { whyNotRestartable } from '../../src/control/restartable';
import { missingWorker } from '../../src/core/expectedWorkers';
import { Fleet } from '../../src/core/fleet';
import { workerContextValue } from '../../src/vscode/workerContext';

/*
 * A missing worker (expected by the connection, no record in the store) has no process to
 * restart: its row does not offer Restart, and the reason is words a user can act on.
 */

const now = Date.now();
const fleet = new Fleet();
fleet.replaceAll([
  { id: 'mission-worker', name: 'mission-worker', status: 'idle', lastHeartbeat: now, problems: [] },
  { id: 'outcome-learner', name: 'outcome-learner', status: 'idle', lastHeartbeat: now - 600_000, problems: [] },
  missingWorker('roundtable-worker'),
  missingWorker('gpu-\u202e1'),
]);
const view = (id: string) => fleet.get(id)!;

test('a missing row carries no restartable token; a live or dead one does when the connection can restart', () => {
  assert.equal(workerContextValue(view('roundtable-worker'), true), 'worker;missing;');
  assert.equal(workerContextValue(view('mission-worker'), true), 'worker;healthy;restartable;');
  assert.equal(workerContextValue(view('outcome-learner'), true), 'worker;dead;restartable;');
  // A connection that cannot restart offers it nowhere.
  assert.equal(workerContextValue(view('outcome-learner'), false), 'worker;dead;');
  // The menus' test (package.json: viewItem =~ /;restartable;/).
  assert.doesNotMatch(workerContextValue(view('roundtable-worker'), true), /;restartable;/);
});

test('why a missing worker cannot be restarted, in words; nothing to say for a worker with a record', () => {
  assert.equal(whyNotRestartable(view('mission-worker')), undefined);
  assert.equal(whyNotRestartable(view('outcome-learner')), undefined);
  assert.equal(whyNotRestartable(undefined), undefined);
  const why = whyNotRestartable(view('roundtable-worker'))!;
  assert.match(why, /^"roundtable-worker" is missing: the store has no record of it/);
  assert.match(why, /no process to restart/);
  // A name is shown as text: a bidi override is written out, not obeyed.
  assert.doesNotMatch(whyNotRestartable(view('gpu-\u202e1'))!, /\u202e/);
});
