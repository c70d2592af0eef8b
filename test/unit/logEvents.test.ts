import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { workEventOf } from '../../src/core/logEvents';
import { LogLineParser } from '../../src/sources/files/logParse';

const T = Date.UTC(2026, 10, 22, 14, 0, 0);
const parse = (line: string) => new LogLineParser('sim-3.log', 'sim-3', () => T).parse(line);

describe('finished tasks told in log lines', () => {
  it("reads the demo fleet's and common phrasings, with their durations", () => {
    assert.deepEqual(workEventOf(parse('2026-11-22 14:00:00,123 - INFO - [sim-3] Task T-12 completed in 4.2s')), {
      kind: 'completed',
      ts: T + 123,
      worker: 'sim-3',
      durationMs: 4200,
    });
    assert.deepEqual(
      workEventOf(
        parse('2026-11-22 14:00:00,000 - ERROR - [sim-3] Task T-13 failed after 0.8s: git worktree conflict'),
      ),
      { kind: 'failed', ts: T, worker: 'sim-3', durationMs: 800 },
    );
    assert.equal(workEventOf(parse('[2026-11-22 14:00:00] [worker-gpu1] job 81 finished in 300 ms'))?.durationMs, 300);
    assert.equal(workEventOf(parse('[2026-11-22 14:00:00] [worker-gpu1] Completed task d5de16d7'))?.kind, 'completed');
  });

  it('is no completion: starts, claims, an exit summary, a stuck-task warning', () => {
    for (const line of [
      '2026-11-22 14:00:00,000 - INFO - [sim-3] Task T-12 started: Fix login (acme/api)',
      '[2026-02-07 21:45:26] [worker-gpu1] Worker shutting down - completed 42 tasks',
      '[2026-02-07 21:45:28] [worker-gpu2] Claimed resource task: d5de16d7 (load_llm)',
      "[2026-02-07 21:50:00] [brain] Stuck tasks detected: [{'task_id': 'a1b2c3d4'}]",
    ])
      assert.equal(workEventOf(parse(line)), undefined, line);
  });
});
