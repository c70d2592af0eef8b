import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pacedIntervalMs } from '../../src/sources/redis/readPacing';

test('a small fleet is read at the configured pace', () => {
  assert.equal(pacedIntervalMs(15_000, 40, 5_000), 15_000);
  assert.equal(pacedIntervalMs(2_000, undefined, 50_000), 2_000);
});

test('from 10,000 workers, timed reads cost at most one command per second per 10,000 workers', () => {
  for (const [workers, commands] of [
    [10_000, 72],
    [100_000, 717],
    [1_000_000, 7_170],
  ]) {
    const ms = pacedIntervalMs(15_000, commands, workers);
    assert.ok(
      commands / (ms / 1000) <= workers / 10_000 + 1e-9,
      `${workers} workers: ${commands} commands every ${ms} ms`,
    );
    assert.ok(ms >= 15_000);
  }
  assert.equal(pacedIntervalMs(15_000, 717, 100_000), 71_700);
});
